#include "k8sclient/TokenSource.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

namespace k8s {

TokenSource::TokenSource(std::string staticToken, std::string tokenFile, std::chrono::seconds refreshPeriod)
    : staticToken_(std::move(staticToken)), tokenFile_(std::move(tokenFile)), period_(refreshPeriod) {}

std::string TokenSource::token() {
  if (tokenFile_.empty()) return staticToken_;
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (haveRead_ && now - readAt_ < period_) return cached_;
  std::ifstream in(tokenFile_, std::ios::binary);
  std::stringstream ss;
  if (in) ss << in.rdbuf();
  if (!in) {
    spdlog::warn("cannot read token file {}; keeping the previous token", tokenFile_);
    readAt_ = now;
    haveRead_ = true;
    return cached_.empty() ? staticToken_ : cached_;
  }
  std::string t = ss.str();
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ' || t.back() == '\t')) t.pop_back();
  cached_ = t;
  readAt_ = now;
  haveRead_ = true;
  return cached_;
}

}  // namespace k8s
