#pragma once
// The one duration grammar of csr-operator, wherever a duration is written: the configuration file,
// --set, the named flags and environment variables (all read by controller/ConfigLoader), and the
// pki flags. It is Go's time.ParseDuration (what Kubernetes reads a metav1.Duration and
// kube-controller-manager's --cluster-signing-duration with) without a sign, plus `d` for 24 hours,
// which certificate lifetimes are usually written in: terms of a number and a unit written together
// ("1h30m", "1.5h", "90d"), units ns, us (or µs), ms, s, m, h, d; "0" alone is zero, as in Go; no
// other bare number, no `y` (a year has no fixed length: write 365d or 8760h), no spaces; at most 64
// characters, totalling at most 100 years (36,525 days). docs/configuration.md, "Durations".
#include <chrono>
#include <string_view>

#include "signers/Result.h"

namespace signers {

constexpr std::chrono::hours kMaxDuration{100 * 8766};  // 100 years of 365.25 days

// The error says what is wrong, without repeating the text ("the unit "x" is not one of ...").
Result<std::chrono::nanoseconds> parseDuration(std::string_view text);

}  // namespace signers
