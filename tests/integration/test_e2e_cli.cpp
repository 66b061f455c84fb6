// The real binary's command line (issue 16): what main wires around controller/Commands.h.
#include "Scenario.h"
#include "tests/controller/LogfmtParser.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>

namespace {

struct Ran {
  int code;
  std::string output;
};

// output: stdout and stderr, or stdout alone.
Ran shell(const std::string& command, bool withStderr = true) {
  Ran r{-1, {}};
  FILE* pipe = ::popen((command + (withStderr ? " 2>&1" : " 2>/dev/null")).c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) r.output.append(buffer, n);
  const int status = ::pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string binary() { return "'" + itest::operatorBinary() + "'"; }

}  // namespace

TEST_CASE("e2e cli: --version, a short usage error with exit 2, and bash completion from the binary") {
  const auto version = shell(binary() + " --version");
  CHECK(version.code == 0);
  CHECK(std::regex_match(version.output, std::regex("csr-operator [0-9.]+ \\(commit ([0-9a-f]{12}|unknown)\\)\n")));
  const auto mistake = shell(binary() + " run --config c.yaml --frobnicate");
  CHECK(mistake.code == 2);
  CHECK(mistake.output == "csr-operator: unknown flag '--frobnicate' for run\nsee 'csr-operator run --help'\n");
  CHECK(shell(binary() + " pki renew --help").code == 0);
  const auto completed =
      shell("bash -c 'source <(\"" + itest::operatorBinary() +
            "\" completion bash); COMP_WORDS=(csr-operator check); COMP_CWORD=1; _csr_operator; echo \"${COMPREPLY[@]}\"'");
  CHECK(completed.code == 0);
  CHECK(completed.output == "check-config\n");
}

TEST_CASE("e2e cli: --logging-format=json writes one JSON object per line, text one logfmt line, both with the decision fields") {
  itest::Scenario s;
  for (const std::string format : {"json", "text"}) {
    CAPTURE(format);
    itest::OperatorProcess op(s.cluster, "log-" + format, s.config(), s.operatorKubeconfig(), {"--logging-format=" + format});
    op.start();
    const std::string name = "honest-" + format;
    s.createServing(name, "worker-1", itest::Scenario::servingRequest("worker-1", {"worker-1"}, {"10.0.0.1"}));
    CHECK(itest::isIssued(itest::waitForCsr(s.cluster.admin(), name, itest::isIssued)));
    CHECK(op.stop() == 0);
    std::istringstream lines(op.log());
    int parsed = 0;
    std::map<std::string, std::string> decision, issued;
    for (std::string line; std::getline(lines, line);) {
      CAPTURE(line);
      std::map<std::string, std::string> fields;
      if (format == "json") {
        const auto j = nlohmann::json::parse(line, nullptr, false);
        REQUIRE_FALSE(j.is_discarded());
        CHECK(j.contains("ts"));
        for (const auto& [k, v] : j.items())
          if (v.is_string()) fields[k] = v.get<std::string>();
      } else {
        const auto pairs = logtest::parseLogfmt(line);
        REQUIRE(pairs);
        for (const auto& [k, v] : *pairs) fields[k] = v;
        CHECK(fields.count("ts"));
      }
      CHECK(fields.count("level"));
      CHECK(fields.count("msg"));
      if (fields["msg"] == "decision" && fields["csr"] == name) decision = fields;
      if (fields["msg"] == "issued" && fields["csr"] == name) issued = fields;
      ++parsed;
    }
    CHECK(parsed > 5);
    CHECK(decision["signer"] == "kubernetes.io/kubelet-serving");
    CHECK(decision["requester"] == "system:node:worker-1");
    CHECK(decision["decision"] == "approve");
    CHECK(decision["reason"] == "AutoApproved");
    CHECK(issued["decision"] == "issued");
  }
}

TEST_CASE("e2e cli: explain NAME evaluates a pending CSR against the cluster, and writes nothing") {
  testpki::TempDir dir;
  const auto audit = (dir.path() / "audit.log").string();
  itest::ClusterOptions options;
  options.extraArgs = {"--audit-log", audit};
  itest::Scenario s(options);
  s.createServing("explained-honest", "worker-1", itest::Scenario::servingRequest("worker-1", {"worker-1"}, {"10.0.0.1"}));
  s.createServing("explained-taker", "worker-1", itest::Scenario::servingRequest("worker-1", {"worker-1"}, {"10.0.0.2"}));
  const auto config = dir.write("config.yaml", s.config());
  const auto lines = [&] {
    std::ifstream in(audit);
    return std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n');
  };
  const auto writesBefore = lines();
  REQUIRE(writesBefore >= 2);  // the two CSRs

  const std::string explain = binary() + " explain --config '" + config + "' --kubeconfig '" + s.operatorKubeconfig() + "' --timeout 20s ";
  const auto honest = shell(explain + "explained-honest", false);
  CAPTURE(honest.output);
  CHECK(honest.code == 0);
  CHECK(honest.output.find(
            "csr: explained-honest signer=\"kubernetes.io/kubelet-serving\" requester=\"system:node:worker-1\" mode=cluster\n") == 0);
  CHECK(honest.output.find("kubelet-serving nodeExists passed: the Node exists\n") != std::string::npos);
  CHECK(honest.output.find("kubelet-serving addressOwnership passed: ") != std::string::npos);
  CHECK(honest.output.find("verdict: approve reason=AutoApproved ") != std::string::npos);

  const auto taker = shell(explain + "explained-taker -o json", false);
  CHECK(taker.code == 1);
  const auto j = nlohmann::json::parse(taker.output, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  CHECK(j["mode"] == "cluster");
  CHECK(j["verdict"]["reason"] == "AddressClaimedByOtherNode");

  const auto missing = shell(explain + "no-such-csr");
  CHECK(missing.code == 4);
  CHECK(missing.output.find("certificatesigningrequest \"no-such-csr\" not found") != std::string::npos);

  CHECK(lines() == writesBefore);
  for (const std::string name : {"explained-honest", "explained-taker"}) {
    CAPTURE(name);
    const auto csr = s.cluster.admin().get<k8s::CertificateSigningRequest>(name);
    CHECK(csr.status.conditions.empty());
    CHECK(csr.status.certificate.empty());
  }
}
