#include "controller/PodCertificateController.h"

#include "controller/EventRecorder.h"
#include "controller/Metrics.h"
#include "controller/QueueWorkers.h"
#include "controller/Timestamp.h"
#include "controller/WorkQueue.h"
#include "controller/LogFormat.h"
#include "controller/WriteFailures.h"
#include "k8sclient/ApiError.h"
#include "k8sclient/Rfc3339.h"
#include "signers/LogText.h"
#include "signers/PodCertificate.h"

#include <spdlog/spdlog.h>

#include <thread>

namespace csrop {

PodCertificateCaches::PodCertificateCaches(k8s::KubeClient& client, const std::string& version, const std::vector<std::string>& signerNames,
                                           k8s::InformerOptions options) {
  options.ns.clear();  // every namespace: the kubelet creates requests in the pod's
  for (const auto& name : signerNames)
    informers_.push_back(
        std::make_unique<k8s::InformerCore>(client, k8s::podCertificateRequestResource(version), k8s::signerNameSelector(name), options));
}

void PodCertificateCaches::onChange(const std::function<void(const std::string&)>& f) {
  for (auto& i : informers_) {
    auto* core = i.get();
    core->onAdd([f, core](const nlohmann::json& j) { f(core->keyOf(j)); });
    core->onUpdate([f, core](const nlohmann::json&, const nlohmann::json& now) { f(core->keyOf(now)); });
  }
}

void PodCertificateCaches::onDelete(const std::function<void(const std::string&)>& f) {
  for (auto& i : informers_) {
    auto* core = i.get();
    core->onDelete([f, core](const nlohmann::json& j) { f(core->keyOf(j)); });
  }
}

void PodCertificateCaches::run(std::stop_token stop) {
  std::vector<std::jthread> threads;
  for (auto& i : informers_) threads.emplace_back([&i, stop](std::stop_token) { i->run(stop); });
}

bool PodCertificateCaches::hasSynced() const {
  for (const auto& i : informers_)
    if (!i->hasSynced()) return false;
  return true;
}

std::optional<k8s::PodCertificateRequest> PodCertificateCaches::get(const std::string& key) const {
  for (const auto& i : informers_)
    if (auto j = i->get(key)) return j->get<k8s::PodCertificateRequest>();
  return std::nullopt;
}

std::vector<std::string> PodCertificateCaches::keys() const {
  std::vector<std::string> out;
  for (const auto& i : informers_) {
    auto keys = i->keys();
    out.insert(out.end(), std::make_move_iterator(keys.begin()), std::make_move_iterator(keys.end()));
  }
  return out;
}

std::size_t PodCertificateCaches::size() const {
  std::size_t n = 0;
  for (const auto& i : informers_) n += i->size();
  return n;
}

std::uint64_t PodCertificateCaches::watchRestarts() const {
  std::uint64_t n = 0;
  for (const auto& i : informers_) n += i->watchRestarts();
  return n;
}

namespace {

std::string keyOf(const k8s::PodCertificateRequest& pcr) { return pcr.metadata.namespace_ + "/" + pcr.metadata.name; }

signers::PodCertificateRequestFacts factsOf(const k8s::PodCertificateRequest& pcr) {
  signers::PodCertificateRequestFacts f;
  f.namespaceName = pcr.metadata.namespace_;
  f.name = pcr.metadata.name;
  f.signerName = pcr.spec.signerName;
  f.podName = pcr.spec.podName;
  f.podUID = pcr.spec.podUID;
  f.serviceAccountName = pcr.spec.serviceAccountName;
  f.serviceAccountUID = pcr.spec.serviceAccountUID;
  f.nodeName = pcr.spec.nodeName;
  f.nodeUID = pcr.spec.nodeUID;
  if (pcr.spec.maxExpirationSeconds) f.maxExpirationSeconds = *pcr.spec.maxExpirationSeconds;
  f.stubPkcs10Der = pcr.spec.stubPKCS10Request;
  f.pkixPublicKeyDer = pcr.spec.pkixPublicKey;
  f.proofOfPossession = pcr.spec.proofOfPossession;
  f.unverifiedUserAnnotations = pcr.spec.unverifiedUserAnnotations;
  return f;
}

// The status the outcome becomes: one terminal condition, and for Issued the chain and its times
// (the API server wants all three equal to the leaf's). Denied and Failed carry nothing else.
k8s::PodCertificateRequest::Status statusOf(const signers::PodCertificateOutcome& outcome, std::chrono::system_clock::time_point now,
                                            std::string* serial) {
  k8s::PodCertificateRequest::Status status;
  const std::string at = k8s::formatRfc3339(now);
  if (const auto* issued = std::get_if<signers::PodCertificateIssued>(&outcome)) {
    status.certificateChain = issued->certificateChainPem;
    status.notBefore = k8s::formatRfc3339(issued->notBefore);
    status.beginRefreshAt = k8s::formatRfc3339(issued->beginRefreshAt);
    status.notAfter = k8s::formatRfc3339(issued->notAfter);
    status.conditions.push_back(
        {k8s::kPcrIssued, "True", "Issued", "issued by csr-operator, serial " + issued->serialHex, at, std::nullopt});
    *serial = issued->serialHex;
  } else {
    const auto& refused = std::get<signers::PodCertificateRefused>(outcome);
    status.conditions.push_back({refused.kind == signers::PodRefusalKind::Denied ? k8s::kPcrDenied : k8s::kPcrFailed, "True",
                                 refused.reason, refused.message, at, std::nullopt});
  }
  return status;
}

std::string permissionHint(const std::string& signerName) {
  return "csr-operator is not allowed to write podcertificaterequests/status; grant update on that subresource and verb 'sign' "
         "on certificates.k8s.io signers with resourceNames [" +
         signerName + "] (the chart does when podCertificates.signers is set)";
}

}  // namespace

PodCertificateController::PodCertificateController(PodCertificateControllerParts parts) : p_(std::move(parts)) {
  if (!p_.clock) p_.clock = k8s::steadyClock();
}

void PodCertificateController::changed(const std::string& key) { p_.queue.add(key); }

void PodCertificateController::deleted(const std::string& key) {
  p_.queue.forget(key);
  std::lock_guard l(writtenMu_);
  writtenFrom_.erase(key);
}

void PodCertificateController::enqueueAll() {
  for (const auto& key : p_.pcrs.keys()) p_.queue.add(key);
}

void PodCertificateController::run(int workers, const std::function<bool()>& hasSynced, std::stop_token stop) {
  std::stop_callback shutDown(stop, [this] { p_.queue.shutDown(); });
  if (!waitForCacheSync({{"podcertificaterequests", hasSynced}}, *p_.clock, stop)) return;
  spdlog::info("podcertificaterequests synced: starting {} workers", workers);
  enqueueAll();
  runWorkers(workers, [this] { return processNextWorkItem(); });
}

bool PodCertificateController::processNextWorkItem() {
  return csrop::processNextWorkItem(p_.queue, p_.mayWrite, "pcr", [this](const std::string& key) { return syncHandler(key); });
}

PodCheckOutcome PodCertificateController::extraChecks(const k8s::PodCertificateRequest& pcr) const {
  const auto it = p_.checks.find(pcr.spec.signerName);
  if (it == p_.checks.end()) return PodCheckOutcome::passed();
  if (it->second.verifyPod) {
    auto bound = checkPodBinding(pcr, *p_.pods);
    if (bound.kind != PodCheckOutcome::Kind::Passed) return bound;
  }
  if (!it->second.accessReview.verb.empty()) return reviewServiceAccountAccess(pcr, it->second.accessReview, *p_.reviewer);
  return PodCheckOutcome::passed();
}

bool PodCertificateController::alreadyWritten(const k8s::PodCertificateRequest& cached) {
  std::lock_guard l(writtenMu_);
  const auto it = writtenFrom_.find(keyOf(cached));
  return it != writtenFrom_.end() && it->second == cached.metadata.resourceVersion;
}

SyncResult PodCertificateController::syncHandler(const std::string& key) {
  const auto cached = p_.pcrs.get(key);
  if (!cached || k8s::terminalCondition(*cached)) return SyncResult::done();
  const auto signer = p_.signers.find(cached->spec.signerName);
  if (signer == p_.signers.end() || alreadyWritten(*cached)) return SyncResult::done();
  if (!p_.mayWrite()) return SyncResult::again("not the leader any more; not signing");

  const auto now = p_.clock->systemNow();
  const auto gate = [&]() -> std::optional<signers::PodCertificateOutcome> {
    auto checked = extraChecks(*cached);
    switch (checked.kind) {
      case PodCheckOutcome::Kind::Passed: return std::nullopt;
      case PodCheckOutcome::Kind::Denied:
        return signers::PodCertificateRefused{signers::PodRefusalKind::Denied, std::move(checked.reason), std::move(checked.message)};
      case PodCheckOutcome::Kind::Retry: return signers::PodCertificateRetry{std::move(checked.message)};
    }
    return std::nullopt;
  };
  const auto outcome = signer->second->issue(factsOf(*cached), now, gate);
  if (const auto* retry = std::get_if<signers::PodCertificateRetry>(&outcome)) {
    spdlog::warn("signing postponed: pcr={} signer={} error=\"{}\"", key, cached->spec.signerName, signers::escapeForLog(retry->message));
    return SyncResult::again(retry->message);
  }
  std::string serial;
  const auto status = statusOf(outcome, now, &serial);
  return write(*cached, status, serial, true);
}

SyncResult PodCertificateController::write(k8s::PodCertificateRequest pcr, const k8s::PodCertificateRequest::Status& status,
                                           const std::string& serial, bool reread) {
  const std::string key = keyOf(pcr);
  const std::string writtenFrom = pcr.metadata.resourceVersion;
  pcr.status = status;
  try {
    k8s::updatePodCertificateRequestStatus(p_.client, p_.version, pcr);
  } catch (const std::exception& e) {
    switch (classifyWriteFailure(e)) {
      case WriteFailure::NotFound: return SyncResult::done();
      case WriteFailure::Conflict: break;
      case WriteFailure::Forbidden:
        spdlog::error("permission missing: pcr={} signer={} {}: {}", key, pcr.spec.signerName, permissionHint(pcr.spec.signerName),
                      e.what());
        return SyncResult::again(std::string("writing the status failed: ") + e.what());
      case WriteFailure::Transient: return SyncResult::again(std::string("writing the status failed: ") + e.what());
    }
    if (!reread) return SyncResult::again("the PodCertificateRequest changed again while writing its status; deciding it anew");
    // Someone wrote first (another replica, or our own earlier write the cache has not seen):
    // the fresh copy says whether this outcome may still be written.
    k8s::PodCertificateRequest fresh;
    try {
      fresh = k8s::getPodCertificateRequest(p_.client, p_.version, pcr.metadata.namespace_, pcr.metadata.name);
    } catch (const std::exception& readError) {
      if (k8s::isNotFound(readError)) return SyncResult::done();
      return SyncResult::again(std::string("reading the PodCertificateRequest after a conflict failed: ") + readError.what());
    }
    if (const auto* terminal = k8s::terminalCondition(fresh)) {
      spdlog::info("pcr={} signer={} already decided elsewhere (condition {}); nothing written", key, pcr.spec.signerName, terminal->type);
      return SyncResult::done();
    }
    return write(std::move(fresh), status, serial, false);
  }
  {
    std::lock_guard l(writtenMu_);
    writtenFrom_[key] = writtenFrom;
  }
  recordOutcome(pcr, status.conditions.front(), serial);
  return SyncResult::done();
}

void PodCertificateController::recordOutcome(const k8s::PodCertificateRequest& pcr, const k8s::Condition& condition,
                                             const std::string& serial) {
  const std::string key = keyOf(pcr);
  const std::string& signer = pcr.spec.signerName;
  if (condition.type == k8s::kPcrIssued) {
    p_.metrics.inc(metric::kPodCertificatesIssued, {{"signer", signer}});
    p_.metrics.inc(metric::kPodCertificateDecisions, {{"signer", signer}, {"decision", "issued"}, {"reason", condition.reason}});
    if (const auto created = parseRfc3339(pcr.metadata.creationTimestamp))
      p_.metrics.observe(metric::kPodCertificateLatency, {{"signer", signer}},
                         std::chrono::duration<double>(p_.clock->systemNow() - *created).count());
    logEvent(spdlog::level::info, "issued",
             {{"pcr", key},
              {"signer", signer},
              {"pod", pcr.spec.podName},
              {"serviceAccount", pcr.spec.serviceAccountName},
              {"node", pcr.spec.nodeName},
              {"decision", "issued"},
              {"serial", serial},
              {"notAfter", pcr.status.notAfter},
              {"beginRefreshAt", pcr.status.beginRefreshAt}});
    p_.events.record(pcr, "Normal", "Issued", condition.message, "Sign");
    return;
  }
  const std::string decision = condition.type == k8s::kPcrDenied ? "denied" : "failed";
  p_.metrics.inc(metric::kPodCertificateDecisions, {{"signer", signer}, {"decision", decision}, {"reason", condition.reason}});
  logEvent(spdlog::level::warn, decision,
           {{"pcr", key},
            {"signer", signer},
            {"pod", pcr.spec.podName},
            {"serviceAccount", pcr.spec.serviceAccountName},
            {"node", pcr.spec.nodeName},
            {"decision", decision},
            {"reason", condition.reason},
            {"message", condition.message}});
  p_.events.record(pcr, "Warning", condition.type, condition.reason + ": " + condition.message, "Sign");
}

}  // namespace csrop
