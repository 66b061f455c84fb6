// The pod-certificate side of one operator instance (issue 14): which certificates.k8s.io
// versions the API server serves (discovered at start), one signers::PodCertificateSigner per
// podCertificates.signers entry, their PodCertificateRequest informers, queue and workers, and the
// ClusterTrustBundle publisher for every signer (pod or CSR) with trustBundle.publish. runOperator
// builds it only when one of those is configured, and then adds four calls.
#pragma once

#include "controller/Config.h"
#include "controller/CsrController.h"

#include <atomic>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace k8s {
class KubeClient;
}
namespace signers {
class PodCertificateSigner;
struct PodCertificatePolicy;
class SignerSet;
}  // namespace signers

namespace csrop {

class AccessReviewer;
class EventRecorder;
class Metrics;
class PodDirectory;
class PodCertificateCaches;
class PodCertificateController;
class TrustBundlePublisher;
class WorkQueue;

class PodCertificates {
 public:
  struct Parts {
    const Config& config;
    k8s::KubeClient& client;
    const signers::SignerSet& csrSigners;  // for the CAs of signers.list entries that publish
    EventRecorder& events;
    Metrics& metrics;
    std::function<bool()> mayWrite;
  };

  // nullptr when no pod certificate signer and no trust bundle is configured. Throws
  // std::runtime_error, saying what to change, when a CA does not load or the API server serves
  // no version of a resource that is needed.
  static std::unique_ptr<PodCertificates> create(const Parts& parts);
  ~PodCertificates();

  // Workers start only after the PodCertificateRequest caches synced; /readyz waits for them too.
  void addCaches(std::vector<CacheSync>& caches);
  // Informers, workers and the bundle publisher, each on a thread in `threads`.
  void start(std::vector<std::jthread>& threads, std::stop_token stop);
  // A new leader decides every cached request again and publishes at once.
  void becameLeader();
  void updateGauges(Metrics& metrics) const;
  // "signer <name> unavailable: <why>" for each pod signer whose token key cannot sign now.
  std::vector<std::string> unavailableSigners() const;
  // Stops the signers' CA reloading; call before what their callbacks use goes away.
  void stop();

 private:
  explicit PodCertificates(const Parts& parts);
  void publishLoop(std::stop_token stop);

  const Config& config_;
  k8s::KubeClient& client_;
  std::function<bool()> mayWrite_;
  std::vector<std::unique_ptr<signers::PodCertificateSigner>> signers_;
  std::unique_ptr<WorkQueue> queue_;
  std::unique_ptr<PodCertificateCaches> caches_;
  std::unique_ptr<PodDirectory> pods_;
  std::unique_ptr<AccessReviewer> reviewer_;
  std::unique_ptr<PodCertificateController> controller_;
  std::unique_ptr<TrustBundlePublisher> publisher_;
  std::atomic<bool> publishNow_{true};
};

}  // namespace csrop
