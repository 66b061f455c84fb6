// Fakes of the policy lookups and builders of CSR objects for the controller's unit tests.
#pragma once

#include "FakeNodes.h"
#include "controller/AddressIndex.h"
#include "controller/KubeletServingPolicy.h"
#include "controller/Lookups.h"
#include "controller/NodeAddressAuthority.h"
#include "controller/ReservedIdentities.h"
#include "k8sclient/Objects.h"
#include "tests/support/TestPki.h"

#include "controller/Verdict.h"

#include <map>
#include <ostream>

namespace csrop {
// Lets doctest print decisions in failed checks.
inline std::ostream& operator<<(std::ostream& os, Decision d) { return os << decisionName(d); }
}  // namespace csrop

namespace fixtures {

// The default node identity over FakeNodes, as the operator builds it: every Node indexed (each
// the first to list its addresses), the node address source, no Service or slices seen.
struct NodeSource {
  csrop::ReservedIdentities reserved;
  csrop::AddressIndex index;
  csrop::NodeAddressAuthority authority;
  NodeSource(FakeNodes& nodes, const csrop::KubeletServingConfig& config);
  csrop::NodeIdentity identity() { return {reserved, authority}; }
};

struct FakeResolver : csrop::HostResolver {
  std::map<std::string, std::vector<std::string>> answers;
  bool timeout = false;
  csrop::Lookup<std::vector<std::string>> resolve(const std::string& host, std::chrono::milliseconds) override;
};

struct FakeReviewer : csrop::AccessReviewer {
  std::map<std::string, bool> allowBySubresource;
  bool failing = false;
  std::vector<k8s::SubjectAccessReview> seen;
  csrop::Lookup<bool> allowed(const k8s::SubjectAccessReview& review) override;
};

// A CSR object as the API server stores it after a node created it.
k8s::CertificateSigningRequest csrFor(const std::string& requestPem, const std::string& signerName, const std::string& username,
                                      std::vector<std::string> groups, std::vector<std::string> usages);

k8s::CertificateSigningRequest servingCsr(const std::string& node, const testpki::CsrOptions& options);

}  // namespace fixtures
