// The certificate a kubeadm tree currently holds for one profile: a pki/*.crt file or the
// client-certificate-data of a kubeconfig.
#pragma once

#include <string>

#include "pki/KubeadmProfiles.h"
#include "pki/PkiTree.h"
#include "signers/OpenSslPtr.h"

namespace csrop::pki {

struct InstalledCertificate {
  enum class State { Missing, Invalid, Present } state = State::Missing;
  std::string error;      // Invalid: why
  signers::X509Ptr cert;  // Present
  std::string shownAs;    // "pki/apiserver.crt", "admin.conf"
  // Kubeconfigs only: the embedded key and cluster CA (empty when absent).
  std::string clientKeyPem;
  std::string clusterCaPem;
};

InstalledCertificate loadInstalled(const PkiTree& tree, const CertProfile& profile);

}  // namespace csrop::pki
