// A watch the API server keeps open but never writes to again (a dead stream behind a proxy) is
// noticed after client.watchSilenceTimeout and re-opened from its resourceVersion, for every
// resource the operator watches: what changed meanwhile reaches the CSR decisions within that bound,
// not after the watch's own timeout (300 s).
#include "Scenario.h"

#include <doctest/doctest.h>

using namespace itest;
using namespace std::chrono_literals;

namespace {

// The bound the operator is configured with, and what a busy two-core machine may add to it: a
// re-list-free re-open, the replayed event and one sync of the CSR.
constexpr auto kSilence = 5s;  // the smallest client.watchSilenceTimeout the operator accepts
constexpr auto kMargin = 7s;

// Bookmarks every second keep healthy watches talking well inside the 5 s bound, so the only
// silent watches are the ones the test silences.
ClusterOptions chattyBookmarks() {
  ClusterOptions o;
  o.bookmarkIntervalSeconds = 1;
  return o;
}

std::string silentWatchConfig(const Scenario& s, const std::string& extra) {
  return s.config(false, "client: {watchSilenceTimeout: 5s}\n" + extra);
}

size_t occurrences(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

std::string reopenedLine(const std::string& kind) { return "informer " + kind + ": watch silent for 5 s"; }

struct Running {
  Scenario& s;
  OperatorProcess op;
  Running(Scenario& scenario, const std::string& name, const std::string& extraConfig = "")
      : s(scenario), op(scenario.cluster, name, silentWatchConfig(scenario, extraConfig), scenario.operatorKubeconfig()) {
    op.start();
    REQUIRE(eventually([&] { return httpGet(op.port(), "/readyz").first == 200; }, 15s));
  }

  // Silences the operator's open watches on `resource`; it must have one open (it re-opens them
  // after each timeoutSeconds, so one may be between two).
  void silence(const std::string& resource) {
    REQUIRE(eventually(
        [&] {
          const nlohmann::json fault = {{"silenceOpenWatches", nlohmann::json{{"resource", resource}}}};
          auto r = s.cluster.admin().requestJson("POST", "/fake/faults", fault);
          return r.at("applied").at(0).at("silenceOpenWatches").get<size_t>() > 0;
        },
        5s));
  }

  // The operator says it re-opened a silent watch on `kind` (again) before the deadline.
  void requireReopened(const std::string& kind, size_t before, std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    CAPTURE(kind);
    REQUIRE(eventually([&] { return occurrences(op.log(), reopenedLine(kind)) > before; }, left));
  }
};

k8s::CertificateSigningRequest decidedBy(k8s::KubeClient& admin, const std::string& name, std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return waitForCsr(admin, name, isDecided, std::max(left, std::chrono::milliseconds(1)));
}

std::string deniedReason(const k8s::CertificateSigningRequest& csr) {
  const auto* c = k8s::findCondition(csr, "Denied");
  return c ? c->reason : "";
}

// Serving CSRs from worker-1 claiming `ip`, one after another, until one is denied for `reason`:
// those the operator decides before it has seen the change are signed, which is the stale window
// this test bounds. True when a denial came before the deadline.
bool probesDenied(Scenario& s, const std::string& prefix, const std::string& ip, const std::string& reason,
                  std::chrono::steady_clock::time_point deadline) {
  int n = 0;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return eventually(
      [&] {
        const std::string name = prefix + "-" + std::to_string(n++);
        s.createServing(name, "worker-1", Scenario::servingRequest("worker-1", {"worker-1"}, {ip}));
        auto csr = decidedBy(s.cluster.admin(), name, deadline);
        return isDenied(csr) && deniedReason(csr) == reason;
      },
      std::max(left, std::chrono::milliseconds(1)), 10ms);
}

void updateJson(k8s::KubeClient& admin, const std::string& path, const std::function<void(nlohmann::json&)>& change,
                const std::string& subresource = "") {
  auto obj = admin.requestJson("GET", path);
  change(obj);
  admin.requestJson("PUT", path + subresource, obj);
}

const std::string kMachines = "/apis/cluster.x-k8s.io/v1beta1/namespaces/capi/machines";

void createMachine(k8s::KubeClient& admin, const std::string& name, const std::string& node, const std::vector<std::string>& ips) {
  nlohmann::json addresses = nlohmann::json::array();
  for (const auto& ip : ips) addresses.push_back({{"type", "InternalIP"}, {"address", ip}});
  admin.requestJson("POST", kMachines,
                    nlohmann::json{{"apiVersion", "cluster.x-k8s.io/v1beta1"},
                                   {"kind", "Machine"},
                                   {"metadata", {{"name", name}, {"namespace", "capi"}}},
                                   {"status", {{"nodeRef", {{"name", node}}}, {"addresses", addresses}}}});
}

}  // namespace

TEST_CASE("e2e silent watch: a CSR created while the CSR watch is silent is signed within client.watchSilenceTimeout") {
  Scenario s(chattyBookmarks());
  Running r(s, "silent-csrs");
  const size_t before = occurrences(r.op.log(), reopenedLine("CertificateSigningRequest"));
  r.silence("certificatesigningrequests");
  const auto deadline = std::chrono::steady_clock::now() + kSilence + kMargin;
  s.createServing("while-silent", "worker-1", Scenario::servingRequest("worker-1", {"worker-1"}, {"10.0.0.1"}));
  auto csr = decidedBy(s.cluster.admin(), "while-silent", deadline);
  CHECK(isIssued(csr));
  r.requireReopened("CertificateSigningRequest", before, deadline);
  // The silent watch was resumed, not replaced by a relist.
  CHECK(occurrences(r.op.log(), "informer CertificateSigningRequest: listed") == 2);  // one per signer, at start
  CHECK(r.op.metric("csr_operator_watch_restarts_total", {"certificatesigningrequests"}) >= 1);
  CHECK(r.op.stop() == 0);
}

TEST_CASE("e2e silent watch: a Node address added while the Node watch is silent lets its waiting CSR be signed within the bound") {
  Scenario s(chattyBookmarks());
  Running r(s, "silent-nodes");
  s.createServing("late-address", "worker-2", Scenario::servingRequest("worker-2", {"worker-2"}, {"10.0.0.22"}));
  REQUIRE(r.op.process().waitForLog("retrying csr=late-address", 15s));
  const size_t before = occurrences(r.op.log(), reopenedLine("Node"));
  r.silence("nodes");
  const auto deadline = std::chrono::steady_clock::now() + kSilence + kMargin;
  s.cluster.listOwnAddresses("worker-2", {{"InternalIP", "10.0.0.2"}, {"InternalIP", "10.0.0.22"}, {"Hostname", "worker-2"}});
  auto csr = decidedBy(s.cluster.admin(), "late-address", deadline);
  CHECK(isIssued(csr));
  r.requireReopened("Node", before, deadline);
  CHECK(r.op.stop() == 0);
}

TEST_CASE(
    "e2e silent watch: an API server address that changes while the Service or EndpointSlice watch is silent is denied within the bound") {
  Scenario s(chattyBookmarks());
  s.cluster.addApiServerService("10.96.0.1", "192.168.10.5");
  // worker-1 lists the addresses the API server is about to move to (it may, until they are the
  // cluster's own).
  s.cluster.listOwnAddresses(
      "worker-1", {{"InternalIP", "10.0.0.1"}, {"Hostname", "worker-1"}, {"InternalIP", "10.96.0.7"}, {"InternalIP", "192.168.10.9"}});
  Running r(s, "silent-identity");
  auto& admin = s.cluster.admin();

  SUBCASE("Services") {
    const size_t before = occurrences(r.op.log(), reopenedLine("Service"));
    r.silence("services");
    const auto deadline = std::chrono::steady_clock::now() + kSilence + kMargin;
    updateJson(admin, "/api/v1/namespaces/default/services/kubernetes",
               [](nlohmann::json& svc) { svc["spec"]["clusterIPs"] = {"10.96.0.7"}; });
    CHECK(probesDenied(s, "svc", "10.96.0.7", "APIServerAddress", deadline));
    r.requireReopened("Service", before, deadline);
  }
  SUBCASE("EndpointSlices") {
    const size_t before = occurrences(r.op.log(), reopenedLine("EndpointSlice"));
    r.silence("endpointslices");
    const auto deadline = std::chrono::steady_clock::now() + kSilence + kMargin;
    updateJson(admin, "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes", [](nlohmann::json& slice) {
      slice["endpoints"] = {{{"addresses", {"192.168.10.9"}}}};
    });
    CHECK(probesDenied(s, "slice", "192.168.10.9", "APIServerAddress", deadline));
    r.requireReopened("EndpointSlice", before, deadline);
  }
  CHECK(r.op.stop() == 0);
}

TEST_CASE("e2e silent watch: a Machine address added while the Machine watch is silent lets its waiting CSR be signed within the bound") {
  Scenario s(chattyBookmarks());
  auto& admin = s.cluster.admin();
  createMachine(admin, "md-0-worker-2", "worker-2", {"10.0.0.2"});
  Running r(s, "silent-machines", "approver: {kubeletServing: {addressSource: machine}}\n");
  s.createServing("machine-late", "worker-2", Scenario::servingRequest("worker-2", {"worker-2"}, {"10.0.0.32"}));
  REQUIRE(r.op.process().waitForLog("retrying csr=machine-late", 15s));
  const size_t before = occurrences(r.op.log(), reopenedLine("Machine"));
  r.silence("machines");
  const auto deadline = std::chrono::steady_clock::now() + kSilence + kMargin;
  updateJson(
      admin, kMachines + "/md-0-worker-2",
      [](nlohmann::json& m) {
        m["status"]["addresses"] = {{{"type", "InternalIP"}, {"address", "10.0.0.2"}}, {{"type", "InternalIP"}, {"address", "10.0.0.32"}}};
      },
      "/status");
  auto csr = decidedBy(admin, "machine-late", deadline);
  CHECK(isIssued(csr));
  r.requireReopened("Machine", before, deadline);
  CHECK(r.op.stop() == 0);
}
