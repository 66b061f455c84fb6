#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "signers/Duration.h"

using namespace std::chrono;

namespace {

nanoseconds parsed(const std::string& text) {
  auto d = signers::parseDuration(text);
  REQUIRE_MESSAGE(d.ok(), text << ": " << d.error());
  return d.value();
}

std::string errorOf(const std::string& text) {
  auto d = signers::parseDuration(text);
  REQUIRE_MESSAGE(!d.ok(), text << " parsed");
  return d.error();
}

}  // namespace

TEST_CASE("duration: one grammar, terms of a number and a unit written together") {
  CHECK(parsed("1h30m") == minutes(90));
  CHECK(parsed("500ms") == milliseconds(500));
  CHECK(parsed("1.5h") == minutes(90));
  CHECK(parsed("0.0000001ms") == nanoseconds(0));
  CHECK(parsed("90d") == hours(24 * 90));
  CHECK(parsed("365d1d") == hours(24 * 366));
  CHECK(parsed("1.5d") == hours(36));
  CHECK(parsed("0s") == seconds(0));
}

TEST_CASE("duration: Go's units (time.ParseDuration) and d") {
  CHECK(parsed("1ns") == nanoseconds(1));
  CHECK(parsed("2us") == microseconds(2));
  CHECK(parsed("2\u00b5s") == microseconds(2));
  CHECK(parsed("2\u03bcs") == microseconds(2));
  CHECK(parsed("8760h") == parsed("365d"));
  // Go takes "0" without a unit, and no other bare number.
  CHECK(parsed("0") == nanoseconds(0));
  CHECK(errorOf("15") == "the number 15 has no unit (units: ns, us, ms, s, m, h, d)");
  CHECK(errorOf("1h30") == "the number 30 has no unit (units: ns, us, ms, s, m, h, d)");
  CHECK(errorOf("1y") == "the unit \"y\" is not one of ns, us, ms, s, m, h, d; a year has no fixed length: write 365d or 8760h");
  CHECK(errorOf("1w") == "the unit \"w\" is not one of ns, us, ms, s, m, h, d");
}

TEST_CASE("duration: malformed text says where") {
  CHECK(errorOf("") == "it is empty");
  CHECK(errorOf("h") == "a number must come before each unit (at \"h\")");
  CHECK(errorOf("1h 30m") == "the unit \"h \" is not one of ns, us, ms, s, m, h, d");
  CHECK(errorOf("-1h") == "a number must come before each unit (at \"-1h\")");
  CHECK(errorOf("+1h") == "a number must come before each unit (at \"+1h\")");
  CHECK(errorOf("1.h") == "a decimal point must be followed by digits (at \"1.\")");
  CHECK(errorOf(".5h") == "a number must come before each unit (at \".5h\")");
  CHECK(errorOf(std::string(65, '1') + "s") == "it is longer than 64 characters");
}

TEST_CASE("duration: at most 100 years of 365.25 days, whatever the digits") {
  CHECK(parsed("876600h") == signers::kMaxDuration);
  CHECK(parsed("36525d") == signers::kMaxDuration);
  CHECK(errorOf("36525d1s") == "it is longer than 100 years");
  CHECK(errorOf("876600h1ms") == "it is longer than 100 years");
  CHECK(errorOf("876600.1h") == "it is longer than 100 years");
  CHECK(errorOf("99999999999999999999999999s") == "it is longer than 100 years");
  CHECK(errorOf("500000h500000h") == "it is longer than 100 years");
}
