// The PodCertificateRequest controller on a scripted API server (FakeTransport) with a scripted
// signer: one status write per decision with the cached resourceVersion, nothing for decided,
// foreign or deleted requests, exactly once across 409s, Events in the request's namespace, the
// metrics and leader gating.
#include "controller/EventRecorder.h"
#include "controller/Metrics.h"
#include "controller/PodCertificateController.h"
#include "controller/WorkQueue.h"
#include "k8sclient/KubeClient.h"
#include "signers/PodCertificate.h"
#include "tests/k8sclient/Fakes.h"
#include "tests/support/FakeClock.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <map>
#include <mutex>

namespace {

using nlohmann::json;
constexpr const char* kSigner = "example.com/pods";

class ScriptedPodSigner : public signers::PodCertificateSigner {
 public:
  const std::string& name() const override { return name_; }
  const signers::PodCertificatePolicy& policy() const override { return policy_; }
  signers::PodCertificateOutcome issue(const signers::PodCertificateRequestFacts& request, std::chrono::system_clock::time_point now,
                                       const signers::PodCertificateGate& beforeSigning) const override {
    ++issued;
    std::lock_guard l(mu);
    last = request;
    if (outcome) return *outcome;
    if (beforeSigning)
      if (auto stop = beforeSigning()) return *stop;
    ++signed_;
    signers::PodCertificateIssued cert;
    cert.certificateChainPem = "-----BEGIN CERTIFICATE-----\nfor " + request.podName + "\n-----END CERTIFICATE-----\n";
    cert.notBefore = now;
    cert.notAfter = now + std::chrono::hours(24);
    cert.beginRefreshAt = now + std::chrono::hours(12);
    cert.serialHex = "0A";
    return cert;
  }
  std::string caPem() const override { return {}; }
  std::chrono::system_clock::time_point caNotAfter() const override { return {}; }
  std::string caSubject() const override { return "CN=scripted"; }
  std::optional<std::string> unavailable() const override { return std::nullopt; }
  void startReloading(std::chrono::milliseconds, CaChangedCallback) override {}
  void stopReloading() override {}

  std::optional<signers::PodCertificateOutcome> outcome;
  mutable std::atomic<int> issued{0};
  mutable std::atomic<int> signed_{0};  // passed the gate
  mutable std::mutex mu;
  mutable signers::PodCertificateRequestFacts last;

