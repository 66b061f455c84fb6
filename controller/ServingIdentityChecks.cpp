// Who asks: which node a CSR speaks for (ServingRequest), whether the requester is that node, and
// whether its Node exists.
#include "controller/ServingChecks.h"

#include "signers/CertificateRequest.h"
#include "signers/KubeletRequests.h"

namespace csrop {
namespace {

std::string nodeNameFor(const k8s::CertificateSigningRequest& csr, const signers::ParsedRequest& request) {
  auto fromUsername = signers::nodeNameOf(csr.spec.username);
  return fromUsername.empty() ? signers::nodeNameOf(request.commonName) : fromUsername;
}

}  // namespace

ServingRequest::ServingRequest(const k8s::CertificateSigningRequest& csr, const signers::ParsedRequest& request, NodeDirectory& nodes)
    : csr(csr), request(request), nodeName(nodeNameFor(csr, request)), nodes_(nodes) {}

const Lookup<k8s::Node>& ServingRequest::node() {
  if (!node_) node_ = nodeName.empty() ? Lookup<k8s::Node>::notFound() : nodes_.find(nodeName);
  return *node_;
}

std::optional<Verdict> ServingRequest::nodeUnavailable(std::string_view check) {
  const auto& found = node();
  if (found.state == Lookup<k8s::Node>::State::Error)
    return Verdict::retry("NodeLookupFailed",
                          "could not read Node \"" + nodeName + "\" for the " + std::string(check) + " check: " + found.error);
  if (found.state == Lookup<k8s::Node>::State::NotFound)
    return Verdict::deny("NodeNotFound", "the " + std::string(check) + " check needs Node \"" + nodeName + "\", which does not exist");
  return std::nullopt;
}

namespace serving {

std::optional<Verdict> requesterIsNode(const ServingPolicyContext&, ServingRequest& r) {
  const auto& spec = r.csr.spec;
  if (signers::nodeNameOf(spec.username).empty())
    return Verdict::deny("RequesterNotNode", "spec.username \"" + spec.username + "\" is not a node identity (system:node:<name>)");
  if (!contains(spec.groups, signers::kNodesGroup))
    return Verdict::deny("RequesterNotNode", "spec.groups of \"" + spec.username + "\" does not contain system:nodes");
  return std::nullopt;
}

std::optional<Verdict> nodeExists(const ServingPolicyContext&, ServingRequest& r) {
  if (r.nodeName.empty())
    return Verdict::deny("NodeUnknown", "neither spec.username nor the common name names a node (system:node:<name>)");
  return r.nodeUnavailable("nodeExists");
}

}  // namespace serving
}  // namespace csrop
