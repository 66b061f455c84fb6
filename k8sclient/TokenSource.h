#pragma once
// Bearer token for each request. A token file (projected service account token) is re-read at most
// once per period, like client-go, so rotated tokens keep working without a restart.
#include <chrono>
#include <mutex>
#include <string>

namespace k8s {

class TokenSource {
 public:
  TokenSource(std::string staticToken, std::string tokenFile, std::chrono::seconds refreshPeriod = std::chrono::seconds(60));
  // Empty when there is no token. A file that cannot be read keeps the last good token (logged).
  std::string token();

 private:
  std::string staticToken_, tokenFile_;
  std::chrono::seconds period_;
  std::mutex mu_;
  std::string cached_;
  std::chrono::steady_clock::time_point readAt_{};
  bool haveRead_ = false;
};

}  // namespace k8s
