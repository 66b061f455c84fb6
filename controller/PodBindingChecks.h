// The optional checks of a PodCertificateRequest before it is signed (podCertificates.signers[]
// verifyPod and accessReview, off by default). The API server's NodeRestriction admitted the
// request only for a pod bound to the requesting node with these UIDs and this service account,
// and the docs say a signer "can rely on the information in the request to be accurate"; these
// checks are for signers that also want the pod to still exist as it was when it asked, and an
// authorization decision per service account that RBAC can grant or revoke.
#pragma once

#include "controller/Config.h"
#include "controller/Lookups.h"

#include <string>

namespace k8s {
struct PodCertificateRequest;
}

namespace csrop {

struct PodCheckOutcome {
  enum class Kind { Passed, Denied, Retry } kind = Kind::Passed;
  std::string reason;   // Denied: the condition's reason
  std::string message;  // Denied: the condition's message; Retry: what failed

  static PodCheckOutcome passed() { return {}; }
  static PodCheckOutcome denied(std::string reason, std::string message) { return {Kind::Denied, std::move(reason), std::move(message)}; }
  static PodCheckOutcome retry(std::string message) { return {Kind::Retry, {}, std::move(message)}; }
};

// The Pod (namespace/spec.podName) must exist, not be terminating, have UID spec.podUID, run on
// spec.nodeName with spec.serviceAccountName, and that ServiceAccount must have spec.serviceAccountUID.
// Denied PodNotFound / PodMismatch / ServiceAccountMismatch; a failed read is Retry.
PodCheckOutcome checkPodBinding(const k8s::PodCertificateRequest& pcr, PodDirectory& pods);

// SubjectAccessReview for system:serviceaccount:<ns>:<name> (groups system:serviceaccounts,
// system:serviceaccounts:<ns>, system:authenticated) with the configured attributes, in the
// request's namespace. Not allowed: Denied NotAuthorized; an error: Retry.
PodCheckOutcome reviewServiceAccountAccess(const k8s::PodCertificateRequest& pcr, const PodAccessReviewConfig& review,
                                           AccessReviewer& reviewer);

}  // namespace csrop
