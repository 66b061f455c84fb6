#include "controller/LogFormat.h"

#include "signers/LogText.h"

#include <nlohmann/json.hpp>
#include <spdlog/formatter.h>
#include <spdlog/spdlog.h>

#include <ctime>

namespace csrop {
namespace {

// The fields of the event being logged on this thread; set by logEvent around the one synchronous
// spdlog call, read by the formatter it ends in.
thread_local const LogFields* tEventFields = nullptr;

// The names logLevel is written with (ConfigLoader), not spdlog's "warning".
std::string_view levelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    case spdlog::level::err: return "error";
    case spdlog::level::critical: return "critical";
    case spdlog::level::off:
    case spdlog::level::n_levels: break;
  }
  return "off";
}

// logfmt: a value of plain printable ASCII without space, quote, backslash or '=' stands bare;
// anything else is quoted and escaped.
void appendLogfmtValue(std::string& out, std::string_view value) {
  bool bare = !value.empty();
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F || c == '"' || c == '=' || c == '\\') bare = false;
  }
  if (bare) {
    out += value;
  } else {
    out += '"';
    out += signers::escapeForLog(value);
    out += '"';
  }
}

std::string rfc3339Millis(std::chrono::system_clock::time_point ts) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(ts.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  char out[40];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

class LineFormatter : public spdlog::formatter {
 public:
  explicit LineFormatter(LogFormat format) : format_(format) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    static const LogFields none;
    const std::string line = formatLogLine(format_, msg.time, msg.level, std::string_view(msg.payload.data(), msg.payload.size()),
                                           tEventFields ? *tEventFields : none);
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<LineFormatter>(format_); }

 private:
  LogFormat format_;
};

}  // namespace

std::optional<LogFormat> parseLogFormat(std::string_view name) {
  if (name == "text") return LogFormat::Text;
  if (name == "json") return LogFormat::Json;
  return std::nullopt;
}

void useLogFormat(LogFormat format) { spdlog::set_formatter(std::make_unique<LineFormatter>(format)); }

void logEvent(spdlog::level::level_enum level, std::string_view msg, const LogFields& fields) {
  auto* logger = spdlog::default_logger_raw();
  if (!logger->should_log(level)) return;
  tEventFields = &fields;
  logger->log(level, "{}", msg);
  tEventFields = nullptr;
}

std::string formatLogLine(LogFormat format, std::chrono::system_clock::time_point ts, spdlog::level::level_enum level, std::string_view msg,
                          const LogFields& fields) {
  if (format == LogFormat::Json) {
    // ordered_json keeps ts, level, msg first and the fields in the order the event gives them.
    nlohmann::ordered_json line;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(ts.time_since_epoch()).count();
    line["ts"] = static_cast<double>(ms) / 1000.0;
    line["level"] = levelName(level);
    line["msg"] = msg;
    for (const auto& f : fields) line[f.key] = f.value;
    // A requester's bytes that are not UTF-8 become U+FFFD instead of making the line unwritable.
    return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  }
  std::string line = "ts=" + rfc3339Millis(ts) + " level=" + std::string(levelName(level)) + " msg=";
  appendLogfmtValue(line, msg);
  for (const auto& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    appendLogfmtValue(line, f.value);
  }
  return line;
}

}  // namespace csrop
