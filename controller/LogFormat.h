// The shape of every log line (`logFormat`, flag --logging-format as klog/component-base name it):
// text, one logfmt line per event (ts=2026-12-02T13:23:39.123Z level=info msg=decision csr=...),
// values quoted and escaped (signers/LogText.h) whenever they hold anything but plain characters,
// so a requester's name cannot add a field; or json, one object per line with ts (seconds since
// the epoch, as component-base's JSON logger writes it), level, msg and the event's fields.
// A structured event (logEvent) carries its fields; any other spdlog line is its msg alone.
#pragma once

#include <spdlog/common.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace csrop {

enum class LogFormat { Text, Json };

struct LogField {
  std::string key;
  std::string value;
};
using LogFields = std::vector<LogField>;

std::optional<LogFormat> parseLogFormat(std::string_view name);  // "text" | "json"

// Installs the format on spdlog's default logger (synchronous, so logEvent's fields reach the formatter).
void useLogFormat(LogFormat format);

// One event: msg is a short constant ("decision", "issued"), the fields say which object and what.
void logEvent(spdlog::level::level_enum level, std::string_view msg, const LogFields& fields);

// The line as written, without the newline.
std::string formatLogLine(LogFormat format, std::chrono::system_clock::time_point ts, spdlog::level::level_enum level, std::string_view msg,
                          const LogFields& fields);

}  // namespace csrop
