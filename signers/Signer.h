#pragma once
// The seam between the controller and whatever holds a CA key: one Signer per signerName. The
// controller only ever sees this interface, so another backend (a PKCS#11 token, a pod-certificate
// signer) plugs in without touching the loop. Today's implementation: signers/FileCaSigner.h (key in a
// file or on a PKCS#11 token).
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "signers/CertificateRequest.h"
#include "signers/Issuance.h"
#include "signers/ParsedRequest.h"
#include "signers/Requester.h"

namespace signers {

class Signer {
 public:
  // Called on the thread that reloaded, each time the signer starts signing with another CA.
  using CaChangedCallback = std::function<void(const Signer&)>;

  virtual ~Signer() = default;

  // spec.signerName this signer signs for.
  virtual const std::string& name() const = 0;

  // Parses and verifies the request, validates it, then issues. Thread-safe.
  virtual std::variant<IssuedCertificate, IssueError> issue(const IssueRequest& request,
                                                            std::chrono::system_clock::time_point now) const = 0;
  // Validation alone: std::nullopt when issue() would accept the request, else the message it
  // would fail it with. The approver asks this before it approves. Thread-safe.
  virtual std::optional<std::string> validate(const ParsedRequest& request, const std::vector<std::string>& usages,
                                              const Requester& requester = {}) const = 0;
  // The limits this signer parses requests with.
  virtual RequestLimits requestLimits() const = 0;

  // std::nullopt when the signer can issue now; else why it cannot (its token went away): issue()
  // then fails Transient, /readyz names it and csr_operator_signer_available is 0. Thread-safe.
  virtual std::optional<std::string> unavailable() const { return std::nullopt; }

  // The CA signing now; each call reads the current one, as it may have been reloaded since.
  virtual std::chrono::system_clock::time_point caNotAfter() const = 0;
  // PEM of the CA certificate (for renewal continuity and trust bundles).
  virtual std::string caPem() const = 0;
  virtual std::string caSubject() const = 0;  // RFC 2253, for logs

  // Starts watching the CA's source every `interval`; onCaChanged (optional) is called after each
  // swap. A refused reload keeps the previous CA and is logged. stopReloading() joins the watcher
  // and is safe to call twice; destruction stops it too.
  virtual void startReloading(std::chrono::milliseconds interval, CaChangedCallback onCaChanged) = 0;
  virtual void stopReloading() = 0;

 protected:
  Signer() = default;
  Signer(const Signer&) = delete;
  Signer& operator=(const Signer&) = delete;
};

}  // namespace signers
