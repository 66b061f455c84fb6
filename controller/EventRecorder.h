// Writes a core/v1 Event about a CSR or a PodCertificateRequest, the way kubectl describe shows
// them. CSRs are cluster-scoped, so their events live in the "default" namespace (as
// kube-controller-manager's do); an Event must be in its object's namespace, so a
// PodCertificateRequest's is in the PodCertificateRequest's. Failing to write an event never fails
// the decision: it is logged and dropped.
//
// Normal events are aggregated the way client-go's EventCorrelator does it
// (tools/record/events_cache.go: a burst of similar events, then one "(combined from similar
// events)" Event with a count), except that "similar" leaves the object out of the key: each
// approval is about another CSR, so a per-object key would never combine anything, and a burst of
// 10,000 approvals would cost 10,000 Event writes next to the 20,000 writes that are the work.
// Per (namespace, kind, type, reason, action) the first kNormalBurst events are written one by one,
// then one more each kNormalRefill; the rest are counted and written by flush() as one Event on the
// latest object. The decision itself stays on every CSR (its Approved condition with reason and
// message) and in the decision log line. Warning events (denials, signing refusals) are always
// written one by one: each is something an operator must see on that object.
#pragma once

#include "k8sclient/Clock.h"
#include "k8sclient/KubeClient.h"
#include "k8sclient/PodCertificateObjects.h"
#include "k8sclient/RateLimiter.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

namespace csrop {

// The Event message: escaped (signers::escapeForLog, the same as the decision log line) so a
// requester cannot forge lines in `kubectl describe`, then cut to 1024 bytes.
std::string eventMessage(const std::string& message);

class EventRecorder {
 public:
  // client-go's spam filter allows 25 at once per key too (defaultSpamBurst); it refills one per
  // 5 minutes per object, but here the key spans objects, so one per second keeps every approval
  // of an ordinary cluster its own Event and combines only bursts.
  static constexpr int kNormalBurst = 25;
  static constexpr std::chrono::seconds kNormalRefill{1};
  // How often the operator calls flush().
  static constexpr std::chrono::seconds kFlushInterval{10};

  EventRecorder(k8s::KubeClient& client, std::string component, std::string instance,
                std::shared_ptr<k8s::Clock> clock = k8s::steadyClock())
      : client_(client), component_(std::move(component)), instance_(std::move(instance)), clock_(std::move(clock)) {}

  void record(const k8s::CertificateSigningRequest& csr, const std::string& type, const std::string& reason, const std::string& message,
              const std::string& action);
  void record(const k8s::PodCertificateRequest& pcr, const std::string& type, const std::string& reason, const std::string& message,
              const std::string& action);

  // Writes one Event per key for the Normal events counted since the last flush, if any.
  void flush();

 private:
  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string>;  // namespace, kind, type, reason, action
  struct Similar {
    std::unique_ptr<k8s::RateLimiter> individual;  // tokens for events written one by one
    int combined = 0;                              // counted since the last flush
    k8s::ObjectReference latest;
    std::string latestMessage, firstTimestamp, lastTimestamp;
  };

  void recordAbout(const k8s::ObjectReference& about, const std::string& type, const std::string& reason, const std::string& message,
                   const std::string& action);
  void write(const k8s::ObjectReference& about, const std::string& type, const std::string& reason, const std::string& message,
             const std::string& action, int count, const std::string& firstTimestamp, const std::string& lastTimestamp);

  k8s::KubeClient& client_;
  std::string component_;
  std::string instance_;
  std::shared_ptr<k8s::Clock> clock_;
  std::mutex mu_;
  std::map<Key, Similar> similar_;
};

}  // namespace csrop
