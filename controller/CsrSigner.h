// Issues certificates for approved CSRs of the configured signers and writes them through the
// /status subresource. Approval is re-checked on a fresh read of the very object that is
// written, and the write carries that object's resourceVersion, so a CSR is signed at most once
// even with two replicas, restarts and replayed events (a second writer gets 409 Conflict, and
// the API server refuses to change a certificate once set).
#pragma once

#include "controller/EventRecorder.h"
#include "controller/Metrics.h"
#include "controller/SyncResult.h"
#include "k8sclient/Clock.h"
#include "k8sclient/KubeClient.h"
#include "signers/SignerSet.h"

#include <functional>
#include <memory>

namespace csrop {

class CsrSigner {
 public:
  CsrSigner(k8s::KubeClient& client, const signers::SignerSet& signers, EventRecorder& events, Metrics& metrics,
            std::function<bool()> mayWrite, std::shared_ptr<k8s::Clock> clock = k8s::steadyClock());

  // Whether this instance signs for signerName.
  bool signs(const std::string& signerName) const;
  // Reads the CSR from the API server, then signs it if it is ready.
  SyncResult sync(const std::string& name);
  // Signs this copy, which must come straight from the API server (a GET, or the response to
  // our own approval write): readiness is judged on it and the write carries its resourceVersion.
  SyncResult signFresh(k8s::CertificateSigningRequest csr);

 private:
  SyncResult markFailed(k8s::CertificateSigningRequest csr, const std::string& message);

  k8s::KubeClient& client_;
  const signers::SignerSet& signers_;
  EventRecorder& events_;
  Metrics& metrics_;
  std::function<bool()> mayWrite_;
  std::shared_ptr<k8s::Clock> clock_;  // validity from its wall time, signing duration from its steady time
};

}  // namespace csrop
