#pragma once
// The one duration grammar of csr-operator, for its configuration and for the pki command line:
// terms of a number and a unit written together ("1h30m", "1.5h", "90d"), no sign, no spaces, at
// most 64 characters, totalling at most 100 years (36,525 days). Each use only picks its units.
#include <chrono>
#include <span>
#include <string_view>

#include "signers/Result.h"

namespace signers {

struct DurationUnit {
  std::string_view symbol;
  std::chrono::nanoseconds length;
};

struct DurationUnits {
  std::span<const DurationUnit> units;
  bool bareNumberIsSeconds;  // "45" alone means 45s
};

// The configuration's units: those of Go's time.ParseDuration that make sense for it (ms, s, m, h),
// as Kubernetes reads a metav1.Duration (apimachinery/pkg/apis/meta/v1/duration.go).
extern const DurationUnits kConfigDurationUnits;
// The pki flags' units: s, m, h, d (24h), y (365d), and a bare number of seconds.
extern const DurationUnits kPkiDurationUnits;

constexpr std::chrono::hours kMaxDuration{100 * 8766};  // 100 years of 365.25 days

// The error says what is wrong, without repeating the text ("the unit "x" is not one of ms, s, m, h").
Result<std::chrono::nanoseconds> parseDuration(std::string_view text, const DurationUnits& units);

}  // namespace signers
