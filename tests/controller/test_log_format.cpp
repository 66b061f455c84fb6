// --logging-format text|json (controller/LogFormat.h): every line parses back to what was logged.
#include "controller/CommandLine.h"
#include "controller/CsrApprover.h"
#include "controller/LogFormat.h"
#include "tests/controller/FakeEnvironment.h"
#include "tests/controller/LogfmtParser.h"
#include "tests/controller/PolicyFixtures.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

using csrop::LogFields;
using csrop::LogFormat;

namespace {

// 2026-12-02T13:23:39.123Z
const auto kTime = std::chrono::system_clock::time_point(std::chrono::milliseconds(1796217819123LL));

// Hostile values: a requester-chosen name with a space and a forged field, quotes, a newline, a
// terminal escape, a C1 control and a backslash.
const LogFields kHostile = {{"csr", "csr-1"},
                            {"requester", "system:node:w1 reason=AutoApproved"},
                            {"message", "subject \"x\"\ndecision csr=evil \x1b[31m \xC2\x85 back\\slash"},
                            {"empty", ""}};

// Captures what spdlog's default logger writes while alive; restores the previous logger after.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("captured", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace

TEST_CASE("log format: text is logfmt, every value a requester controls comes back exactly, no field can be forged") {
  const auto line = csrop::formatLogLine(LogFormat::Text, kTime, spdlog::level::warn, "decision", kHostile);
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line.rfind("ts=2026-12-02T13:23:39.123Z level=warn msg=decision csr=csr-1 requester=\"system:node:w1 reason=AutoApproved\" ", 0) ==
        0);
  const auto pairs = logtest::parseLogfmt(line);
  REQUIRE(pairs);
  REQUIRE(pairs->size() == 7);
  CHECK((*pairs)[2] == std::pair<std::string, std::string>{"msg", "decision"});
  for (std::size_t i = 0; i < kHostile.size(); ++i) {
    CHECK((*pairs)[3 + i].first == kHostile[i].key);
    CHECK((*pairs)[3 + i].second == kHostile[i].value);
  }
  // An unstructured line is its msg, quoted when it needs to be.
  const auto plain = csrop::formatLogLine(LogFormat::Text, kTime, spdlog::level::info, "caches synced: starting 2 workers", {});
  CHECK(plain == "ts=2026-12-02T13:23:39.123Z level=info msg=\"caches synced: starting 2 workers\"");
}

TEST_CASE("log format: json is one object per line with ts, level, msg and the fields") {
  const auto line = csrop::formatLogLine(LogFormat::Json, kTime, spdlog::level::err, "decision", kHostile);
  CHECK(line.find('\n') == std::string::npos);
  const auto j = nlohmann::json::parse(line);
  CHECK(j["ts"].get<double>() == doctest::Approx(1796217819.123));
  CHECK(j["level"] == "error");
  CHECK(j["msg"] == "decision");
  for (const auto& f : kHostile) CHECK(j[f.key] == f.value);
  CHECK(line.rfind("{\"ts\":1796217819.123,\"level\":\"error\",\"msg\":\"decision\",\"csr\":\"csr-1\"", 0) == 0);
  const auto broken = nlohmann::json::parse(csrop::formatLogLine(LogFormat::Json, kTime, spdlog::level::info, "x", {{"cn", "bad \xFF"}}));
  CHECK(broken["cn"] == "bad \xEF\xBF\xBD");
}

TEST_CASE("log format: a decision through spdlog carries csr, signer, requester, decision and reason, in both formats") {
  auto csr = fixtures::csrFor("", "kubernetes.io/kubelet-serving", "system:node:w1", {}, {});
  csr.metadata.name = "csr-1";
  const auto verdict = csrop::Verdict::deny("IPNotOwnedByNode", "10.9.9.9 is not an address of node w1");
  for (const auto format : {LogFormat::Text, LogFormat::Json}) {
    CapturedLog log;
    csrop::useLogFormat(format);
    csrop::logEvent(spdlog::level::info, "decision", csrop::decisionFields(csr, "kubelet-serving", verdict));
    spdlog::warn("a plain line with \"quotes\"");
    csrop::logEvent(spdlog::level::debug, "not shown", {});
    const auto lines = log.lines();
    REQUIRE(lines.size() == 2);
    // The fields of one line, whichever the format.
    const auto fieldsOf = [format](const std::string& line) {
      std::map<std::string, std::string> fields;
      if (format == LogFormat::Json) {
        const auto j = nlohmann::json::parse(line);
        for (const auto& [k, v] : j.items())
          if (v.is_string()) fields[k] = v.get<std::string>();
      } else {
        const auto pairs = logtest::parseLogfmt(line);
        REQUIRE(pairs);
        for (const auto& [k, v] : *pairs) fields[k] = v;
      }
      return fields;
    };
    auto decision = fieldsOf(lines[0]);
    auto plain = fieldsOf(lines[1]);
    CHECK(decision["msg"] == "decision");
    CHECK(decision["level"] == "info");
    CHECK(decision["csr"] == "csr-1");
    CHECK(decision["signer"] == "kubernetes.io/kubelet-serving");
    CHECK(decision["requester"] == "system:node:w1");
    CHECK(decision["decision"] == "deny");
    CHECK(decision["reason"] == "IPNotOwnedByNode");
    CHECK(decision["message"] == "10.9.9.9 is not an address of node w1");
    CHECK(plain["msg"] == "a plain line with \"quotes\"");
    CHECK(plain["level"] == "warn");
  }
}

TEST_CASE("log format: the names are text and json") {
  CHECK(csrop::parseLogFormat("text") == LogFormat::Text);
  CHECK(csrop::parseLogFormat("json") == LogFormat::Json);
  CHECK_FALSE(csrop::parseLogFormat("logfmt"));
}

TEST_CASE("log format: --logging-format and CSR_OPERATOR_LOGGING_FORMAT choose it, the flag first, anything else is a usage error") {
  const configtest::FakeEnvironment none, json({{"CSR_OPERATOR_LOGGING_FORMAT", "json"}});
  CHECK(csrop::parseCommandLine({"run", "--config", "c.yaml"}, none).logFormat == LogFormat::Text);
  CHECK(csrop::parseCommandLine({"run", "--config", "c.yaml", "--logging-format=json"}, none).logFormat == LogFormat::Json);
  CHECK(csrop::parseCommandLine({"run", "--config", "c.yaml"}, json).logFormat == LogFormat::Json);
  CHECK(csrop::parseCommandLine({"run", "--config", "c.yaml", "--logging-format", "text"}, json).logFormat == LogFormat::Text);
  CHECK_THROWS_WITH_AS(csrop::parseCommandLine({"run", "--config", "c.yaml", "--logging-format", "yaml"}, none),
                       "--logging-format is 'yaml'; write text or json", csrop::UsageError);
  CHECK_THROWS_WITH_AS(
      csrop::parseCommandLine({"run", "--config", "c.yaml"}, configtest::FakeEnvironment({{"CSR_OPERATOR_LOGGING_FORMAT", "xml"}})),
      "environment variable CSR_OPERATOR_LOGGING_FORMAT is 'xml'; write text or json", csrop::UsageError);
}
