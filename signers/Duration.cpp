#include "signers/Duration.h"

#include <array>
#include <cstdint>
#include <string>

namespace signers {
namespace {

using std::chrono::nanoseconds;
using R = Result<nanoseconds>;

constexpr std::size_t kMaxChars = 64;
constexpr int64_t kMaxNanos = std::chrono::duration_cast<nanoseconds>(kMaxDuration).count();

constexpr std::array kConfigUnits = {
    DurationUnit{"ms", std::chrono::milliseconds(1)},
    DurationUnit{"s", std::chrono::seconds(1)},
    DurationUnit{"m", std::chrono::minutes(1)},
    DurationUnit{"h", std::chrono::hours(1)},
};
constexpr std::array kPkiUnits = {
    DurationUnit{"s", std::chrono::seconds(1)}, DurationUnit{"m", std::chrono::minutes(1)},      DurationUnit{"h", std::chrono::hours(1)},
    DurationUnit{"d", std::chrono::hours(24)},  DurationUnit{"y", std::chrono::hours(24 * 365)},
};

bool isDigit(char c) { return c >= '0' && c <= '9'; }

std::string unitList(const DurationUnits& units) {
  std::string out;
  for (const auto& u : units.units) out += (out.empty() ? "" : ", ") + std::string(u.symbol);
  return out;
}

const DurationUnit* findUnit(std::string_view symbol, const DurationUnits& units) {
  for (const auto& u : units.units) {
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

const DurationUnits kConfigDurationUnits{kConfigUnits, false};
const DurationUnits kPkiDurationUnits{kPkiUnits, true};

Result<nanoseconds> parseDuration(std::string_view text, const DurationUnits& units) {
  if (text.empty()) return R::fail("it is empty");
  if (text.size() > kMaxChars) return R::fail("it is longer than " + std::to_string(kMaxChars) + " characters");
  if (units.bareNumberIsSeconds && text.find_first_not_of("0123456789") == std::string_view::npos) {
    const int64_t total = wholeNanos(text, std::chrono::duration_cast<nanoseconds>(std::chrono::seconds(1)).count());
    if (total > kMaxNanos) return R::fail("it is longer than 100 years");
    return R::ok(nanoseconds(total));
  }
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
      return R::fail("the number " + std::string(text.substr(wholeStart, i - wholeStart)) + " has no unit (units: " + unitList(units) +
                     ")");
    const DurationUnit* unit = findUnit(symbol, units);
    if (unit == nullptr) return R::fail("the unit \"" + std::string(symbol) + "\" is not one of " + unitList(units));
    const int64_t length = unit->length.count();
    total += wholeNanos(whole, length);
    if (total <= kMaxNanos) total += fractionNanos(fraction, length);
    if (total > kMaxNanos) return R::fail("it is longer than 100 years");
  }
  return R::ok(nanoseconds(total));
}

}  // namespace signers
