// PodCertificateRequests (KEP-4317) in the shape of kubernetes/sample-controller, as CSRs are
// (CsrController.h): the informers' handlers only enqueue "namespace/name"; workers run
// processNextWorkItem and a level-based syncHandler that reads the cached request, skips it when
// it already carries a terminal condition, asks the signer (signers/PodCertificate.h) and writes
// the outcome as one /status update carrying the cached resourceVersion. There is no approval
// phase: the signer decides and issues in the same step.
//
// Exactly once: the API server refuses a stale resourceVersion (409) and any status change after
// a terminal condition (pkg/apis/certificates/validation/validation.go
// ValidatePodCertificateRequestStatusUpdate). On 409 the request is read again and the outcome
// already signed is written to the fresh copy only if that copy is still pending, so two replicas,
// a replayed event or a restart never put two certificates on one request, and a request is not
// signed again while the watch has not yet delivered our own write.
#pragma once

#include "controller/PodBindingChecks.h"
#include "controller/SyncResult.h"
#include "k8sclient/Clock.h"
#include "k8sclient/InformerCore.h"
#include "k8sclient/PodCertificateObjects.h"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace signers {
class PodCertificateSigner;
}

namespace csrop {

class EventRecorder;
class Metrics;
class WorkQueue;

// Read access to cached PodCertificateRequests, by "namespace/name".
class PodCertificateLister {
 public:
  virtual ~PodCertificateLister() = default;
  virtual std::optional<k8s::PodCertificateRequest> get(const std::string& key) const = 0;
  virtual std::vector<std::string> keys() const = 0;
};

// One informer per signer over every namespace, each with fieldSelector spec.signerName=<signer>,
// so requests for other signers never reach this process.
class PodCertificateCaches : public PodCertificateLister {
 public:
  PodCertificateCaches(k8s::KubeClient& client, const std::string& version, const std::vector<std::string>& signerNames,
                       k8s::InformerOptions options);

  // Handlers run on the informers' threads; they get the cache key.
  void onChange(const std::function<void(const std::string& key)>& f);
  void onDelete(const std::function<void(const std::string& key)>& f);

  // Blocks: runs every informer (one thread each) until stop.
  void run(std::stop_token stop);
  bool hasSynced() const;
  std::optional<k8s::PodCertificateRequest> get(const std::string& key) const override;
  std::vector<std::string> keys() const override;
  std::size_t size() const;
  std::uint64_t watchRestarts() const;

 private:
  std::vector<std::unique_ptr<k8s::InformerCore>> informers_;
};

// The optional checks a signer asks for before signing (podCertificates.signers[] verifyPod,
// accessReview); controller/PodBindingChecks.h.
struct PodCertificateChecks {
  bool verifyPod = false;
  PodAccessReviewConfig accessReview;  // empty verb: no review
};

struct PodCertificateControllerParts {
  const PodCertificateLister& pcrs;
  k8s::KubeClient& client;
  std::string version;  // podcertificaterequests are read and written at this version
  WorkQueue& queue;
  std::map<std::string, const signers::PodCertificateSigner*> signers;  // by signerName
  EventRecorder& events;
  Metrics& metrics;
  std::function<bool()> mayWrite;  // leader (or leader election off)
  std::shared_ptr<k8s::Clock> clock;
  std::map<std::string, PodCertificateChecks> checks;  // by signerName; absent: none
  PodDirectory* pods = nullptr;                        // needed when a signer has verifyPod
  AccessReviewer* reviewer = nullptr;                  // needed when a signer has an accessReview
};

class PodCertificateController {
 public:
  explicit PodCertificateController(PodCertificateControllerParts parts);

  void changed(const std::string& key);
  void deleted(const std::string& key);
  // Every cached request, again (after the caches sync, and when this replica becomes leader).
  void enqueueAll();

  // Blocks until stop: waits for hasSynced (polling on the clock), enqueues everything, runs
  // `workers` workers; on stop shuts the queue down and joins them.
  void run(int workers, const std::function<bool()>& hasSynced, std::stop_token stop);

  bool processNextWorkItem();
  SyncResult syncHandler(const std::string& key);

 private:
  // Writes status onto pcr; on a conflict, once more onto a fresh copy when reread and it is still pending.
  SyncResult write(k8s::PodCertificateRequest pcr, const k8s::PodCertificateRequest::Status& status, const std::string& serial,
                   bool reread);
  void recordOutcome(const k8s::PodCertificateRequest& pcr, const k8s::Condition& condition, const std::string& serial);
  bool alreadyWritten(const k8s::PodCertificateRequest& cached);
  // The signer's optional checks, in order: the first that does not pass decides.
  PodCheckOutcome extraChecks(const k8s::PodCertificateRequest& pcr) const;

  PodCertificateControllerParts p_;
  // The resourceVersion each request had when we wrote its status: until the watch brings the
  // written version, the cached copy still looks pending and must not be signed again.
  std::mutex writtenMu_;
  std::map<std::string, std::string> writtenFrom_;
};

}  // namespace csrop
