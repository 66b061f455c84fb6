#include "controller/CsrApprover.h"

#include "controller/CsrPhase.h"
#include "controller/WriteFailures.h"

#include <spdlog/spdlog.h>

namespace csrop {

CsrApprover::CsrApprover(k8s::KubeClient& client, std::vector<std::unique_ptr<ApprovalPolicy>> policies, Modes modes, EventRecorder& events,
                         Metrics& metrics, std::function<bool()> mayWrite)
    : client_(client), policies_(std::move(policies)), modes_(modes), events_(events), metrics_(metrics), mayWrite_(std::move(mayWrite)) {}

ApprovalPolicy* policyFor(const std::vector<std::unique_ptr<ApprovalPolicy>>& policies, const std::string& signerName) {
  for (const auto& p : policies)
    if (p->handles(signerName)) return p.get();
  return nullptr;
}

Verdict withDenyMode(Verdict verdict, DenyMode mode) {
  if (verdict.decision == Decision::Deny && mode == DenyMode::Skip)
    return Verdict::skip(verdict.reason, "approve-only mode, not denying: " + verdict.message);
  return verdict;
}

LogFields decisionFields(const k8s::CertificateSigningRequest& csr, std::string_view policy, const Verdict& verdict, ApproverMode mode) {
  // The formatter quotes and escapes what the requester can influence: one decision is one line.
  LogFields fields{{"csr", csr.metadata.name},
                   {"signer", csr.spec.signerName},
                   {"requester", csr.spec.username},
                   {"policy", std::string(policy)},
                   {"decision", decisionName(verdict.decision)},
                   {"reason", verdict.reason},
                   {"message", verdict.message}};
  if (mode == ApproverMode::Observe) fields.push_back({"mode", "observe"});
  return fields;
}

SyncResult CsrApprover::sync(const k8s::CertificateSigningRequest& csr, std::optional<k8s::CertificateSigningRequest>* approved) {
  if (phaseOf(csr) != CsrPhase::Pending) return SyncResult::done();
  ApprovalPolicy* policy = policyFor(policies_, csr.spec.signerName);
  if (!policy) {
    spdlog::debug("no approval policy: csr={} signer={}", csr.metadata.name, csr.spec.signerName);
    return SyncResult::done();
  }
  const Verdict verdict = withDenyMode(policy->evaluate(csr), modes_.denyMode);

  logEvent(spdlog::level::info, "decision", decisionFields(csr, policy->name(), verdict, modes_.mode));
  metrics_.inc(metric::kDecisions,
               {{"signer", csr.spec.signerName}, {"decision", decisionName(verdict.decision)}, {"reason", verdict.reason}});

  switch (verdict.decision) {
    case Decision::Skip: return SyncResult::done();
    case Decision::Retry: return SyncResult::again(verdict.reason + ": " + verdict.message);
    case Decision::Approve:
    case Decision::Deny:
      if (modes_.mode == ApproverMode::Observe) return SyncResult::done();
      return write(csr, verdict, approved);
  }
  return SyncResult::done();
}

SyncResult CsrApprover::write(const k8s::CertificateSigningRequest& csr, const Verdict& verdict,
                              std::optional<k8s::CertificateSigningRequest>* approved) {
  if (!mayWrite_()) return SyncResult::again("not the leader any more; decision not written");
  const bool approve = verdict.decision == Decision::Approve;
  k8s::CertificateSigningRequest updated = csr;
  const std::string now = k8s::nowRfc3339();
  updated.status.conditions.push_back({approve ? "Approved" : "Denied", "True", verdict.reason, verdict.message, now, now});
  try {
    if (approve && approved) {
      // The signer goes on from this object: the approval subresource stores only our conditions
      // and keeps the spec (registry/certificates/certificates/strategy.go, csrApprovalStrategy),
      // so the one thing the answer adds is the version the next write must name.
      updated.metadata.resourceVersion = client_.writeSubresourceVersion(updated, "approval");
      *approved = std::move(updated);
    } else {
      client_.writeSubresource(updated, "approval");
    }
  } catch (const std::exception& e) {
    return afterFailedWrite(e, {csr.metadata.name, csr.spec.signerName, "writing the decision", "approve", "approval"});
  }
  events_.record(csr, approve ? "Normal" : "Warning", approve ? "CSRApproved" : "CSRDenied", verdict.reason + ": " + verdict.message,
                 approve ? "Approve" : "Deny");
  return SyncResult::done();
}

}  // namespace csrop
