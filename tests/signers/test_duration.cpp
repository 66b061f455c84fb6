#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "signers/Duration.h"

using namespace std::chrono;
using signers::kConfigDurationUnits;
using signers::kPkiDurationUnits;

namespace {

nanoseconds parsed(const std::string& text, const signers::DurationUnits& units) {
  auto d = signers::parseDuration(text, units);
  REQUIRE_MESSAGE(d.ok(), text << ": " << d.error());
  return d.value();
}

std::string errorOf(const std::string& text, const signers::DurationUnits& units) {
  auto d = signers::parseDuration(text, units);
  REQUIRE_MESSAGE(!d.ok(), text << " parsed");
  return d.error();
}

}  // namespace

TEST_CASE("duration: one grammar, terms of a number and a unit written together") {
  CHECK(parsed("1h30m", kConfigDurationUnits) == minutes(90));
  CHECK(parsed("500ms", kConfigDurationUnits) == milliseconds(500));
  CHECK(parsed("1.5h", kConfigDurationUnits) == minutes(90));
  CHECK(parsed("0.0000001ms", kConfigDurationUnits) == nanoseconds(0));
  CHECK(parsed("90d", kPkiDurationUnits) == hours(24 * 90));
  CHECK(parsed("1y1d", kPkiDurationUnits) == hours(24 * 366));
  CHECK(parsed("1.5d", kPkiDurationUnits) == hours(36));
  CHECK(parsed("0s", kPkiDurationUnits) == seconds(0));
}

TEST_CASE("duration: each use has only its units") {
  CHECK(errorOf("1d", kConfigDurationUnits) == "the unit \"d\" is not one of ms, s, m, h");
  CHECK(errorOf("500ms", kPkiDurationUnits) == "the unit \"ms\" is not one of s, m, h, d, y");
  CHECK(errorOf("15", kConfigDurationUnits) == "the number 15 has no unit (units: ms, s, m, h)");
  CHECK(parsed("45", kPkiDurationUnits) == seconds(45));
  CHECK(errorOf("1h30", kPkiDurationUnits) == "the number 30 has no unit (units: s, m, h, d, y)");
}

TEST_CASE("duration: malformed text says where") {
  CHECK(errorOf("", kPkiDurationUnits) == "it is empty");
  CHECK(errorOf("h", kConfigDurationUnits) == "a number must come before each unit (at \"h\")");
  CHECK(errorOf("1h 30m", kConfigDurationUnits) == "the unit \"h \" is not one of ms, s, m, h");
  CHECK(errorOf("-1h", kConfigDurationUnits) == "a number must come before each unit (at \"-1h\")");
  CHECK(errorOf("1.h", kConfigDurationUnits) == "a decimal point must be followed by digits (at \"1.\")");
  CHECK(errorOf(".5h", kConfigDurationUnits) == "a number must come before each unit (at \".5h\")");
  CHECK(errorOf(std::string(65, '1') + "s", kPkiDurationUnits) == "it is longer than 64 characters");
}

TEST_CASE("duration: at most 100 years of 365.25 days, whatever the digits") {
  CHECK(parsed("876600h", kConfigDurationUnits) == signers::kMaxDuration);
  CHECK(parsed("100y25d", kPkiDurationUnits) == signers::kMaxDuration);
  CHECK(errorOf("100y25d1s", kPkiDurationUnits) == "it is longer than 100 years");
  CHECK(errorOf("876600h1ms", kConfigDurationUnits) == "it is longer than 100 years");
  CHECK(errorOf("876600.1h", kConfigDurationUnits) == "it is longer than 100 years");
  CHECK(errorOf("99999999999999999999999999s", kPkiDurationUnits) == "it is longer than 100 years");
  CHECK(errorOf("99999999999999999999999999", kPkiDurationUnits) == "it is longer than 100 years");
  CHECK(errorOf("500000h500000h", kConfigDurationUnits) == "it is longer than 100 years");
}
