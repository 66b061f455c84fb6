// The rules of kubeadm's certificate tables applied to one installed certificate: `pki verify`
// reports what breaks them, `pki renew` refuses to re-issue a certificate that breaks any.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <openssl/x509.h>

#include "pki/InstalledCertificate.h"
#include "pki/KubeadmProfiles.h"
#include "pki/PkiTree.h"

namespace csrop::pki {

struct CertificateCheck {
  // The certificate the cluster trusts for the profile's CA (the tree's copy); nullptr when it is
  // missing or unreadable, which is itself a deviation (the issuer cannot be checked).
  X509* trustedCa = nullptr;
  // false for `pki renew`: an expired certificate is what it is there to replace, so neither its dates
  // nor the chain's are held against it.
  bool checkValidity = true;
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

// Issuer and chain, CN, O, SAN types and required SANs, CA flag, key usages and extended key usages,
// validity, whether the .key / client-key-data belongs to the certificate, and a kubeconfig's
// certificate-authority-data. Precondition: installed.state is Present. Empty: no deviation.
std::vector<std::string> certificateDeviations(const PkiTree& tree, const CertProfile& p, const InstalledCertificate& installed,
                                               const CertificateCheck& check);

// Does leaf chain to ca, trusting ca alone (it may be an intermediate under an offline root)?
std::optional<std::string> verifyChain(X509* leaf, X509* ca, bool checkTime = true);

}  // namespace csrop::pki
