#include "signers/Asn1Time.h"

#include <ctime>

namespace signers {

std::optional<std::chrono::system_clock::time_point> asn1TimeToTimePoint(const ASN1_TIME* time) {
  using Clock = std::chrono::system_clock;
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return std::nullopt;
  const std::chrono::seconds sinceEpoch(timegm(&tm));
  const auto latest = std::chrono::duration_cast<std::chrono::seconds>(Clock::time_point::max().time_since_epoch());
  const auto earliest = std::chrono::duration_cast<std::chrono::seconds>(Clock::time_point::min().time_since_epoch());
  if (sinceEpoch >= latest) return Clock::time_point::max();
  if (sinceEpoch <= earliest) return Clock::time_point::min();
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(sinceEpoch));
}

}  // namespace signers
