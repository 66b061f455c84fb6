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

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

namespace csrop {

class CsrSigner {
 public:
  CsrSigner(k8s::KubeClient& client, const signers::SignerSet& signers, EventRecorder& events, Metrics& metrics,
            std::function<bool()> mayWrite, std::shared_ptr<k8s::Clock> clock = k8s::steadyClock());

  // Whether this instance signs for signerName.
  bool signs(const std::string& signerName) const;
  // For an Approved copy from the cache: reads the CSR from the API server, then signs it if it is
  // ready. A copy at a version this signer wrote a certificate over costs no read: it is issued,
  // and its Issued watch event has not arrived yet.
  SyncResult sync(const k8s::CertificateSigningRequest& cached);
  // Signs this copy, which must be the API server's (a GET, or our own approval write with the
  // version the server answered): readiness is judged on it and the write carries its resourceVersion.
  SyncResult signFresh(k8s::CertificateSigningRequest csr);
  // Whether a certificate write of this signer succeeded over exactly this version (uid and
  // resourceVersion) of a CSR: that copy is issued, whatever it says.
  bool issuedAt(const k8s::ObjectMeta& meta);

  // How many written-over versions are remembered; far more than CSRs in flight at once.
  static constexpr std::size_t kRememberedIssues = 4096;

 private:
  SyncResult markFailed(k8s::CertificateSigningRequest csr, const std::string& message);
  void rememberIssued(const k8s::ObjectMeta& meta);

  k8s::KubeClient& client_;
  const signers::SignerSet& signers_;
  EventRecorder& events_;
  Metrics& metrics_;
  std::function<bool()> mayWrite_;
  std::shared_ptr<k8s::Clock> clock_;  // validity from its wall time, signing duration from its steady time
  std::mutex issuedMu_;
  std::deque<std::string> issuedOrder_;  // uid and resourceVersion, oldest first
  std::unordered_set<std::string> issued_;
};

}  // namespace csrop