 private:
  std::string name_ = kSigner;
  signers::PodCertificatePolicy policy_;
};

class MapLister : public csrop::PodCertificateLister {
 public:
  std::optional<k8s::PodCertificateRequest> get(const std::string& key) const override {
    std::lock_guard l(mu);
    const auto it = items.find(key);
    if (it == items.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::string> keys() const override {
    std::lock_guard l(mu);
    std::vector<std::string> out;
    for (const auto& [k, v] : items) out.push_back(k);
    return out;
  }
  void put(const k8s::PodCertificateRequest& pcr) {
    std::lock_guard l(mu);
    items[pcr.metadata.namespace_ + "/" + pcr.metadata.name] = pcr;
  }
  mutable std::mutex mu;
  std::map<std::string, k8s::PodCertificateRequest> items;
};

k8s::PodCertificateRequest pcrNamed(const std::string& name, const std::string& rv = "1") {
  k8s::PodCertificateRequest p;
  p.metadata.name = name;
  p.metadata.namespace_ = "shop";
  p.metadata.uid = "uid-" + name;
  p.metadata.resourceVersion = rv;
  p.metadata.creationTimestamp = "2026-01-01T00:00:00Z";
  p.spec.signerName = kSigner;
  p.spec.podName = "web-0";
  p.spec.podUID = "pod-uid";
  p.spec.serviceAccountName = "web";
  p.spec.serviceAccountUID = "sa-uid";
  p.spec.nodeName = "node-a";
  p.spec.nodeUID = "node-uid";
  p.spec.maxExpirationSeconds = 7200;
  p.spec.stubPKCS10Request = "stub";
  p.spec.unverifiedUserAnnotations = {{"example.com/profile", "server"}};
  return p;
}

k8s::PodCertificateRequest decidedCopy(k8s::PodCertificateRequest p, const std::string& type, const std::string& rv) {
  p.metadata.resourceVersion = rv;
  p.status.conditions.push_back({type, "True", "Elsewhere", "decided elsewhere", "2026-01-01T00:00:01Z", std::nullopt});
  return p;
}

std::string body(const k8s::PodCertificateRequest& p) { return json(p).dump(); }
std::string status(int code, const std::string& reason) {
  return json{{"kind", "Status"}, {"code", code}, {"reason", reason}, {"message", reason}}.dump();
}
const std::string kStatusPath = "/apis/certificates.k8s.io/v1/namespaces/shop/podcertificaterequests/a/status";

// The pod the request names, as the API server has it; each read is counted.
class ScriptedPods : public csrop::PodDirectory {
 public:
  csrop::Lookup<k8s::Pod> pod(const std::string& ns, const std::string& name) override {
    ++podReads;
    if (failReads) return csrop::Lookup<k8s::Pod>::failed("connection refused");
    if (!current || ns != "shop" || name != current->metadata.name) return csrop::Lookup<k8s::Pod>::notFound();
    return csrop::Lookup<k8s::Pod>::found(*current);
  }
  csrop::Lookup<k8s::ServiceAccount> serviceAccount(const std::string&, const std::string&) override {
    k8s::ServiceAccount sa;
    sa.metadata.uid = "sa-uid";
    return csrop::Lookup<k8s::ServiceAccount>::found(sa);
  }
  static k8s::Pod running() {
    k8s::Pod p;
    p.metadata.name = "web-0";
    p.metadata.uid = "pod-uid";
    p.nodeName = "node-a";
    p.serviceAccountName = "web";
    return p;
  }
  std::optional<k8s::Pod> current = running();
  bool failReads = false;
  int podReads = 0;
};

class ScriptedReviewer : public csrop::AccessReviewer {
 public:
  csrop::Lookup<bool> allowed(const k8s::SubjectAccessReview& review) override {
    last = review;
    return csrop::Lookup<bool>::found(allow);
  }
  bool allow = true;
  std::optional<k8s::SubjectAccessReview> last;
};

struct Harness {
  explicit Harness(std::map<std::string, csrop::PodCertificateChecks> checks = {}) {
    controller = std::make_unique<csrop::PodCertificateController>(csrop::PodCertificateControllerParts{lister,
                                                                                                        *client,
                                                                                                        "v1",
                                                                                                        queue,
                                                                                                        {{kSigner, &signer}},
                                                                                                        events,
                                                                                                        metrics,
                                                                                                        [this] { return leader.load(); },
                                                                                                        clock,
                                                                                                        std::move(checks),
                                                                                                        &pods,
                                                                                                        &reviewer});
  }
  std::vector<k8s::HttpRequest> requests() {
    std::lock_guard l(transport->mu);
    return transport->requests;
  }
  std::vector<k8s::HttpRequest> writesTo(const std::string& path) {
    std::vector<k8s::HttpRequest> out;
    for (const auto& r : requests())
      if (r.method == "PUT" && r.path == path) out.push_back(r);
    return out;
  }

  std::shared_ptr<k8stest::FakeTransport> transport = std::make_shared<k8stest::FakeTransport>();
  std::unique_ptr<k8s::KubeClient> client = std::make_unique<k8s::KubeClient>(transport, [] {
    k8s::ClientOptions o;
    o.maxRetries = 0;
    return o;
  }());
  std::shared_ptr<testsupport::FakeClock> clock = std::make_shared<testsupport::FakeClock>();
  csrop::Metrics metrics;
  csrop::EventRecorder events{*client, "csr-operator", "test"};
  std::atomic<bool> leader{true};
  ScriptedPodSigner signer;
  ScriptedPods pods;
  ScriptedReviewer reviewer;
  MapLister lister;
  csrop::WorkQueue queue{csrop::WorkQueueOptions{std::chrono::milliseconds(1), std::chrono::milliseconds(4), 0, 1}};
  std::unique_ptr<csrop::PodCertificateController> controller;
};

}  // namespace

TEST_CASE("pcr controller: a pending request is issued with one status write carrying the cached resourceVersion") {
  Harness h;
  h.lister.put(pcrNamed("a", "5"));
  h.transport->queueSend(200, body(decidedCopy(pcrNamed("a"), "Issued", "6")));
  h.transport->queueSend(201, R"({"kind":"Event"})");
  CHECK_FALSE(h.controller->syncHandler("shop/a").retry);
  CHECK(h.signer.issued == 1);
  {
    std::lock_guard l(h.signer.mu);
    CHECK(h.signer.last.namespaceName == "shop");
    CHECK(h.signer.last.podUID == "pod-uid");
    CHECK(h.signer.last.serviceAccountName == "web");
    CHECK(h.signer.last.maxExpirationSeconds == 7200);
    CHECK(h.signer.last.stubPkcs10Der == "stub");
    CHECK(h.signer.last.unverifiedUserAnnotations.at("example.com/profile") == "server");
  }
  const auto reqs = h.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].method == "PUT");
  CHECK(reqs[0].path == kStatusPath);
  const auto written = json::parse(reqs[0].body);
  CHECK(written["metadata"]["resourceVersion"] == "5");
  const auto& st = written["status"];
  REQUIRE(st["conditions"].size() == 1);
  CHECK(st["conditions"][0]["type"] == "Issued");
  CHECK(st["conditions"][0]["status"] == "True");
  CHECK(st["conditions"][0]["reason"] == "Issued");
  CHECK(st["conditions"][0]["lastTransitionTime"] == "2026-01-01T00:00:00Z");
  CHECK(st["certificateChain"].get<std::string>().find("for web-0") != std::string::npos);
  CHECK(st["notBefore"] == "2026-01-01T00:00:00Z");
  CHECK(st["beginRefreshAt"] == "2026-01-01T12:00:00Z");
  CHECK(st["notAfter"] == "2026-01-02T00:00:00Z");
  // The Event lives in the request's namespace and names it.
  CHECK(reqs[1].path == "/api/v1/namespaces/shop/events");
  const auto event = json::parse(reqs[1].body);
  CHECK(event["involvedObject"]["kind"] == "PodCertificateRequest");
  CHECK(event["involvedObject"]["namespace"] == "shop");
  CHECK(event["reason"] == "Issued");
  CHECK(event["type"] == "Normal");
  CHECK(h.metrics.value(csrop::metric::kPodCertificatesIssued, {{"signer", kSigner}}) == 1);
  CHECK(h.metrics.value(csrop::metric::kPodCertificateDecisions, {{"signer", kSigner}, {"decision", "issued"}, {"reason", "Issued"}}) == 1);
  CHECK(h.metrics.render().find("csr_operator_pod_certificate_latency_seconds_count{signer=\"example.com/pods\"} 1") != std::string::npos);
}

