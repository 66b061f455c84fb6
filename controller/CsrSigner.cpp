#include "controller/CsrSigner.h"

#include "controller/CsrPhase.h"
#include "controller/Timestamp.h"
#include "controller/LogFormat.h"
#include "controller/WriteFailures.h"
#include "k8sclient/ApiError.h"
#include "signers/LogText.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace csrop {
CsrSigner::CsrSigner(k8s::KubeClient& client, const signers::SignerSet& signers, EventRecorder& events, Metrics& metrics,
                     std::function<bool()> mayWrite, std::shared_ptr<k8s::Clock> clock)
    : client_(client), signers_(signers), events_(events), metrics_(metrics), mayWrite_(std::move(mayWrite)), clock_(std::move(clock)) {}

bool CsrSigner::signs(const std::string& signerName) const { return signers_.find(signerName) != nullptr; }

namespace {
std::string versionKey(const k8s::ObjectMeta& meta) { return meta.uid + "/" + meta.resourceVersion; }
}  // namespace

void CsrSigner::rememberIssued(const k8s::ObjectMeta& meta) {
  if (meta.uid.empty() || meta.resourceVersion.empty()) return;
  std::lock_guard lock(issuedMu_);
  if (!issued_.insert(versionKey(meta)).second) return;
  issuedOrder_.push_back(versionKey(meta));
  if (issuedOrder_.size() > kRememberedIssues) {
    issued_.erase(issuedOrder_.front());
    issuedOrder_.pop_front();
  }
}

bool CsrSigner::issuedAt(const k8s::ObjectMeta& meta) {
  if (meta.uid.empty() || meta.resourceVersion.empty()) return false;
  std::lock_guard lock(issuedMu_);
  return issued_.contains(versionKey(meta));
}

SyncResult CsrSigner::sync(const k8s::CertificateSigningRequest& cached) {
  // The status write at this version succeeded, so the server has the certificate; anything that
  // changed the CSR since would have given the cache a new version.
  if (issuedAt(cached.metadata)) return SyncResult::done();
  const std::string& name = cached.metadata.name;
  k8s::CertificateSigningRequest csr;
  try {
    csr = client_.get<k8s::CertificateSigningRequest>(name);
  } catch (const std::exception& e) {
    if (k8s::isNotFound(e)) return SyncResult::done();
    return SyncResult::again(std::string("reading the CSR before signing failed: ") + e.what());
  }
  return signFresh(std::move(csr));
}

SyncResult CsrSigner::signFresh(k8s::CertificateSigningRequest csr) {
  const std::string name = csr.metadata.name;
  const auto* signer = signers_.find(csr.spec.signerName);
  if (!signer || phaseOf(csr) != CsrPhase::Approved) return SyncResult::done();
  if (!mayWrite_()) return SyncResult::again("not the leader any more; not signing");

  const auto started = clock_->now();
  auto outcome = signer->issue(
      {csr.spec.request, csr.spec.signerName, csr.spec.usages, csr.spec.expirationSeconds, {csr.spec.username, csr.spec.groups}},
      clock_->systemNow());
  if (auto* error = std::get_if<signers::IssueError>(&outcome)) {
    if (error->kind == signers::IssueErrorKind::Transient) {
      spdlog::warn("signing postponed: csr={} signer={} error=\"{}\"", name, csr.spec.signerName, signers::escapeForLog(error->message));
      return SyncResult::again(error->message);
    }
    return markFailed(std::move(csr), error->message);
  }
  const auto& issued = std::get<signers::IssuedCertificate>(outcome);
  metrics_.observe(metric::kSigningDuration, {{"signer", csr.spec.signerName}},
                   std::chrono::duration<double>(clock_->now() - started).count());
  csr.status.certificate = issued.pem;
  try {
    client_.writeSubresource(csr, "status");
  } catch (const std::exception& e) {
    return afterFailedWrite(e, {name, csr.spec.signerName, "writing the certificate", "sign", "status"});
  }
  rememberIssued(csr.metadata);
  metrics_.inc(metric::kIssued, {{"signer", csr.spec.signerName}});
  if (auto created = parseRfc3339(csr.metadata.creationTimestamp))
    metrics_.observe(metric::kCsrLatency, {{"signer", csr.spec.signerName}},
                     std::chrono::duration<double>(clock_->systemNow() - *created).count());
  // No Event here: the certificate in the CSR's status is the record users see (kubectl get csr
  // shows Issued), kube-controller-manager's signer writes none either, and an Event per issuance
  // was a quarter of the operator's API requests. Refusals (SignerValidationFailure) do get one.
  logEvent(spdlog::level::info, "issued",
           {{"csr", name},
            {"signer", csr.spec.signerName},
            {"requester", csr.spec.username},
            {"decision", "issued"},
            {"serial", issued.serialHex},
            {"clampedToCaNotAfter", issued.clampedToCaNotAfter ? "true" : "false"}});
  return SyncResult::done();
}

SyncResult CsrSigner::markFailed(k8s::CertificateSigningRequest csr, const std::string& message) {
  const std::string now = k8s::nowRfc3339();
  csr.status.conditions.push_back({"Failed", "True", "SignerValidationFailure", message, now, now});
  try {
    client_.writeSubresource(csr, "status");
  } catch (const std::exception& e) {
    return afterFailedWrite(e, {csr.metadata.name, csr.spec.signerName, "writing the Failed condition", "sign", "status"});
  }
  logEvent(spdlog::level::warn, "signing refused",
           {{"csr", csr.metadata.name},
            {"signer", csr.spec.signerName},
            {"requester", csr.spec.username},
            {"decision", "failed"},
            {"reason", "SignerValidationFailure"},
            {"message", message}});
  metrics_.inc(metric::kDecisions, {{"signer", csr.spec.signerName}, {"decision", "failed"}, {"reason", "SignerValidationFailure"}});
  events_.record(csr, "Warning", "SignerValidationFailure", message, "Sign");
  return SyncResult::done();
}

}  // namespace csrop
