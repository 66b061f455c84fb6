// The controller loop, the approver and the signer on a scripted API server (FakeTransport): the
// queue protocol, leader gating, cache waits, and what each kind of failed write leads to.
#include "controller/CsrApprover.h"
#include "controller/CsrController.h"
#include "controller/CsrSigner.h"
#include "controller/DuplicateRequests.h"
#include "controller/PendingIndex.h"
#include "controller/WorkQueue.h"
#include "controller/WriteFailures.h"
#include "k8sclient/ApiError.h"
#include "k8sclient/KubeClient.h"
#include "tests/k8sclient/Fakes.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <thread>

namespace {

constexpr const char* kSigner = "example.com/widgets";

class MapLister : public csrop::CsrLister {
 public:
  std::optional<csrop::CachedCsr> get(const std::string& name) const override {
    std::lock_guard l(mu);
    auto it = csrs.find(name);
    if (it == csrs.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::string> names() const override {
    std::lock_guard l(mu);
    std::vector<std::string> out;
    for (const auto& [name, csr] : csrs) out.push_back(name);
    return out;
  }
  void put(const csrop::CachedCsr& csr) {
    std::lock_guard l(mu);
    csrs[csr.csr.metadata.name] = csr;
  }
  mutable std::mutex mu;
  std::map<std::string, csrop::CachedCsr> csrs;
};

class ScriptedPolicy : public csrop::ApprovalPolicy {
 public:
  std::string_view name() const override { return "scripted"; }
  bool handles(const std::string& signerName) const override { return signerName == kSigner; }
  csrop::Explanation explain(const k8s::CertificateSigningRequest&) override {
    ++evaluated;
    return {"scripted", {}, verdict};
  }
  csrop::Verdict verdict = csrop::Verdict::approve("Scripted", "approved by the test");
  std::atomic<int> evaluated{0};
};

class ScriptedSigner : public signers::Signer {
 public:
  const std::string& name() const override { return name_; }
  std::variant<signers::IssuedCertificate, signers::IssueError> issue(const signers::IssueRequest& request,
                                                                      std::chrono::system_clock::time_point) const override {
    ++issued;
    lastRequest = request.requestPem;
    if (error) return *error;
    signers::IssuedCertificate cert;
    cert.pem = "-----BEGIN CERTIFICATE-----\nfor " + request.requestPem + "\n-----END CERTIFICATE-----\n";
    cert.serialHex = "01";
    return cert;
  }
  std::optional<std::string> validate(const signers::ParsedRequest&, const std::vector<std::string>&,
                                      const signers::Requester&) const override {
    return std::nullopt;
  }
  signers::RequestLimits requestLimits() const override { return {}; }
  std::chrono::system_clock::time_point caNotAfter() const override { return std::chrono::system_clock::now() + std::chrono::hours(1); }
  std::string caPem() const override { return {}; }
  std::string caSubject() const override { return "CN=scripted"; }
  void startReloading(std::chrono::milliseconds, CaChangedCallback) override {}
  void stopReloading() override {}

  std::optional<signers::IssueError> error;
  mutable std::atomic<int> issued{0};
  mutable std::string lastRequest;

 private:
  std::string name_ = kSigner;
};

k8s::CertificateSigningRequest csrNamed(const std::string& name, const std::string& requester = "alice") {
  k8s::CertificateSigningRequest csr;
  csr.metadata.name = name;
  csr.metadata.uid = "uid-" + name;
  csr.metadata.resourceVersion = "1";
  csr.metadata.creationTimestamp = "2026-12-01T00:00:00Z";
  csr.spec.signerName = kSigner;
  csr.spec.username = requester;
  csr.spec.request = "request of " + name;
  csr.spec.usages = {"digital signature", "client auth"};
  return csr;
}

k8s::CertificateSigningRequest approvedCopy(k8s::CertificateSigningRequest csr, const std::string& resourceVersion = "2") {
  csr.status.conditions.push_back({"Approved", "True", "Scripted", "approved by the test", "", ""});
  csr.metadata.resourceVersion = resourceVersion;
  return csr;
}

csrop::CachedCsr cached(const k8s::CertificateSigningRequest& csr) {
  csrop::CachedCsr c;
  c.csr = csr;
  c.phase = csrop::phaseOf(csr);
  return c;
}

std::string body(const k8s::CertificateSigningRequest& csr) { return nlohmann::json(csr).dump(); }

std::string status(int code, const std::string& reason) {
  return nlohmann::json{{"kind", "Status"}, {"code", code}, {"reason", reason}, {"message", reason}}.dump();
}

// Everything a controller needs, on one scripted transport, for one test.
struct Harness {
  Harness() {
    auto p = std::make_unique<ScriptedPolicy>();
    policy = p.get();
    std::vector<std::unique_ptr<csrop::ApprovalPolicy>> policies;
    policies.push_back(std::move(p));
    approver = std::make_unique<csrop::CsrApprover>(*client, std::move(policies), csrop::CsrApprover::Modes{}, events, metrics,
                                                    [this] { return leader.load(); });
    auto s = std::make_unique<ScriptedSigner>();
    signer = s.get();
    std::vector<std::unique_ptr<signers::Signer>> given;
    given.push_back(std::move(s));
    signerSet = std::move(signers::SignerSet::of(std::move(given)).value());
    csrSigner = std::make_unique<csrop::CsrSigner>(*client, *signerSet, events, metrics, [this] { return leader.load(); });
    controller = std::make_unique<csrop::CsrController>(
        csrop::CsrControllerParts{lister, *client, queue, approver.get(), *csrSigner, pending, nullptr, [this] { return leader.load(); }});
  }

  std::vector<k8s::HttpRequest> requests() {
    std::lock_guard l(transport->mu);
    return transport->requests;
  }

  static k8s::ClientOptions noRetries() {
    k8s::ClientOptions o;
    o.maxRetries = 0;
    return o;
  }

  std::shared_ptr<k8stest::FakeTransport> transport = std::make_shared<k8stest::FakeTransport>();
  std::unique_ptr<k8s::KubeClient> client = std::make_unique<k8s::KubeClient>(transport, noRetries());
  csrop::Metrics metrics;
  csrop::EventRecorder events{*client, "csr-operator", "test"};
  std::atomic<bool> leader{true};
  ScriptedPolicy* policy = nullptr;
  ScriptedSigner* signer = nullptr;
  std::optional<signers::SignerSet> signerSet;
  std::unique_ptr<csrop::CsrApprover> approver;
  std::unique_ptr<csrop::CsrSigner> csrSigner;
  MapLister lister;
  csrop::WorkQueue queue{csrop::WorkQueueOptions{std::chrono::milliseconds(1), std::chrono::milliseconds(4), 0, 1}};
  csrop::PendingIndex pending{100};
  std::unique_ptr<csrop::CsrController> controller;
};

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

namespace {
// The CSR cached as pending, and the answers to its approval write, its Event and its status write.
void queueApprovalAndCertificate(Harness& h, const k8s::CertificateSigningRequest& csr) {
  h.lister.put(cached(csr));
  h.transport->queueSend(200, body(approvedCopy(csr)));
  h.transport->queueSend(201, R"({"kind":"Event"})");
  h.transport->queueSend(200, body(approvedCopy(csr, "3")));
}
}  // namespace

TEST_CASE("controller: a pending CSR is approved, then signed from the approval's response, in one sync") {
  Harness h;
  const auto csr = csrNamed("a");
  queueApprovalAndCertificate(h, csr);
  const auto r = h.controller->syncHandler("a");
  CHECK_FALSE(r.retry);
  const auto reqs = h.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0].method == "PUT");
  CHECK(endsWith(reqs[0].path, "/certificatesigningrequests/a/approval"));
  const auto approval = nlohmann::json::parse(reqs[0].body);
  CHECK(approval["status"]["conditions"][0]["type"] == "Approved");
  CHECK(approval["metadata"]["resourceVersion"] == "1");
  CHECK(reqs[1].path.find("/events") != std::string::npos);
  CHECK(endsWith(reqs[2].path, "/certificatesigningrequests/a/status"));
  const auto written = nlohmann::json::parse(reqs[2].body).get<k8s::CertificateSigningRequest>();
  CHECK(written.metadata.resourceVersion == "2");  // the approval's response, not the cached copy
  CHECK(written.status.certificate.find("for request of a") != std::string::npos);
  CHECK(h.signer->issued == 1);
}

TEST_CASE("controller: the Approved copy of a CSR this signer just issued costs no read - another version does") {
  Harness h;
  const auto csr = csrNamed("a");
  queueApprovalAndCertificate(h, csr);
  REQUIRE_FALSE(h.controller->syncHandler("a").retry);
  REQUIRE(h.requests().size() == 3);

  // The approval's own watch event, arriving after the certificate was written over it.
  h.lister.put(cached(approvedCopy(csr)));
  CHECK_FALSE(h.controller->syncHandler("a").retry);
  CHECK(h.requests().size() == 3);
  CHECK(h.signer->issued == 1);

  // A version the signer did not write over (someone changed the CSR since) is read again.
  h.lister.put(cached(approvedCopy(csr, "5")));
  auto issuedCopy = approvedCopy(csr, "6");
  issuedCopy.status.certificate = "PEM";
  h.transport->queueSend(200, body(issuedCopy));
  CHECK_FALSE(h.controller->syncHandler("a").retry);
  const auto reqs = h.requests();
  REQUIRE(reqs.size() == 4);
  CHECK(reqs[3].method == "GET");
  CHECK(h.signer->issued == 1);
}

TEST_CASE("controller: the Approved echo of a version this signer wrote a certificate over is not queued - another version is") {
  Harness h;
  const auto csr = csrNamed("a");
  queueApprovalAndCertificate(h, csr);
  REQUIRE_FALSE(h.controller->syncHandler("a").retry);
  REQUIRE(h.queue.depth() == 0);

  h.controller->csrUpdated(cached(approvedCopy(csr)));
  CHECK(h.queue.depth() == 0);

  h.controller->csrUpdated(cached(approvedCopy(csr, "5")));
  CHECK(h.queue.depth() == 1);
  CHECK(h.queue.get() == std::optional<std::string>("a"));
}

TEST_CASE("controller: a deleted, decided or foreign CSR costs no request") {
  Harness h;
  CHECK_FALSE(h.controller->syncHandler("gone").retry);
  auto denied = csrNamed("denied");
  denied.status.conditions.push_back({"Denied", "True", "No", "no", "", ""});
  h.lister.put(cached(denied));
  auto issued = cached(approvedCopy(csrNamed("issued")));
  issued.phase = csrop::CsrPhase::Issued;  // as the cache keeps it: the certificate itself is gone
  h.lister.put(issued);
  auto foreign = approvedCopy(csrNamed("foreign"));
  foreign.spec.signerName = "example.com/other";
  h.lister.put(cached(foreign));
  for (const char* name : {"denied", "issued", "foreign"}) CHECK_FALSE(h.controller->syncHandler(name).retry);
  CHECK(h.requests().empty());
  CHECK(h.policy->evaluated == 0);
}

TEST_CASE("controller: an approved CSR is read from the API server before it is signed") {
  Harness h;
  const auto csr = approvedCopy(csrNamed("b"));
  h.lister.put(cached(csr));
  h.transport->queueSend(200, body(approvedCopy(csrNamed("b"), "7")));
  h.transport->queueSend(200, body(approvedCopy(csrNamed("b"), "8")));
  CHECK_FALSE(h.controller->syncHandler("b").retry);
  const auto reqs = h.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].method == "GET");
  CHECK(nlohmann::json::parse(reqs[1].body)["metadata"]["resourceVersion"] == "7");
}

