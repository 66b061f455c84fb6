#include "k8sclient/Backoff.h"

#include <algorithm>
#include <cctype>
#include <random>

namespace k8s {

namespace {
double defaultRandom() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
}
}  // namespace

Backoff::Backoff(BackoffPolicy policy, std::function<double()> random)
    : policy_(policy), random_(random ? std::move(random) : std::function<double()>(defaultRandom)) {}

std::chrono::milliseconds Backoff::next() {
  double base = static_cast<double>(policy_.base.count());
  double cap = static_cast<double>(policy_.cap.count());
  double d = base;
  for (int i = 0; i < attempt_ && d < cap; ++i) d *= 2;
  d = std::min(d, cap);
  ++attempt_;
  double factor = 1.0 + policy_.jitter * (2.0 * random_() - 1.0);
  d = std::clamp(d * factor, 0.0, cap);
  return std::chrono::milliseconds(static_cast<long long>(d));
}

std::optional<std::chrono::seconds> parseRetryAfter(const std::string& value) {
  size_t b = value.find_first_not_of(" \t");
  size_t e = value.find_last_not_of(" \t");
  if (b == std::string::npos) return std::nullopt;
  std::string v = value.substr(b, e - b + 1);
  if (v.empty() || v.size() > 9) return std::nullopt;
  for (char c : v)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  return std::chrono::seconds(std::stol(v));
}

}  // namespace k8s
