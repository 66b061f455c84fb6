#include <doctest/doctest.h>

#include <chrono>

#include "signers/Asn1Time.h"
#include "signers/OpenSslPtr.h"

using Clock = std::chrono::system_clock;

namespace {

signers::Asn1TimePtr timeFrom(const char* text) {
  signers::Asn1TimePtr t(ASN1_TIME_new());
  REQUIRE(ASN1_TIME_set_string(t.get(), text) == 1);
  return t;
}

}  // namespace

TEST_CASE("asn1TimeToTimePoint: UTCTime and GeneralizedTime to the exact second, in UTC") {
  CHECK(signers::asn1TimeToTimePoint(timeFrom("700101000000Z").get()) == Clock::time_point{});
  // 2024-02-29 12:34:56 UTC
  CHECK(signers::asn1TimeToTimePoint(timeFrom("240229123456Z").get()) == Clock::from_time_t(1709210096));
  CHECK(signers::asn1TimeToTimePoint(timeFrom("20500101000000Z").get()) == Clock::from_time_t(2524608000));
}

TEST_CASE("asn1TimeToTimePoint: a null or malformed time is no time, never now") {
  CHECK_FALSE(signers::asn1TimeToTimePoint(nullptr));
  signers::Asn1TimePtr garbage(ASN1_TIME_new());
  REQUIRE(ASN1_STRING_set(garbage.get(), "not a time", -1) == 1);
  CHECK_FALSE(signers::asn1TimeToTimePoint(garbage.get()));
}

TEST_CASE("asn1TimeToTimePoint: 99991231235959Z (RFC 5280's no expiry) is the latest time, not an overflow") {
  // from_time_t on year 9999 overflows libstdc++'s nanosecond clock and wraps into the past.
  CHECK(signers::asn1TimeToTimePoint(timeFrom("99991231235959Z").get()) == Clock::time_point::max());
  CHECK(signers::asn1TimeToTimePoint(timeFrom("16000101000000Z").get()) == Clock::time_point::min());
}
