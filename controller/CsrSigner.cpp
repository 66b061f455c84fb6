#include "controller/CsrSigner.h"

#include "controller/CsrApprover.h"
#include "controller/Timestamp.h"
#include "k8sclient/ApiError.h"

#include "signers/LogText.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace csrop {
namespace {

bool readyToSign(const k8s::CertificateSigningRequest& csr) {
  return k8s::hasCondition(csr, "Approved") && !k8s::hasCondition(csr, "Denied") && !k8s::hasCondition(csr, "Failed") &&
         csr.status.certificate.empty();
}

}  // namespace

CsrSigner::CsrSigner(k8s::KubeClient& client, std::map<std::string, std::unique_ptr<signers::Signer>>& signers, EventRecorder& events,
                     Metrics& metrics, std::function<bool()> mayWrite)
    : client_(client), signers_(signers), events_(events), metrics_(metrics), mayWrite_(std::move(mayWrite)) {}

bool CsrSigner::wants(const k8s::CertificateSigningRequest& csr) const {
  return signers_.count(csr.spec.signerName) && readyToSign(csr);
}

SyncResult CsrSigner::sync(const std::string& name) {
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
  auto it = signers_.find(csr.spec.signerName);
  if (it == signers_.end() || !readyToSign(csr)) return SyncResult::done();
  if (!mayWrite_()) return SyncResult::again("not the leader any more; not signing");

  const auto started = std::chrono::steady_clock::now();
  auto outcome = it->second->issue({csr.spec.request, csr.spec.signerName, csr.spec.usages, csr.spec.expirationSeconds,
                                    {csr.spec.username, csr.spec.groups}},
                                   std::chrono::system_clock::now());
  if (auto* error = std::get_if<signers::IssueError>(&outcome)) {
    if (error->kind == signers::IssueErrorKind::Transient) {
      spdlog::warn("signing postponed: csr={} signer={} error=\"{}\"", name, csr.spec.signerName,
                   signers::escapeForLog(error->message));
      return SyncResult::again(error->message);
    }
    return markFailed(std::move(csr), error->message);
  }
  const auto& issued = std::get<signers::IssuedCertificate>(outcome);
  metrics_.observe(metric::kSigningDuration, {{"signer", csr.spec.signerName}},
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  csr.status.certificate = issued.pem;
  try {
    client_.updateSubresource(csr, "status");
  } catch (const std::exception& e) {
    if (k8s::isConflict(e)) return SyncResult::again("the CSR changed while signing; re-reading it");
    if (k8s::isNotFound(e)) return SyncResult::done();
    if (k8s::isForbidden(e))
      spdlog::error("permission missing: csr={} signer={} {}: {}", name, csr.spec.signerName,
                    missingPermissionHint("sign", "status", csr.spec.signerName), e.what());
    return SyncResult::again(std::string("writing the certificate failed: ") + e.what());
  }
  metrics_.inc(metric::kIssued, {{"signer", csr.spec.signerName}});
  if (auto created = parseRfc3339(csr.metadata.creationTimestamp))
    metrics_.observe(metric::kCsrLatency, {{"signer", csr.spec.signerName}},
                     std::chrono::duration<double>(std::chrono::system_clock::now() - *created).count());
  // No Event here: the certificate in the CSR's status is the record users see (kubectl get csr
  // shows Issued), kube-controller-manager's signer writes none either, and an Event per issuance
  // was a quarter of the operator's API requests. Refusals (SignerValidationFailure) do get one.
  spdlog::info("issued csr={} signer={} requester={} decision=issued serial={} clampedToCaNotAfter={}", name, csr.spec.signerName,
               signers::escapeForLog(csr.spec.username), issued.serialHex, issued.clampedToCaNotAfter);
  return SyncResult::done();
}

SyncResult CsrSigner::markFailed(k8s::CertificateSigningRequest csr, const std::string& message) {
  const std::string now = k8s::nowRfc3339();
  csr.status.conditions.push_back({"Failed", "True", "SignerValidationFailure", message, now, now});
  try {
    client_.updateSubresource(csr, "status");
  } catch (const std::exception& e) {
    if (k8s::isConflict(e)) return SyncResult::again("the CSR changed while marking it Failed; re-reading it");
    if (k8s::isNotFound(e)) return SyncResult::done();
    return SyncResult::again(std::string("writing the Failed condition failed: ") + e.what());
  }
  spdlog::warn("signing refused csr={} signer={} requester={} decision=failed reason=SignerValidationFailure message=\"{}\"",
               csr.metadata.name, csr.spec.signerName, signers::escapeForLog(csr.spec.username), signers::escapeForLog(message));
  metrics_.inc(metric::kDecisions, {{"signer", csr.spec.signerName}, {"decision", "failed"}, {"reason", "SignerValidationFailure"}});
  events_.record(csr, "Warning", "SignerValidationFailure", message, "Sign");
  return SyncResult::done();
}

}  // namespace csrop
