// `pki kubeconfig user`: kubeadm's `kubeconfig user` for a cluster whose CA key is offline. The key
// is generated here and only ever written into the kubeconfig; the certificate is signed by the CA
// through the same signer code as every other pki certificate.
#pragma once

#include <chrono>
#include <iosfwd>
#include <string>
#include <vector>

#include "pki/CaKeySource.h"

namespace csrop::pki {

struct KubeconfigUserOptions {
  std::string clientName;                  // the CN: the user name the API server sees
  std::vector<std::string> organizations;  // the O: the user's groups
  // kubeadm's --validity-period default (constants.CertificateValidity).
  std::chrono::seconds validity{std::chrono::hours(24 * 365)};
  std::string configFile;  // a kubeadm configuration; else server (+ clusterName)
  std::string server;
  std::string clusterName;
  std::string caCertFile;  // default with configFile: <certificatesDir>/ca.crt
  std::string caKeyFile;   // default with configFile: <certificatesDir>/ca.key; may be a PKCS#11 URI
  CaKeySource token;       // the PIN file and module when caKeyFile is a PKCS#11 URI
  std::string outFile;     // empty: stdout
  bool allowSystemMasters = false;
};

// Exit code: 0 written, 1 refused or failed (nothing written), 2 unusable options.
int runPkiKubeconfigUser(const KubeconfigUserOptions& options, std::ostream& out, std::ostream& err);

}  // namespace csrop::pki
