// What `pki kubeconfig user --config` reads from a kubeadm configuration file, as `kubeadm kubeconfig
// user --config` does: the cluster name, the control-plane endpoint and where the CA files are.
#pragma once

#include <string>

#include "signers/Result.h"

namespace csrop::pki {

struct KubeadmClusterSettings {
  std::string clusterName = "kubernetes";               // ClusterConfiguration.clusterName, kubeadm's default
  std::string server;                                   // https://host:port
  std::string certificatesDir = "/etc/kubernetes/pki";  // ClusterConfiguration.certificatesDir
};

// The kubeadm.k8s.io documents of the file (other documents, e.g. a KubeletConfiguration, are
// skipped). The server follows kubeadm's GetControlPlaneEndpoint: controlPlaneEndpoint, with
// InitConfiguration.localAPIEndpoint.bindPort (default 6443) when it has no port; else
// localAPIEndpoint.advertiseAddress:bindPort. kubeadm would detect an advertise address from the
// host's default route; this offline tool asks for it instead.
signers::Result<KubeadmClusterSettings> readKubeadmConfig(const std::string& path);

// "host", "host:port", "[v6]:port" or "v6" as kubeadm's ParseHostPort reads it (a DNS-1123 name or an
// IP address, port 1..65535), as the URL https://host:port. defaultPort when there is none.
signers::Result<std::string> endpointUrl(const std::string& endpoint, int defaultPort);

// A --server value: https://, a host as endpointUrl accepts it, an optional port, nothing else.
signers::Result<std::string> checkServerUrl(const std::string& url);

}  // namespace csrop::pki
