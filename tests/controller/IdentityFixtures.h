// Builders and fakes shared by the node-identity unit tests (AddressIndex, ReservedIdentities and
// the address sources).
#pragma once

#include "FakeNodes.h"
#include "controller/AddressAuthority.h"
#include "controller/Lookups.h"
#include "k8sclient/IdentityObjects.h"
#include "k8sclient/RateLimiter.h"
#include "signers/CertificateRequest.h"

#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace csrop {
inline std::ostream& operator<<(std::ostream& os, AddressVerdict::Outcome o) {
  return os << (o == AddressVerdict::Outcome::Owned ? "Owned" : o == AddressVerdict::Outcome::NotOwned ? "NotOwned" : "NotYetKnown");
}
}  // namespace csrop

namespace identity {

// Time moves only when a test says so.
class ManualClock : public k8s::Clock {
 public:
  time_point now() override { return now_; }
  system_time_point systemNow() override {
    return system_time_point{} + std::chrono::duration_cast<system_time_point::duration>(now_.time_since_epoch());
  }
  bool sleepFor(duration d, std::stop_token) override {
    now_ += d;
    return true;
  }
  void advance(duration d) { now_ += d; }

 private:
  time_point now_{std::chrono::hours(1000)};
};

// "InternalIP=10.0.0.1" style address list.
k8s::Node node(const std::string& name, const std::vector<std::string>& typedAddresses);
k8s::Machine machine(const std::string& name, const std::string& nodeRef, const std::vector<std::string>& typedAddresses);

// A parsed request with these SANs (no key; address sources look only at names).
signers::ParsedRequest request(const std::vector<std::string>& dnsNames, const std::vector<std::string>& ips,
                               const std::string& commonName = "");

using FakeNodes = fixtures::FakeNodes;

}  // namespace identity
