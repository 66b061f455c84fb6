// The whole /metrics exposition of the real binary, checked by Prometheus' own parser and linter
// (`promtool check metrics`, Debian's prometheus package, installed by scripts/install-deps.sh),
// and the families operators alert on: build info, process metrics, CA expiry under its new and
// its deprecated name, and the per-signer CSR backlog.
#include "Scenario.h"

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <sys/wait.h>

using namespace itest;

namespace {

struct Run {
  int rc = -1;
  std::string output;
};

Run runShell(const std::string& command) {
  Run r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  REQUIRE_MESSAGE(p != nullptr, "cannot run: " << command);
  std::array<char, 4096> buf{};
  for (std::size_t n; (n = std::fread(buf.data(), 1, buf.size(), p)) > 0;) r.output.append(buf.data(), n);
  const int status = pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

double nowSeconds() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

const char* kServing = "signer=\"kubernetes.io/kubelet-serving\"";
const char* kClient = "signer=\"kubernetes.io/kube-apiserver-client-kubelet\"";

}  // namespace

TEST_CASE("e2e metrics: the exposition passes promtool check metrics and carries build, process, CA expiry and backlog families") {
  REQUIRE_MESSAGE(runShell("command -v promtool").rc == 0, "promtool is missing: run scripts/install-deps.sh (Debian package prometheus)");
  Scenario s;
  // Client CSRs are signed but not approved here (KCM's csrapproving would), so one stays pending.
  OperatorProcess op(s.cluster, "metrics", s.config(false, "approver: {kubeletClient: {enabled: false}}\n"), s.operatorKubeconfig());
  op.start();
  s.createServing("m-serving", "worker-1", Scenario::servingRequest("worker-1", {"worker-1"}, {"10.0.0.1"}));
  CHECK(isIssued(waitForCsr(s.cluster.admin(), "m-serving", isIssued)));
  s.cluster.createCsr(s.cluster.nodeKubeconfig("worker-2"), "m-client", testpki::makeCsr(testpki::nodeClientCsr("worker-2")),
                      "kubernetes.io/kube-apiserver-client-kubelet", {"digital signature", "client auth"});
  REQUIRE(eventually([&] { return op.metric("csr_operator_pending_csrs", {kClient}) == 1; }, std::chrono::seconds(20)));

  const std::string text = op.metrics();
  testpki::TempDir dir;
  const std::string file = dir.write("metrics.txt", text);
  const Run lint = runShell("promtool check metrics < '" + file + "'");
  INFO("promtool check metrics:\n" << lint.output << "\nexposition:\n" << text);
  CHECK(lint.rc == 0);
  CHECK(lint.output.empty());

  CHECK(op.metric("csr_operator_build_info", {"version=\"" CSR_OPERATOR_VERSION "\"", "commit=\""}) == 1);
  CHECK(text.find("csr_operator_build_info{version=\"" CSR_OPERATOR_VERSION "\",commit=\"unknown\"}") == std::string::npos);

  CHECK(op.metric("process_cpu_seconds_total") > 0);
  CHECK(op.metric("process_resident_memory_bytes") > 1024 * 1024);
  CHECK(op.metric("process_open_fds") >= 3);
  const double started = op.metric("process_start_time_seconds");
  CHECK(started <= nowSeconds() + 1);
  CHECK(started > nowSeconds() - 300);

  for (const char* signer : {kServing, kClient}) {
    INFO(signer);
    const double expires = op.metric("csr_operator_ca_expiration_timestamp_seconds", {signer});
    CHECK(expires > nowSeconds() + 24 * 3600);
    CHECK(op.metric("csr_operator_ca_not_after_seconds", {signer}) == expires);
  }
  CHECK(text.find("# HELP csr_operator_ca_not_after_seconds Deprecated") != std::string::npos);

  CHECK(op.metric("csr_operator_pending_csrs", {kServing}) == 0);
  CHECK(op.metric("csr_operator_oldest_pending_csr_age_seconds", {kServing}) == 0);
  CHECK(op.metric("csr_operator_oldest_pending_csr_age_seconds", {kClient}) >= 0);
  CHECK(text.find(std::string("csr_operator_oldest_pending_csr_age_seconds{") + kClient + "}") != std::string::npos);
  CHECK(op.metric("csr_operator_approved_unissued_csrs", {kServing}) == 0);
  CHECK(op.metric("csr_operator_approved_unissued_csrs", {kClient}) == 0);
  CHECK(op.stop() == 0);
}
