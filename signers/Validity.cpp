#include "signers/Validity.h"

#include <ctime>

namespace signers {

using std::chrono::seconds;

seconds effectiveTtl(std::optional<int64_t> expirationSeconds, seconds maxDuration) {
  seconds ttl = maxDuration;
  // Compared as integers first so a huge expirationSeconds cannot overflow a duration.
  if (expirationSeconds && *expirationSeconds < maxDuration.count()) ttl = seconds(*expirationSeconds);
  if (ttl < kMinimumTtl) ttl = kMinimumTtl;
  return ttl;
}

std::variant<ValidityWindow, std::string> computeValidity(std::chrono::system_clock::time_point now,
                                                          std::optional<int64_t> expirationSeconds, seconds maxDuration,
                                                          std::chrono::system_clock::time_point caNotAfter) {
  seconds ttl = effectiveTtl(expirationSeconds, maxDuration);
  ValidityWindow w;
  w.notBefore = now - kBackdate;
  w.notAfter = ttl < kShortTtl ? now + ttl : now + ttl - kBackdate;
  if (w.notBefore >= caNotAfter) return "the signer has expired: NotAfter=" + formatTime(caNotAfter);
  if (now >= caNotAfter) return "refusing to sign a certificate that expired in the past: NotAfter=" + formatTime(caNotAfter);
  if (w.notAfter >= caNotAfter) {
    w.notAfter = caNotAfter;
    w.clampedToCaNotAfter = true;
  }
  return w;
}

std::string formatTime(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace signers
