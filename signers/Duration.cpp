#include "signers/Duration.h"

#include <array>
#include <cstdint>
#include <string>

namespace signers {
namespace {

using std::chrono::nanoseconds;

struct DurationUnit {
  std::string_view symbol;
  nanoseconds length;
};
using R = Result<nanoseconds>;

constexpr std::size_t kMaxChars = 64;
constexpr int64_t kMaxNanos = std::chrono::duration_cast<nanoseconds>(kMaxDuration).count();

constexpr std::array kUnits = {
    DurationUnit{"ns", std::chrono::nanoseconds(1)},
    DurationUnit{"us", std::chrono::microseconds(1)},
    DurationUnit{"\u00b5s", std::chrono::microseconds(1)},  // Go accepts both micro signs
    DurationUnit{"\u03bcs", std::chrono::microseconds(1)},
    DurationUnit{"ms", std::chrono::milliseconds(1)},
    DurationUnit{"s", std::chrono::seconds(1)},
    DurationUnit{"m", std::chrono::minutes(1)},
    DurationUnit{"h", std::chrono::hours(1)},
    DurationUnit{"d", std::chrono::hours(24)},
};
constexpr std::string_view kUnitList = "ns, us, ms, s, m, h, d";

bool isDigit(char c) { return c >= '0' && c <= '9'; }

const DurationUnit* findUnit(std::string_view symbol) {
  for (const auto& u : kUnits) {
    if (u.symbol == symbol) return &u;
  }
  return nullptr;
}

// Whole units, saturating at kMaxNanos + 1 so that no digit string can overflow.
int64_t wholeNanos(std::string_view digits, int64_t unit) {
  int64_t count = 0;
  for (char c : digits) {
    count = count * 10 + (c - '0');
    if (count > kMaxNanos / unit) return kMaxNanos + 1;
  }
  return count * unit;
}

// Truncated like Go's time.ParseDuration: each further digit is worth a tenth of the one before.
int64_t fractionNanos(std::string_view digits, int64_t unit) {
  int64_t total = 0;
  int64_t scale = unit;
  for (char c : digits) {
    scale /= 10;
    if (scale == 0) break;
    total += (c - '0') * scale;
  }
  return total;
}

}  // namespace

Result<nanoseconds> parseDuration(std::string_view text) {
  if (text.empty()) return R::fail("it is empty");
  if (text.size() > kMaxChars) return R::fail("it is longer than " + std::to_string(kMaxChars) + " characters");
  if (text == "0") return R::ok(nanoseconds(0));
  int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t wholeStart = i;
    while (i < text.size() && isDigit(text[i])) ++i;
    const std::string_view whole = text.substr(wholeStart, i - wholeStart);
    if (whole.empty()) return R::fail("a number must come before each unit (at \"" + std::string(text.substr(wholeStart)) + "\")");
    std::string_view fraction;
    if (i < text.size() && text[i] == '.') {
      const std::size_t fractionStart = ++i;
      while (i < text.size() && isDigit(text[i])) ++i;
      fraction = text.substr(fractionStart, i - fractionStart);
      if (fraction.empty()) return R::fail("a decimal point must be followed by digits (at \"" + std::string(whole) + ".\")");
    }
    const std::size_t unitStart = i;
    while (i < text.size() && !isDigit(text[i]) && text[i] != '.') ++i;
    const std::string_view symbol = text.substr(unitStart, i - unitStart);
    if (symbol.empty())
      return R::fail("the number " + std::string(text.substr(wholeStart, i - wholeStart)) +
                     " has no unit (units: " + std::string(kUnitList) + ")");
    const DurationUnit* unit = findUnit(symbol);
    if (unit == nullptr && symbol == "y")
      return R::fail("the unit \"y\" is not one of " + std::string(kUnitList) + "; a year has no fixed length: write 365d or 8760h");
    if (unit == nullptr) return R::fail("the unit \"" + std::string(symbol) + "\" is not one of " + std::string(kUnitList));
    const int64_t length = unit->length.count();
    total += wholeNanos(whole, length);
    if (total <= kMaxNanos) total += fractionNanos(fraction, length);
    if (total > kMaxNanos) return R::fail("it is longer than 100 years");
  }
  return R::ok(nanoseconds(total));
}

}  // namespace signers
