// Authentication of the fake kube-apiserver: client certificates (CN = user, O = groups) verified
// against its CA, or bearer tokens from a kube token-auth CSV file (token,user,uid,"g1,g2").
#pragma once

#include "tests/fakeapi/Api.h"

#include <map>
#include <optional>

namespace fakeapi {

class Authenticator {
 public:
  void loadTokenFile(const std::string& path);
  void loadTokenCsv(const std::string& text);
  std::optional<UserInfo> fromBearer(const std::string& authorizationHeader) const;
  // `verified` is the TLS layer's chain verification result against the fake's CA.
  static std::optional<UserInfo> fromCertificate(X509* peer, bool verified);

 private:
  std::map<std::string, UserInfo> tokens_;
};

}  // namespace fakeapi
