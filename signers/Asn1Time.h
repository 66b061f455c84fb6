#pragma once
// Certificate validity dates (ASN.1 UTCTime or GeneralizedTime) as std::chrono time points, in UTC.
// The one conversion for signers/ and pki/.
#include <chrono>
#include <optional>

#include <openssl/asn1.h>

namespace signers {

// nullopt for a null or malformed time: ASN1_TIME_to_tm reads a null time as "now", which would
// make a missing date look current. Dates beyond what system_clock holds (about 1678 to 2262 with
// libstdc++'s nanoseconds) are clamped to its ends instead of overflowing: RFC 5280 4.1.2.5 gives
// 99991231235959Z to certificates without a well-defined expiration.
std::optional<std::chrono::system_clock::time_point> asn1TimeToTimePoint(const ASN1_TIME* time);

}  // namespace signers