TEST_CASE("controller: a cached copy that lost requester metadata is read again before the decision is written") {
  Harness h;
  auto c = cached(csrNamed("c"));
  c.needsFreshRead = true;
  h.lister.put(c);
  auto full = csrNamed("c");
  full.metadata.resourceVersion = "5";
  full.metadata.labels["team"] = "a";
  h.transport->queueSend(200, body(full));
  h.transport->queueSend(200, body(approvedCopy(full, "6")));
  h.transport->queueSend(201, R"({"kind":"Event"})");
  h.transport->queueSend(200, body(approvedCopy(full, "7")));
  CHECK_FALSE(h.controller->syncHandler("c").retry);
  const auto reqs = h.requests();
  REQUIRE(reqs.size() >= 2);
  CHECK(reqs[0].method == "GET");
  const auto approval = nlohmann::json::parse(reqs[1].body);
  CHECK(approval["metadata"]["labels"]["team"] == "a");
  CHECK(approval["metadata"]["resourceVersion"] == "5");
}

TEST_CASE("controller: each kind of failed approval write") {
  Harness h;
  h.lister.put(cached(csrNamed("d")));
  SUBCASE("409 Conflict: retried on the new version") {
    h.transport->queueSend(409, status(409, "Conflict"));
    const auto r = h.controller->syncHandler("d");
    CHECK(r.retry);
    CHECK(r.error.find("changed while writing the decision") != std::string::npos);
  }
  SUBCASE("404 Not Found: the CSR is gone, nothing to retry") {
    h.transport->queueSend(404, status(404, "NotFound"));
    CHECK_FALSE(h.controller->syncHandler("d").retry);
  }
  SUBCASE("403 Forbidden: retried (the grant may come)") {
    h.transport->queueSend(403, status(403, "Forbidden"));
    const auto r = h.controller->syncHandler("d");
    CHECK(r.retry);
    CHECK(r.error.find("writing the decision failed") != std::string::npos);
  }
  SUBCASE("500: transient, retried") {
    h.transport->queueSend(500, status(500, "InternalError"));
    CHECK(h.controller->syncHandler("d").retry);
  }
  CHECK(h.signer->issued == 0);
}

