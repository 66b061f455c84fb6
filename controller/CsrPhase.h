// Where a CSR is in its life, read from its conditions and certificate in one place. The API
// server's status validation makes the phases exclusive in practice (Approved and Denied cannot
// both be set, a certificate needs Approved and no Failed: pkg/apis/certificates/validation/
// validation.go); where an object still carries several, the later step wins.
#pragma once

#include "k8sclient/Objects.h"

#include <string_view>
#include <vector>

namespace csrop {

enum class CsrPhase { Pending, Approved, Denied, Failed, Issued };

std::string_view phaseName(CsrPhase phase);

// A condition counts when its status is True or empty (kubectl and kube-controller-manager treat
// an empty status as True for CSRs, which predate the field).
CsrPhase phaseOf(const std::vector<k8s::CsrCondition>& conditions, bool hasCertificate);
CsrPhase phaseOf(const k8s::CertificateSigningRequest& csr);

}  // namespace csrop
