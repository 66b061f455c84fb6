// Where the kubernetes CA's key is when it is not <ca-dir>/ca.key: another file, or a key on a
// PKCS#11 token (`--ca-key pkcs11:token=...;object=...`) with its PIN file and module. Shared by
// `pki sign`, `pki renew` and `pki kubeconfig user`, which all sign through signers::FileCaSigner,
// and `pki init --key-uri`, which creates the key on the token.
#pragma once

#include <string>

#include "signers/SignerConfig.h"

namespace csrop::pki {

struct CaKeySource {
  std::string key;           // --ca-key: a key file or a PKCS#11 URI; empty: the CA directory's ca.key
  std::string pinFile;       // --ca-key-pin-file: the token's user PIN (a URI never carries one)
  std::string pkcs11Module;  // --pkcs11-module; empty: p11-kit's proxy

  // The key, PIN and module into a signer's configuration (the key only when set).
  void applyTo(signers::SignerConfig& config) const {
    if (!key.empty()) config.caKeyFile = key;
    config.caKeyPinFile = pinFile;
    config.pkcs11Module = pkcs11Module;
  }
};

}  // namespace csrop::pki
