// The process_* metrics every Prometheus client library exports (client_golang's process
// collector reads the same procfs files): CPU time, resident memory, open file descriptors and
// start time, read at scrape time, so dashboards and alerts written for any exporter work here.
#pragma once

#include "controller/Metrics.h"

#include <filesystem>
#include <optional>

namespace csrop {

struct ProcessStats {
  double cpuSeconds = 0;        // user + system time, /proc/self/stat fields 14 and 15
  double residentBytes = 0;     // field 24 (rss, in pages) times the page size
  double openFds = 0;           // entries of /proc/self/fd
  double startTimeSeconds = 0;  // btime of /proc/stat plus field 22 (starttime, in clock ticks)
};

// procRoot is /proc except in tests. nullopt when a file is missing or does not parse.
std::optional<ProcessStats> readProcessStats(const std::filesystem::path& procRoot = "/proc");

// Sets the four process_* gauges and counter; leaves them unset when /proc cannot be read.
void updateProcessMetrics(Metrics& metrics, const std::filesystem::path& procRoot = "/proc");

}  // namespace csrop
