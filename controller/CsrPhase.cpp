#include "controller/CsrPhase.h"

namespace csrop {
namespace {

bool holds(const std::vector<k8s::CsrCondition>& conditions, std::string_view type) {
  for (const auto& c : conditions)
    if (c.type == type && (c.status.empty() || c.status == "True")) return true;
  return false;
}

}  // namespace

std::string_view phaseName(CsrPhase phase) {
  switch (phase) {
    case CsrPhase::Pending: return "pending";
    case CsrPhase::Approved: return "approved";
    case CsrPhase::Denied: return "denied";
    case CsrPhase::Failed: return "failed";
    case CsrPhase::Issued: return "issued";
  }
  return "unknown";
}

CsrPhase phaseOf(const std::vector<k8s::CsrCondition>& conditions, bool hasCertificate) {
  if (holds(conditions, "Denied")) return CsrPhase::Denied;
  if (holds(conditions, "Failed")) return CsrPhase::Failed;
  if (hasCertificate) return CsrPhase::Issued;
  if (holds(conditions, "Approved")) return CsrPhase::Approved;
  return CsrPhase::Pending;
}

CsrPhase phaseOf(const k8s::CertificateSigningRequest& csr) { return phaseOf(csr.status.conditions, !csr.status.certificate.empty()); }

}  // namespace csrop