TEST_CASE("controller: failed writes map the same way for every writer") {
  const auto err = [](int code, const char* reason) { return k8s::ApiError::fromResponse(code, status(code, reason)); };
  CHECK(csrop::classifyWriteFailure(err(409, "Conflict")) == csrop::WriteFailure::Conflict);
  CHECK(csrop::classifyWriteFailure(err(409, "AlreadyExists")) == csrop::WriteFailure::Conflict);
  CHECK(csrop::classifyWriteFailure(err(404, "NotFound")) == csrop::WriteFailure::NotFound);
  CHECK(csrop::classifyWriteFailure(err(403, "Forbidden")) == csrop::WriteFailure::Forbidden);
  CHECK(csrop::classifyWriteFailure(err(503, "ServiceUnavailable")) == csrop::WriteFailure::Transient);
  CHECK(csrop::classifyWriteFailure(std::runtime_error("connection reset")) == csrop::WriteFailure::Transient);
  const auto hint = csrop::missingPermissionHint({"a", "example.com/w", "writing the certificate", "sign", "status"});
  CHECK(hint.find("certificatesigningrequests/status") != std::string::npos);
  CHECK(hint.find("verb 'sign'") != std::string::npos);
  CHECK(hint.find("[example.com/w]") != std::string::npos);
  CHECK(csrop::missingPermissionHint({"a", "s", "deleting the CSR", "delete", ""}).find("delete certificatesigningrequests") !=
        std::string::npos);
}

