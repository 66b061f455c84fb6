#pragma once
// Everything needed to reach one API server. Produced by KubeConfigLoader, consumed by the transport.
#include <string>

#ifndef CSR_OPERATOR_VERSION
#define CSR_OPERATOR_VERSION "0.0.0"
#endif

namespace k8s {

inline std::string defaultUserAgent() { return std::string("csr-operator/") + CSR_OPERATOR_VERSION; }

// Which HTTP client carries the requests (client.httpClient in the operator's configuration).
enum class HttpClient { Beast, Cpprest };

struct RestConfig {
  std::string server;         // https://host:port, no trailing slash
  std::string caPem;          // empty: verify against the system store
  std::string tlsServerName;  // overrides the name checked against the server certificate
  bool insecureSkipTlsVerify = false;
  std::string clientCertPem, clientKeyPem;
  std::string token;       // static bearer token
  std::string tokenFile;   // re-read by TokenSource; takes precedence over token when set
  std::string namespace_;  // the context's namespace, or the pod's namespace in-cluster
  double qps = 20;
  int burst = 40;
  std::string userAgent = defaultUserAgent();
  HttpClient httpClient = HttpClient::Beast;
  std::string source;  // where this came from ("kubeconfig /path (context x)", "in-cluster"); for logs
};

}  // namespace k8s
