// The credentials inside a kubeadm kubeconfig (.conf), and putting a signed client certificate
// into it (client-certificate-data), as `kubectl config set-credentials --embed-certs` would.
#pragma once

#include <filesystem>
#include <string>

#include "signers/Result.h"

namespace csrop::pki {

struct KubeconfigCredentials {
  std::string userName;       // the user of the current context (else the first user)
  std::string clientKeyPem;   // empty when the kubeconfig holds no key
  std::string clientCertPem;  // empty when no certificate is embedded yet
  std::string caPem;          // certificate-authority-data of the context's cluster, empty if absent
};

signers::Result<KubeconfigCredentials> readKubeconfig(const std::string& yamlText, const std::string& shownAs);
signers::Result<KubeconfigCredentials> readKubeconfigFile(const std::filesystem::path& path, const std::string& shownAs);

// Returns the new kubeconfig text: the user's client-certificate-data set (and a file reference
// client-certificate removed); the cluster's certificate-authority-data set when it has none; with a
// keyPem, client-key-data replaced the same way (client-key removed).
signers::Result<std::string> embedClientCertificate(const std::string& yamlText, const std::string& shownAs, const std::string& certPem,
                                                    const std::string& caPem, const std::string& keyPem = {});

struct ClientKubeconfig {
  std::string server;  // https://host:port
  std::string clusterName;
  std::string userName;
  std::string caPem, certPem, keyPem;
};

// A kubeconfig as kubeadm writes one (kubeconfigutil.CreateWithCerts, serialised by clientcmd.Write):
// one cluster, one user, the context "<user>@<cluster>" current, every certificate and the key
// embedded.
std::string buildClientKubeconfig(const ClientKubeconfig& k);

}  // namespace csrop::pki