TEST_CASE("controller: processNextWorkItem forgets a key on success and requeues it with backoff on failure") {
  Harness h;
  h.lister.put(cached(csrNamed("e")));
  h.transport->queueSend(500, status(500, "InternalError"));
  h.transport->queueSend(500, status(500, "InternalError"));
  h.queue.add("e");
  REQUIRE(h.controller->processNextWorkItem());
  CHECK(h.queue.failures("e") == 1);
  REQUIRE(h.controller->processNextWorkItem());  // handed out again after its backoff
  CHECK(h.queue.failures("e") == 2);
  h.transport->queueSend(404, status(404, "NotFound"));
  REQUIRE(h.controller->processNextWorkItem());
  CHECK(h.queue.failures("e") == 0);
  CHECK(h.queue.depth() == 0);
  CHECK(h.requests().size() == 3);
  h.queue.shutDown();
  CHECK_FALSE(h.controller->processNextWorkItem());
}

TEST_CASE("controller: a replica that is not the leader takes keys off the queue and writes nothing") {
  Harness h;
  h.leader = false;
  h.lister.put(cached(csrNamed("f")));
  h.queue.add("f");
  REQUIRE(h.controller->processNextWorkItem());
  CHECK(h.requests().empty());
  CHECK(h.policy->evaluated == 0);
  CHECK(h.queue.depth() == 0);
}

