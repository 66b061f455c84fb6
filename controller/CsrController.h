// The controller loop, in the shape of kubernetes/sample-controller: the CSR informers' handlers
// only record and enqueue names; `run` waits for every cache the decisions read, then starts the
// workers; each worker runs processNextWorkItem (the queue protocol) and syncHandler, which is
// level-based: it reads the cached CSR, decides, and writes through the approver or the signer.
// One CSR's path from the watch to its status write: SignerCaches (the watch) -> here ->
// CsrApprover.cpp (decision and approval write) / CsrSigner.cpp (certificate and status write).
#pragma once

#include "controller/CachedCsr.h"
#include "controller/CsrLister.h"
#include "controller/QueueWorkers.h"
#include "controller/SyncResult.h"

#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace k8s {
class Clock;
class KubeClient;
}  // namespace k8s

namespace csrop {

class CsrApprover;
class CsrSigner;
class DuplicateRequests;
class PendingIndex;
class WorkQueue;

struct CsrControllerParts {
  const CsrLister& csrs;
  k8s::KubeClient& client;  // fresh reads of CSRs whose cached copy lacks what a write keeps
  WorkQueue& queue;
  CsrApprover* approver;  // null when this instance approves nothing
  CsrSigner& signer;
  PendingIndex& pending;           // the flood guard's ranking of each requester's pending CSRs
  DuplicateRequests* duplicates;   // null when kubelet-serving CSRs are not approved here
  std::function<bool()> mayWrite;  // leader (or leader election off)
};

class CsrController {
 public:
  explicit CsrController(CsrControllerParts parts) : p_(std::move(parts)) {}

  // Informer handlers: keep the flood guard's and the duplicate index's view current, enqueue.
  void csrAdded(const CachedCsr& csr);
  void csrUpdated(const CachedCsr& now);
  void csrDeleted(const CachedCsr& csr);
  // Every cached CSR, again (after the caches sync, and when this replica becomes leader).
  void enqueueAll();

  // Blocks until stop: waits for every cache in `caches` (polling on `clock`), calls onSynced,
  // enqueues everything, runs `workers` workers; on stop shuts the queue down and joins them.
  void run(int workers, const std::vector<CacheSync>& caches, k8s::Clock& clock, std::stop_token stop,
           const std::function<void()>& onSynced = {});

  // One key from the queue through syncHandler: forgotten on success, requeued with its backoff
  // on error, done either way. False once the queue is shut down.
  bool processNextWorkItem();

  SyncResult syncHandler(const std::string& name);

 private:
  // Takes the cached copy: the CSR it holds is the one the approver writes from.
  SyncResult decide(CachedCsr cached);
  // A pending CSR left alone for now (flood guard, a newer identical CSR), with the log line why.
  bool leftForLater(const CachedCsr& cached) const;
  void record(const CachedCsr& csr);

  CsrControllerParts p_;
};

}  // namespace csrop
