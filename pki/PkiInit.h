// `pki init`: the three CAs of the "Single root CA" table and the service-account key pair.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>

namespace csrop::pki {

struct InitOptions {
  std::filesystem::path dir;  // the kubeadm root (/etc/kubernetes); files go to dir/pki
  std::string rootCertFile;   // both set: the CAs become intermediates of this root
  std::string rootKeyFile;
  int days = 3650;  // kubeadm's CA lifetime
};

// Exit code: 0 done (existing pairs are kept, as kubeadm does), 1 something could not be created.
int runPkiInit(const InitOptions& options, std::ostream& out, std::ostream& err);

}  // namespace csrop::pki