TEST_CASE("controller: leadership lost between the decision and its write: nothing written, retried") {
  Harness h;
  h.lister.put(cached(csrNamed("g")));
  h.policy->verdict = csrop::Verdict::approve("Scripted", "ok");
  h.leader = true;
  // The policy runs as leader; the approver checks again right before it writes.
  struct Flip : ScriptedPolicy {
    std::atomic<bool>* leader;
    csrop::Explanation explain(const k8s::CertificateSigningRequest& csr) override {
      *leader = false;
      return ScriptedPolicy::explain(csr);
    }
  };
  auto flip = std::make_unique<Flip>();
  flip->leader = &h.leader;
  std::vector<std::unique_ptr<csrop::ApprovalPolicy>> policies;
  policies.push_back(std::move(flip));
  csrop::CsrApprover approver(*h.client, std::move(policies), csrop::CsrApprover::Modes{}, h.events, h.metrics,
                              [&] { return h.leader.load(); });
  csrop::CsrController controller({h.lister, *h.client, h.queue, &approver, *h.csrSigner, h.pending, nullptr, [] { return true; }});
  const auto r = controller.syncHandler("g");
  CHECK(r.retry);
  CHECK(r.error.find("not the leader") != std::string::npos);
  CHECK(h.requests().empty());
}

TEST_CASE("controller: observe mode decides and counts every CSR and writes nothing") {
  Harness h;
  auto p = std::make_unique<ScriptedPolicy>();
  auto* policy = p.get();
  std::vector<std::unique_ptr<csrop::ApprovalPolicy>> policies;
  policies.push_back(std::move(p));
  csrop::CsrApprover approver(*h.client, std::move(policies), {csrop::ApproverMode::Observe, csrop::DenyMode::Deny}, h.events, h.metrics,
                              [] { return true; });
  csrop::CsrController controller({h.lister, *h.client, h.queue, &approver, *h.csrSigner, h.pending, nullptr, [] { return true; }});
  const auto decisions = [&](const char* decision, const char* reason) {
    return h.metrics.value(csrop::metric::kDecisions, {{"signer", kSigner}, {"decision", decision}, {"reason", reason}});
  };
  h.lister.put(cached(csrNamed("honest")));
  h.lister.put(cached(csrNamed("hostile")));
  h.lister.put(cached(csrNamed("early")));

  policy->verdict = csrop::Verdict::approve("AutoApproved", "would approve");
  CHECK_FALSE(controller.syncHandler("honest").retry);
  policy->verdict = csrop::Verdict::deny("NotOwned", "would deny");
  CHECK_FALSE(controller.syncHandler("hostile").retry);
  policy->verdict = csrop::Verdict::retry("NodeNotSynced", "not yet");
  CHECK(controller.syncHandler("early").retry);  // retried as in enforce mode, to log the decision it comes to

  CHECK(policy->evaluated == 3);
  CHECK(decisions("approve", "AutoApproved") == 1);
  CHECK(decisions("deny", "NotOwned") == 1);
  CHECK(h.requests().empty());  // no approval, no denial, no Event, no signature
  CHECK(h.signer->issued == 0);

  const auto fields =
      csrop::decisionFields(csrNamed("honest"), "scripted", csrop::Verdict::approve("AutoApproved", "x"), csrop::ApproverMode::Observe);
  CHECK(std::any_of(fields.begin(), fields.end(), [](const csrop::LogField& f) { return f.key == "mode" && f.value == "observe"; }));
  const auto enforced = csrop::decisionFields(csrNamed("honest"), "scripted", csrop::Verdict::approve("AutoApproved", "x"));
  CHECK(std::none_of(enforced.begin(), enforced.end(), [](const csrop::LogField& f) { return f.key == "mode"; }));
}

