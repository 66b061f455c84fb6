// Throwaway PKI of the fake kube-apiserver: a P-256 CA, a serving certificate for 127.0.0.1 and
// localhost, client certificates (CN = user, O = groups) and kubeconfigs that use them.
#pragma once

#include <string>
#include <vector>

namespace fakeapi::pki {

struct Issued {
  std::string certPem;
  std::string keyPem;
};

// Creates DIR/ca.{crt,key} and DIR/server.{crt,key} when DIR has no CA yet.
void ensure(const std::string& dir);
Issued issueClient(const std::string& dir, const std::string& user, const std::vector<std::string>& groups);
// A kubeconfig with embedded CA and either a client certificate or a bearer token.
std::string kubeconfig(const std::string& server, const std::string& caPem, const std::string& user, const Issued* cert,
                       const std::string& token);
std::string readFile(const std::string& path);
void writeFile(const std::string& path, const std::string& content, bool secret = false);

}  // namespace fakeapi::pki
