#include "controller/ProcessMetrics.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace csrop {
namespace {

std::optional<std::string> readFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The fields of /proc/self/stat after the command name, which is in parentheses and may itself
// contain spaces and parentheses (proc(5)): fields[0] is field 3 (state).
std::optional<std::vector<std::string>> statFields(const std::string& stat) {
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(stat.substr(close + 1));
  std::vector<std::string> fields;
  for (std::string f; in >> f;) fields.push_back(f);
  if (fields.size() < 22) return std::nullopt;
  return fields;
}

std::optional<double> bootTime(const std::string& procStat) {
  std::istringstream in(procStat);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  return std::nullopt;
}

double field(const std::vector<std::string>& fields, int number) { return std::stod(fields.at(static_cast<std::size_t>(number - 3))); }

}  // namespace

std::optional<ProcessStats> readProcessStats(const std::filesystem::path& procRoot) {
  const auto stat = readFile(procRoot / "self" / "stat");
  const auto procStat = readFile(procRoot / "stat");
  if (!stat || !procStat) return std::nullopt;
  const auto fields = statFields(*stat);
  if (!fields) return std::nullopt;
  try {
    const auto btime = bootTime(*procStat);
    if (!btime) return std::nullopt;
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
    ProcessStats s;
    s.cpuSeconds = (field(*fields, 14) + field(*fields, 15)) / ticks;
    s.residentBytes = field(*fields, 24) * page;
    s.startTimeSeconds = *btime + field(*fields, 22) / ticks;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(procRoot / "self" / "fd", ec), end; !ec && it != end; it.increment(ec)) s.openFds += 1;
    if (ec) return std::nullopt;
    return s;
  } catch (const std::exception&) {  // std::stod on a field that is not a number
    return std::nullopt;
  }
}

void updateProcessMetrics(Metrics& metrics, const std::filesystem::path& procRoot) {
  const auto s = readProcessStats(procRoot);
  if (!s) return;
  metrics.set(metric::kProcessCpuSeconds, {}, s->cpuSeconds);
  metrics.set(metric::kProcessResidentMemory, {}, s->residentBytes);
  metrics.set(metric::kProcessOpenFds, {}, s->openFds);
  metrics.set(metric::kProcessStartTime, {}, s->startTimeSeconds);
}

}  // namespace csrop