TEST_CASE("pcr controller: a denial is one Denied condition and nothing else, with a Warning Event") {
  Harness h;
  h.signer.outcome =
      signers::PodCertificateRefused{signers::PodRefusalKind::Denied, "NamespaceNotAllowed", "namespace shop is not allowed"};
  h.lister.put(pcrNamed("a"));
  h.transport->queueSend(200, body(decidedCopy(pcrNamed("a"), "Denied", "2")));
  h.transport->queueSend(201, R"({"kind":"Event"})");
  CHECK_FALSE(h.controller->syncHandler("shop/a").retry);
  const auto reqs = h.requests();
  REQUIRE(reqs.size() == 2);
  const auto st = json::parse(reqs[0].body)["status"];
  CHECK(st["conditions"][0]["type"] == "Denied");
  CHECK(st["conditions"][0]["reason"] == "NamespaceNotAllowed");
  CHECK(st["conditions"][0]["message"] == "namespace shop is not allowed");
  for (const char* field : {"certificateChain", "notBefore", "notAfter", "beginRefreshAt"}) CHECK_FALSE(st.contains(field));
  const auto event = json::parse(reqs[1].body);
  CHECK(event["type"] == "Warning");
  CHECK(event["reason"] == "Denied");
  CHECK(event["metadata"]["namespace"] == "shop");
  CHECK(h.metrics.value(csrop::metric::kPodCertificateDecisions,
                        {{"signer", kSigner}, {"decision", "denied"}, {"reason", "NamespaceNotAllowed"}}) == 1);
  CHECK(h.metrics.value(csrop::metric::kPodCertificatesIssued, {{"signer", kSigner}}) == 0);
}

TEST_CASE("pcr controller: Failed is written as a Failed condition") {
  Harness h;
  h.signer.outcome = signers::PodCertificateRefused{signers::PodRefusalKind::Failed, "LifetimeTooShort", "the CA expires in 30 minutes"};
  h.lister.put(pcrNamed("a"));
  h.transport->queueSend(200, body(decidedCopy(pcrNamed("a"), "Failed", "2")));
  h.transport->queueSend(201, R"({"kind":"Event"})");
  CHECK_FALSE(h.controller->syncHandler("shop/a").retry);
  CHECK(json::parse(h.requests()[0].body)["status"]["conditions"][0]["type"] == "Failed");
}

TEST_CASE("pcr controller: a decided, foreign or deleted request costs no request and no signature") {
  Harness h;
  for (const char* type : {"Issued", "Denied", "Failed"}) h.lister.put(decidedCopy(pcrNamed(type), type, "3"));
  auto foreign = pcrNamed("foreign");
  foreign.spec.signerName = "example.com/other";
  h.lister.put(foreign);
  for (const char* key : {"shop/Issued", "shop/Denied", "shop/Failed", "shop/foreign", "shop/gone"})
    CHECK_FALSE(h.controller->syncHandler(key).retry);
  CHECK(h.requests().empty());
  CHECK(h.signer.issued == 0);
}

