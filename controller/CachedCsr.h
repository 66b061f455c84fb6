// A CSR as the operator's cache holds it: the object the cache transform left (compactCsr) and
// the facts the transform recorded about what it took out, so nothing downstream mistakes a
// compacted object for the real one.
#pragma once

#include "controller/CsrPhase.h"
#include "k8sclient/Objects.h"

#include <chrono>
#include <optional>

namespace csrop {

struct CachedCsr {
  // Once decided, spec.request and status.certificate are not kept: use phase and the facts below.
  k8s::CertificateSigningRequest csr;
  CsrPhase phase = CsrPhase::Pending;
  // The issued certificate's NotAfter; empty when not issued or when the certificate did not parse.
  std::optional<std::chrono::system_clock::time_point> certificateNotAfter;
  // Requester metadata an approval PUT built from this copy would erase was dropped: read the CSR
  // from the API server before writing a decision.
  bool needsFreshRead = false;
};

}  // namespace csrop
