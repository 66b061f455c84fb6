#include "RequestRate.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <limits>
#include <stdexcept>

namespace itest {
namespace {

// "2026-12-02T13:29:00.123456Z"
double epochSeconds(const std::string& rfc3339) {
  std::tm tm{};
  int fraction = 0, digits = 0;
  if (std::sscanf(rfc3339.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
                  &digits) != 6 ||
      digits == 0)
    throw std::runtime_error("not an RFC 3339 time with a fraction: " + rfc3339);
  const std::string rest = rfc3339.substr(static_cast<std::size_t>(digits));
  const auto end = rest.find_first_not_of("0123456789");
  const std::string frac = rest.substr(0, end);
  fraction = std::stoi(frac);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  double scale = 1;
  for (std::size_t i = 0; i < frac.size(); ++i) scale *= 10;
  return static_cast<double>(timegm(&tm)) + fraction / scale;
}

}  // namespace

std::vector<double> auditedWriteTimes(const std::string& path, const std::string& user) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the audit log " + path);
  std::vector<double> out;
  for (std::string line; std::getline(in, line);) {
    const auto e = nlohmann::json::parse(line);
    if (e["user"].value("username", "") == user) out.push_back(epochSeconds(e.value("stageTimestamp", "")));
  }
  return out;
}

double largestBurst(std::vector<double> times, double qps) {
  std::sort(times.begin(), times.end());
  // Relative to the first, so that qps * t keeps its microseconds.
  const double origin = times.empty() ? 0 : times.front();
  for (auto& t : times) t -= origin;
  // max over i <= j of (j - i + 1) - qps (t_j - t_i) = max over j of (j + 1 - qps t_j) + max over i <= j of (qps t_i - i).
  double best = 0, bestStart = -std::numeric_limits<double>::infinity();
  for (std::size_t j = 0; j < times.size(); ++j) {
    bestStart = std::max(bestStart, qps * times[j] - static_cast<double>(j));
    best = std::max(best, static_cast<double>(j + 1) - qps * times[j] + bestStart);
  }
  return best;
}

}  // namespace itest