TEST_CASE("pcr controller: a transient signer failure writes nothing and is retried") {
  Harness h;
  h.signer.outcome = signers::PodCertificateRetry{"the RNG failed"};
  h.lister.put(pcrNamed("a"));
  const auto r = h.controller->syncHandler("shop/a");
  CHECK(r.retry);
  CHECK(r.error == "the RNG failed");
  CHECK(h.requests().empty());
}

TEST_CASE("pcr controller: exactly once across a 409") {
  Harness h;
  h.lister.put(pcrNamed("a", "5"));
  SUBCASE("someone else decided first: nothing more is written") {
    h.transport->queueSend(409, status(409, "Conflict"));
    h.transport->queueSend(200, body(decidedCopy(pcrNamed("a"), "Issued", "6")));
    CHECK_FALSE(h.controller->syncHandler("shop/a").retry);
    CHECK(h.writesTo(kStatusPath).size() == 1);
    CHECK(h.requests().size() == 2);
    CHECK(h.metrics.value(csrop::metric::kPodCertificatesIssued, {{"signer", kSigner}}) == 0);
  }
  SUBCASE("only the resourceVersion moved: the same certificate goes onto the fresh copy, signed once") {
    auto fresh = pcrNamed("a", "7");
    fresh.metadata.labels["touched"] = "yes";
    h.transport->queueSend(409, status(409, "Conflict"));
    h.transport->queueSend(200, body(fresh));
    h.transport->queueSend(200, body(decidedCopy(fresh, "Issued", "8")));
    h.transport->queueSend(201, R"({"kind":"Event"})");
    CHECK_FALSE(h.controller->syncHandler("shop/a").retry);
    const auto writes = h.writesTo(kStatusPath);
    REQUIRE(writes.size() == 2);
    CHECK(json::parse(writes[1].body)["metadata"]["resourceVersion"] == "7");
    CHECK(json::parse(writes[1].body)["metadata"]["labels"]["touched"] == "yes");
    CHECK(json::parse(writes[0].body)["status"] == json::parse(writes[1].body)["status"]);
    CHECK(h.signer.issued == 1);
    CHECK(h.metrics.value(csrop::metric::kPodCertificatesIssued, {{"signer", kSigner}}) == 1);
  }
  SUBCASE("two conflicts in a row: retried later, still signed once so far") {
    h.transport->queueSend(409, status(409, "Conflict"));
    h.transport->queueSend(200, body(pcrNamed("a", "7")));
    h.transport->queueSend(409, status(409, "Conflict"));
    const auto r = h.controller->syncHandler("shop/a");
    CHECK(r.retry);
    CHECK(h.signer.issued == 1);
  }
}

TEST_CASE("pcr controller: our own write is not signed again while the cache still shows the old version") {
  Harness h;
  h.lister.put(pcrNamed("a", "5"));
  h.transport->queueSend(200, body(decidedCopy(pcrNamed("a"), "Issued", "6")));
  h.transport->queueSend(201, R"({"kind":"Event"})");
  CHECK_FALSE(h.controller->syncHandler("shop/a").retry);
  CHECK_FALSE(h.controller->syncHandler("shop/a").retry);  // a replayed event, the cache not yet updated
  CHECK(h.signer.issued == 1);
  CHECK(h.writesTo(kStatusPath).size() == 1);
  // A newer version of a still pending request (deleted and re-created under the same name) is decided.
  h.controller->deleted("shop/a");
  h.lister.put(pcrNamed("a", "9"));
  h.transport->queueSend(200, body(decidedCopy(pcrNamed("a"), "Issued", "10")));
  h.transport->queueSend(201, R"({"kind":"Event"})");
  CHECK_FALSE(h.controller->syncHandler("shop/a").retry);
  CHECK(h.signer.issued == 2);
}

TEST_CASE("pcr controller: each kind of failed status write") {
  Harness h;
  h.lister.put(pcrNamed("a"));
  SUBCASE("404: gone, done") {
    h.transport->queueSend(404, status(404, "NotFound"));
    CHECK_FALSE(h.controller->syncHandler("shop/a").retry);
  }
  SUBCASE("403: retried (the grant may come), nothing counted") {
    h.transport->queueSend(403, status(403, "Forbidden"));
    const auto r = h.controller->syncHandler("shop/a");
    CHECK(r.retry);
    CHECK(h.metrics.value(csrop::metric::kPodCertificatesIssued, {{"signer", kSigner}}) == 0);
  }
  SUBCASE("422 (the API server refused the status): retried") {
    h.transport->queueSend(422, status(422, "Invalid"));
    CHECK(h.controller->syncHandler("shop/a").retry);
  }
}

