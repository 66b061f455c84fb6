// Writes a core/v1 Event about a CSR or a PodCertificateRequest, the way kubectl describe shows
// them. CSRs are cluster-scoped, so their events live in the "default" namespace (as
// kube-controller-manager's do); an Event must be in its object's namespace, so a
// PodCertificateRequest's is in the PodCertificateRequest's. Failing to write an event never fails
// the decision: it is logged and dropped.
#pragma once

#include "k8sclient/KubeClient.h"
#include "k8sclient/PodCertificateObjects.h"

#include <string>

namespace csrop {

// The Event message: escaped (signers::escapeForLog, the same as the decision log line) so a
// requester cannot forge lines in `kubectl describe`, then cut to 1024 bytes.
std::string eventMessage(const std::string& message);

class EventRecorder {
 public:
  EventRecorder(k8s::KubeClient& client, std::string component, std::string instance)
      : client_(client), component_(std::move(component)), instance_(std::move(instance)) {}

  void record(const k8s::CertificateSigningRequest& csr, const std::string& type, const std::string& reason, const std::string& message,
              const std::string& action);
  void record(const k8s::PodCertificateRequest& pcr, const std::string& type, const std::string& reason, const std::string& message,
              const std::string& action);

 private:
  void write(const k8s::ObjectReference& about, const std::string& type, const std::string& reason, const std::string& message,
             const std::string& action);

  k8s::KubeClient& client_;
  std::string component_;
  std::string instance_;
};

}  // namespace csrop
