// A PKCS#10 request built here for a key held here, so the certificates `pki kubeconfig user` and
// `pki renew` issue go through the same signer, profile and request parser as the requests kubeadm
// writes (signers/FileCaSigner.h): nothing is signed on a path of its own.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <openssl/evp.h>

#include "signers/IpAddress.h"
#include "signers/Result.h"

namespace csrop::pki {

struct LocalRequest {
  // "CN" or "O" with its UTF-8 value, in the order the subject lists them.
  std::vector<std::pair<std::string, std::string>> subject;
  std::vector<std::string> dnsNames;
  std::vector<signers::IpAddress> ipAddresses;
};

// PEM, signed by key (SHA-256; none for Ed25519).
signers::Result<std::string> buildRequestPem(EVP_PKEY* key, const LocalRequest& request);

}  // namespace csrop::pki