TEST_CASE("controller: the signer marks a refused request Failed, and postpones on a transient error") {
  Harness h;
  h.lister.put(cached(approvedCopy(csrNamed("h"))));
  SUBCASE("validation failure: Failed / SignerValidationFailure, an Event, no certificate") {
    h.signer->error = signers::IssueError{signers::IssueErrorKind::ValidationFailed, "DNS name not allowed"};
    h.transport->queueSend(200, body(approvedCopy(csrNamed("h"), "4")));
    h.transport->queueSend(200, body(approvedCopy(csrNamed("h"), "5")));
    h.transport->queueSend(201, R"({"kind":"Event"})");
    CHECK_FALSE(h.controller->syncHandler("h").retry);
    const auto reqs = h.requests();
    REQUIRE(reqs.size() == 3);
    const auto written = nlohmann::json::parse(reqs[1].body).get<k8s::CertificateSigningRequest>();
    CHECK(csrop::phaseOf(written) == csrop::CsrPhase::Failed);
    CHECK(written.status.conditions.back().reason == "SignerValidationFailure");
    CHECK(written.status.certificate.empty());
  }
  SUBCASE("transient: retried, nothing written") {
    h.signer->error = signers::IssueError{signers::IssueErrorKind::Transient, "CA not valid yet"};
    h.transport->queueSend(200, body(approvedCopy(csrNamed("h"), "4")));
    const auto r = h.controller->syncHandler("h");
    CHECK(r.retry);
    CHECK(h.requests().size() == 1);
  }
}

TEST_CASE("controller: a watch event queues a pending or approved CSR, not a denied, failed or issued one") {
  Harness h;
  auto pending = csrNamed("pending");
  auto approved = approvedCopy(csrNamed("approved"));
  auto issued = approvedCopy(csrNamed("issued"));
  issued.status.certificate = "certificate";
  auto denied = csrNamed("denied");
  denied.status.conditions.push_back({"Denied", "True", "Scripted", "denied by the test", "", ""});
  auto failed = approvedCopy(csrNamed("failed"));
  failed.status.conditions.push_back({"Failed", "True", "SignerValidationFailure", "refused", "", ""});
  for (const auto& c : {issued, denied, failed}) h.controller->csrUpdated(cached(c));
  CHECK(h.queue.depth() == 0);
  h.controller->csrAdded(cached(pending));
  h.controller->csrUpdated(cached(approved));
  CHECK(h.queue.depth() == 2);
  std::set<std::string> queued;
  for (int i = 0; i < 2; ++i) queued.insert(*h.queue.get());
  CHECK(queued == std::set<std::string>{"pending", "approved"});
}

TEST_CASE("controller: the flood guard leaves a requester's older CSRs alone") {
  Harness h;
  csrop::PendingIndex pending(1);
  csrop::CsrController controller({h.lister, *h.client, h.queue, h.approver.get(), *h.csrSigner, pending, nullptr, [] { return true; }});
  auto older = csrNamed("old"), newer = csrNamed("new");
  newer.metadata.creationTimestamp = "2026-12-01T00:00:05Z";
  for (const auto& c : {older, newer}) {
    h.lister.put(cached(c));
    controller.csrAdded(cached(c));
  }
  CHECK_FALSE(controller.syncHandler("old").retry);
  CHECK(h.policy->evaluated == 0);
  CHECK(h.requests().empty());
}

TEST_CASE("controller: run starts no worker before every cache has synced, and returns on stop") {
  Harness h;
  h.lister.put(cached(csrNamed("i")));
  h.transport->onSend = [](const k8s::HttpRequest&) { return k8stest::respond(500, status(500, "InternalError")); };
  std::atomic<bool> nodesSynced{false};
  k8stest::FakeClock clock;
  std::stop_source stop;
  std::atomic<bool> onSyncedCalled{false};
  std::jthread runner([&] {
    h.controller->run(2, {{"csrs", [] { return true; }}, {"nodes", [&] { return nodesSynced.load(); }}}, clock, stop.get_token(),
                      [&] { onSyncedCalled = true; });
  });
  const auto waitFor = [](const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!condition() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    return condition();
  };
  REQUIRE(waitFor([&] {
    std::lock_guard l(clock.mu);
    return clock.sleeps.size() >= 50;  // polled the unsynced nodes cache many times
  }));
  CHECK(h.requests().empty());
  CHECK_FALSE(onSyncedCalled);
  nodesSynced = true;
  CHECK(waitFor([&] { return !h.requests().empty(); }));  // the resync after the caches synced
  CHECK(onSyncedCalled);
  stop.request_stop();
  runner.join();
  CHECK_FALSE(h.controller->processNextWorkItem());  // the queue was shut down
}
