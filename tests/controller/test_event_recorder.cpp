// EventRecorder on a scripted API server: a burst of Normal events (approvals) costs kNormalBurst
// Event writes plus one combined Event per flush, not one write per CSR; Warning events (denials)
// are never combined.
#include "controller/EventRecorder.h"
#include "k8sclient/KubeClient.h"
#include "tests/k8sclient/Fakes.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace {

struct Harness {
  Harness() {
    transport->onSend = [](const k8s::HttpRequest& r) { return k8stest::respond(201, r.body); };
  }
  std::vector<nlohmann::json> events() {
    std::lock_guard l(transport->mu);
    std::vector<nlohmann::json> out;
    for (const auto& r : transport->requests) {
      CHECK(r.method == "POST");
      CHECK(r.path == "/api/v1/namespaces/default/events");
      out.push_back(nlohmann::json::parse(r.body));
    }
    return out;
  }
  static k8s::CertificateSigningRequest csr(int i) {
    k8s::CertificateSigningRequest c;
    c.metadata.name = "csr-" + std::to_string(i);
    c.metadata.uid = "uid-" + std::to_string(i);
    return c;
  }
  static k8s::ClientOptions unlimited() {
    k8s::ClientOptions o;
    o.qps = 0;
    o.maxRetries = 0;
    return o;
  }

  std::shared_ptr<k8stest::FakeTransport> transport = std::make_shared<k8stest::FakeTransport>();
  k8s::KubeClient client{transport, unlimited()};
  std::shared_ptr<k8stest::FakeClock> clock = std::make_shared<k8stest::FakeClock>();
  csrop::EventRecorder recorder{client, "csr-operator", "test", clock};
};

constexpr int kBurst = csrop::EventRecorder::kNormalBurst;

}  // namespace

TEST_CASE("events: a burst of approvals is written one by one up to the burst, then combined into one Event per flush") {
  Harness h;
  for (int i = 0; i < 1000; ++i)
    h.recorder.record(Harness::csr(i), "Normal", "CSRApproved", "AutoApproved: ok " + std::to_string(i), "Approve");
  auto written = h.events();
  REQUIRE(written.size() == kBurst);
  for (int i = 0; i < kBurst; ++i) {
    CHECK(written[i]["involvedObject"]["name"] == "csr-" + std::to_string(i));
    CHECK(written[i]["count"] == 1);
  }
  h.recorder.flush();
  written = h.events();
  REQUIRE(written.size() == kBurst + 1);
  const auto& combined = written.back();
  CHECK(combined["type"] == "Normal");
  CHECK(combined["reason"] == "CSRApproved");
  CHECK(combined["action"] == "Approve");
  CHECK(combined["count"] == 1000 - kBurst);
  CHECK(combined["involvedObject"]["name"] == "csr-999");
  CHECK(combined["involvedObject"]["uid"] == "uid-999");
  const std::string message = combined["message"];
  CHECK(message.rfind("(combined from similar events): 975 CertificateSigningRequests since ", 0) == 0);
  CHECK(message.find("the latest csr-999: AutoApproved: ok 999") != std::string::npos);
  // Nothing counted since: a flush writes nothing.
  h.recorder.flush();
  CHECK(h.events().size() == kBurst + 1);
}

TEST_CASE("events: after a burst, one approval per refill interval gets its own Event again") {
  Harness h;
  for (int i = 0; i < kBurst + 1; ++i) h.recorder.record(Harness::csr(i), "Normal", "CSRApproved", "AutoApproved", "Approve");
  CHECK(h.events().size() == kBurst);
  h.clock->advance(csrop::EventRecorder::kNormalRefill);
  h.recorder.record(Harness::csr(100), "Normal", "CSRApproved", "AutoApproved", "Approve");
  h.recorder.record(Harness::csr(101), "Normal", "CSRApproved", "AutoApproved", "Approve");
  auto written = h.events();
  REQUIRE(written.size() == kBurst + 1);
  CHECK(written.back()["involvedObject"]["name"] == "csr-100");
  h.recorder.flush();
  written = h.events();
  REQUIRE(written.size() == kBurst + 2);
  CHECK(written.back()["count"] == 2);  // csr-25 and csr-101
  CHECK(written.back()["involvedObject"]["name"] == "csr-101");
}

TEST_CASE("events: denials are never combined, and another reason has a burst of its own") {
  Harness h;
  for (int i = 0; i < 2 * kBurst; ++i) h.recorder.record(Harness::csr(i), "Normal", "CSRApproved", "AutoApproved", "Approve");
  for (int i = 0; i < 2 * kBurst; ++i) h.recorder.record(Harness::csr(i), "Warning", "CSRDenied", "IPNotOwnedByNode: no", "Deny");
  for (int i = 0; i < 2; ++i) h.recorder.record(Harness::csr(i), "Normal", "OtherReason", "x", "Approve");
  const auto written = h.events();
  int denied = 0, other = 0;
  for (const auto& e : written) {
    denied += e["reason"] == "CSRDenied" ? 1 : 0;
    other += e["reason"] == "OtherReason" ? 1 : 0;
  }
  CHECK(denied == 2 * kBurst);
  CHECK(other == 2);
  CHECK(written.size() == kBurst + 2 * kBurst + 2);
}
