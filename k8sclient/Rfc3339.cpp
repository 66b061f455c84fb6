#include "k8sclient/Rfc3339.h"

#include <cstdio>
#include <ctime>

namespace k8s {
namespace {

std::string format(std::chrono::system_clock::time_point t, bool micro) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(t);
  const std::time_t tt = std::chrono::system_clock::to_time_t(seconds);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (micro) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t - seconds).count();
    char frac[24];  // room for any long long, though it is below 1,000,000
    std::snprintf(frac, sizeof frac, ".%06lld", static_cast<long long>(us));
    out += frac;
  }
  return out + "Z";
}

}  // namespace

std::string formatRfc3339(std::chrono::system_clock::time_point t) { return format(t, false); }
std::string formatRfc3339Micro(std::chrono::system_clock::time_point t) { return format(t, true); }

}  // namespace k8s