TEST_CASE("pcr controller: a replica that is not the leader takes keys off the queue and signs nothing") {
  Harness h;
  h.leader = false;
  h.lister.put(pcrNamed("a"));
  h.controller->enqueueAll();
  CHECK(h.queue.depth() == 1);
  CHECK(h.controller->processNextWorkItem());
  CHECK(h.signer.issued == 0);
  CHECK(h.requests().empty());
  CHECK(h.queue.depth() == 0);
}

TEST_CASE("pcr controller: verifyPod reads the pod before signing: a replaced pod is Denied PodMismatch and nothing is signed") {
  Harness h({{kSigner, csrop::PodCertificateChecks{true, {}}}});
  h.lister.put(pcrNamed("a"));
  h.pods.current->metadata.uid = "another-pod-uid";
  h.transport->queueSend(200, body(decidedCopy(pcrNamed("a"), "Denied", "2")));
  h.transport->queueSend(201, R"({"kind":"Event"})");
  CHECK_FALSE(h.controller->syncHandler("shop/a").retry);
  CHECK(h.pods.podReads == 1);
  CHECK(h.signer.signed_ == 0);
  const auto writes = h.writesTo(kStatusPath);
  REQUIRE(writes.size() == 1);
  const auto written = json::parse(writes[0].body);
  const auto& st = written["status"];
  REQUIRE(st["conditions"].size() == 1);
  CHECK(st["conditions"][0]["type"] == "Denied");
  CHECK(st["conditions"][0]["reason"] == "PodMismatch");
  CHECK(st["conditions"][0]["message"].get<std::string>().find("another-pod-uid") != std::string::npos);
  CHECK_FALSE(st.contains("certificateChain"));
}

TEST_CASE("pcr controller: verifyPod passes for the pod as it asked, and a failed read retries without writing") {
  Harness h({{kSigner, csrop::PodCertificateChecks{true, {}}}});
  h.lister.put(pcrNamed("a"));
  h.pods.failReads = true;
  const auto r = h.controller->syncHandler("shop/a");
  CHECK(r.retry);
  CHECK(r.error.find("connection refused") != std::string::npos);
  CHECK(h.signer.signed_ == 0);
  CHECK(h.writesTo(kStatusPath).empty());

  h.pods.failReads = false;
  h.transport->queueSend(200, body(decidedCopy(pcrNamed("a"), "Issued", "2")));
  h.transport->queueSend(201, R"({"kind":"Event"})");
  CHECK_FALSE(h.controller->syncHandler("shop/a").retry);
  CHECK(h.signer.signed_ == 1);
  REQUIRE(h.writesTo(kStatusPath).size() == 1);
  CHECK(json::parse(h.writesTo(kStatusPath)[0].body)["status"]["conditions"][0]["type"] == "Issued");
}

TEST_CASE("pcr controller: an accessReview not allowed is Denied NotAuthorized, signers without checks read nothing") {
  csrop::PodAccessReviewConfig review{"request", "certificates.k8s.io", "signers", ""};
  Harness h({{kSigner, csrop::PodCertificateChecks{false, review}}});
  h.reviewer.allow = false;
  h.lister.put(pcrNamed("a"));
  h.transport->queueSend(200, body(decidedCopy(pcrNamed("a"), "Denied", "2")));
  h.transport->queueSend(201, R"({"kind":"Event"})");
  CHECK_FALSE(h.controller->syncHandler("shop/a").retry);
  REQUIRE(h.reviewer.last);
  CHECK(h.reviewer.last->spec.user == "system:serviceaccount:shop:web");
  CHECK(h.reviewer.last->spec.resourceAttributes.name == kSigner);
  CHECK(h.pods.podReads == 0);
  CHECK(h.signer.signed_ == 0);
  REQUIRE(h.writesTo(kStatusPath).size() == 1);
  CHECK(json::parse(h.writesTo(kStatusPath)[0].body)["status"]["conditions"][0]["reason"] == "NotAuthorized");

  Harness plain;
  plain.lister.put(pcrNamed("a"));
  plain.transport->queueSend(200, body(decidedCopy(pcrNamed("a"), "Issued", "2")));
  plain.transport->queueSend(201, R"({"kind":"Event"})");
  CHECK_FALSE(plain.controller->syncHandler("shop/a").retry);
  CHECK(plain.signer.signed_ == 1);
  CHECK(plain.pods.podReads == 0);
  CHECK_FALSE(plain.reviewer.last);
}
