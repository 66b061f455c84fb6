// Decides pending CSRs with the configured policies and writes Approved or Denied through the
// /approval subresource, with an Event and one structured log line per decision. In observe mode
// it logs and counts the same decisions and writes nothing.
#pragma once

#include "controller/ApprovalPolicy.h"
#include "controller/Config.h"
#include "controller/EventRecorder.h"
#include "controller/LogFormat.h"
#include "controller/Metrics.h"
#include "controller/SyncResult.h"
#include "k8sclient/KubeClient.h"

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace csrop {

class CsrApprover {
 public:
  struct Modes {
    ApproverMode mode = ApproverMode::Enforce;
    DenyMode denyMode = DenyMode::Deny;
  };
  CsrApprover(k8s::KubeClient& client, std::vector<std::unique_ptr<ApprovalPolicy>> policies, Modes modes, EventRecorder& events,
              Metrics& metrics, std::function<bool()> mayWrite);

  // approved (optional) receives the object the API server returned for an approval, so that
  // the signer can sign it without reading it again.
  SyncResult sync(const k8s::CertificateSigningRequest& csr, std::optional<k8s::CertificateSigningRequest>* approved = nullptr);

 private:
  SyncResult write(const k8s::CertificateSigningRequest& csr, const Verdict& verdict,
                   std::optional<k8s::CertificateSigningRequest>* approved);

  k8s::KubeClient& client_;
  std::vector<std::unique_ptr<ApprovalPolicy>> policies_;
  Modes modes_;
  EventRecorder& events_;
  Metrics& metrics_;
  std::function<bool()> mayWrite_;
};

// The first policy that handles signerName, or nullptr: no policy of this instance decides its CSRs.
ApprovalPolicy* policyFor(const std::vector<std::unique_ptr<ApprovalPolicy>>& policies, const std::string& signerName);

// approver.denyMode skip (approve-only mode): a deny is not written but left pending, saying so.
Verdict withDenyMode(Verdict verdict, DenyMode mode);

// The fields of the one log line per decision (msg=decision, LogFormat.h): csr, signer, requester,
// policy, decision, reason, message, and mode=observe when the decision is not written.
LogFields decisionFields(const k8s::CertificateSigningRequest& csr, std::string_view policy, const Verdict& verdict,
                         ApproverMode mode = ApproverMode::Enforce);

}  // namespace csrop
