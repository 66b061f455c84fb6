// Who may say that an address belongs to a node. A kubelet-serving request names IPs and DNS
// names; each source below answers, for the whole request, whether the requesting node owns all of
// them. Sources differ in what they trust (docs/security.md): the Node status the kubelet writes
// itself plus uniqueness across Nodes (NodeAddressAuthority), the Machine written by the
// infrastructure provider (MachineAddressAuthority), or the certificate the kubelet serves now
// (RenewalContinuity, in front of another source). A cloud-API source is one more implementation.
#pragma once

#include "signers/CertificateRequest.h"

#include <chrono>
#include <string>
#include <string_view>

namespace csrop {

struct AddressRequest {
  std::string nodeName;  // from spec.username system:node:<name>, already checked
  const signers::ParsedRequest& request;
  // Since the CSR's creationTimestamp: sources wait this long for addresses that arrive late (an
  // external cloud-controller-manager, a Machine not yet provisioned) before they deny.
  std::chrono::seconds age{0};
};

struct AddressVerdict {
  enum class Outcome {
    Owned,        // every SAN is the node's
    NotOwned,     // deny: reason names the rule, value the offending SAN (or object)
    NotYetKnown,  // retry with backoff: a lookup failed, or a fact may still arrive
  };
  Outcome outcome = Outcome::NotYetKnown;
  std::string reason;
  std::string value;
  std::string message;

  static AddressVerdict owned() { return {Outcome::Owned, {}, {}, {}}; }
  static AddressVerdict notOwned(std::string reason, std::string value, std::string message) {
    return {Outcome::NotOwned, std::move(reason), std::move(value), std::move(message)};
  }
  static AddressVerdict notYetKnown(std::string reason, std::string value, std::string message) {
    return {Outcome::NotYetKnown, std::move(reason), std::move(value), std::move(message)};
  }
  bool isOwned() const { return outcome == Outcome::Owned; }
};

class AddressAuthority {
 public:
  virtual ~AddressAuthority() = default;
  // As written in configuration and logs: node, machine, renewalContinuity+node, ...
  virtual std::string_view name() const = 0;
  virtual AddressVerdict verify(const AddressRequest& request) = 0;
};

}  // namespace csrop
