#include "controller/CsrController.h"

#include "controller/CsrApprover.h"
#include "controller/CsrSigner.h"
#include "controller/DuplicateRequests.h"
#include "controller/PendingIndex.h"
#include "controller/WorkQueue.h"
#include "k8sclient/ApiError.h"
#include "k8sclient/KubeClient.h"
#include "k8sclient/Clock.h"
#include "signers/LogText.h"

#include <spdlog/spdlog.h>

namespace csrop {

void CsrController::record(const CachedCsr& csr) {
  p_.pending.update(csr.csr);
  if (p_.duplicates && csr.phase == CsrPhase::Pending) p_.duplicates->update(csr.csr);
}

namespace {
// Denied, Failed and Issued CSRs leave syncHandler at once: queueing them only cost a cache read
// each (two of a CSR's three watch events arrive after its decision).
bool hasWorkLeft(CsrPhase phase) { return phase == CsrPhase::Pending || phase == CsrPhase::Approved; }
}  // namespace

// The indexes first, so a worker that picks the name up sees its standing.
void CsrController::csrAdded(const CachedCsr& csr) {
  record(csr);
  if (!hasWorkLeft(csr.phase)) return;
  // The approval's own echo, arriving after the certificate was written over it: a sync would
  // find it issued (CsrSigner::sync), and the Issued event that follows needs none either.
  if (csr.phase == CsrPhase::Approved && p_.signer.issuedAt(csr.csr.metadata)) return;
  p_.queue.add(csr.csr.metadata.name);
}

void CsrController::csrUpdated(const CachedCsr& now) { csrAdded(now); }

void CsrController::csrDeleted(const CachedCsr& csr) {
  const auto& name = csr.csr.metadata.name;
  if (auto promoted = p_.pending.remove(name)) p_.queue.add(*promoted);
  if (p_.duplicates)
    if (auto newest = p_.duplicates->remove(name)) p_.queue.add(*newest);
  p_.queue.forget(name);
}

void CsrController::enqueueAll() {
  for (const auto& name : p_.csrs.names()) p_.queue.add(name);
}

void CsrController::run(int workers, const std::vector<CacheSync>& caches, k8s::Clock& clock, std::stop_token stop,
                        const std::function<void()>& onSynced) {
  std::stop_callback shutDown(stop, [this] { p_.queue.shutDown(); });
  // The flood guard ranks a requester's CSRs, which needs all of them listed; nothing is owned
  // before the address index has seen every Node: no decision before every cache is in.
  if (!waitForCacheSync(caches, clock, stop)) return;
  if (onSynced) onSynced();
  spdlog::info("caches synced: starting {} workers", workers);
  // A resync after the first sync covers CSRs that arrived before the workers started.
  enqueueAll();
  runWorkers(workers, [this] { return processNextWorkItem(); });
}

bool CsrController::processNextWorkItem() {
  return csrop::processNextWorkItem(p_.queue, p_.mayWrite, "csr", [this](const std::string& name) { return syncHandler(name); });
}

SyncResult CsrController::syncHandler(const std::string& name) {
  auto cached = p_.csrs.get(name);
  if (!cached) return SyncResult::done();  // deleted: nothing to do
  switch (cached->phase) {
    case CsrPhase::Pending: return p_.approver ? decide(std::move(*cached)) : SyncResult::done();
    case CsrPhase::Approved: return p_.signer.signs(cached->csr.spec.signerName) ? p_.signer.sync(cached->csr) : SyncResult::done();
    case CsrPhase::Denied:
    case CsrPhase::Failed:
    case CsrPhase::Issued: return SyncResult::done();
  }
  return SyncResult::done();
}

bool CsrController::leftForLater(const CachedCsr& cached) const {
  const auto& csr = cached.csr;
  const auto& name = csr.metadata.name;
  if (const auto standing = p_.pending.standing(name); !standing.handled) {
    spdlog::warn(
        "flood guard: leaving csr={} alone: requester={} has {} pending CSRs for signer={}, more than "
        "approver.maxPendingPerRequester={}; only the newest are handled, this one when newer ones are decided",
        name, signers::escapeForLog(csr.spec.username), standing.pending, csr.spec.signerName, p_.pending.maxPerRequester());
    return true;
  }
  if (!p_.duplicates) return false;
  if (const auto newer = p_.duplicates->newerIdentical(name)) {
    spdlog::info(
        "duplicate: leaving csr={} alone: csr={} from requester={} asks for the same names and is newer; "
        "the kubelet waits only for its newest CSR",
        name, *newer, signers::escapeForLog(csr.spec.username));
    return true;
  }
  return false;
}

SyncResult CsrController::decide(CachedCsr cached) {
  if (leftForLater(cached)) return SyncResult::done();
  k8s::CertificateSigningRequest csr = std::move(cached.csr);
  if (cached.needsFreshRead) {
    try {
      csr = p_.client.get<k8s::CertificateSigningRequest>(csr.metadata.name);
    } catch (const std::exception& e) {
      if (k8s::isNotFound(e)) return SyncResult::done();
      return SyncResult::again(std::string("reading the CSR before deciding failed: ") + e.what());
    }
  }
  std::optional<k8s::CertificateSigningRequest> approved;
  auto r = p_.approver->sync(csr, &approved);
  if (r.retry || !approved || !p_.signer.signs(approved->spec.signerName)) return r;
  // The approval write's response is the object as the API server has it now: sign it right away.
  return p_.signer.signFresh(std::move(*approved));
}

}  // namespace csrop
