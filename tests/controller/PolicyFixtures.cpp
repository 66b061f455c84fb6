#include "PolicyFixtures.h"

namespace fixtures {

NodeSource::NodeSource(FakeNodes& nodes, const csrop::KubeletServingConfig& config)
    : reserved({config.clusterDomain, config.serviceCIDRs, config.deniedCIDRs}),
      index({}, k8s::steadyClock(), nullptr),
      authority(nodes, nodes, index, {config.addressSettle, csrop::configuredDnsNames(config)}) {
  for (const auto& [name, node] : nodes.nodes) index.nodeAdded(node);
  index.initialListDone();
}

csrop::Lookup<std::vector<std::string>> FakeResolver::resolve(const std::string& host, std::chrono::milliseconds) {
  if (timeout) return csrop::Lookup<std::vector<std::string>>::failed("no answer within 2000ms");
  auto it = answers.find(host);
  if (it == answers.end()) return csrop::Lookup<std::vector<std::string>>::notFound();
  return csrop::Lookup<std::vector<std::string>>::found(it->second);
}

csrop::Lookup<bool> FakeReviewer::allowed(const k8s::SubjectAccessReview& review) {
  seen.push_back(review);
  if (failing) return csrop::Lookup<bool>::failed("the server is currently unable to handle the request");
  auto it = allowBySubresource.find(review.spec.resourceAttributes.subresource);
  return csrop::Lookup<bool>::found(it != allowBySubresource.end() && it->second);
}

k8s::CertificateSigningRequest csrFor(const std::string& requestPem, const std::string& signerName, const std::string& username,
                                      std::vector<std::string> groups, std::vector<std::string> usages) {
  k8s::CertificateSigningRequest csr;
  csr.metadata.name = "csr-test";
  csr.metadata.uid = "uid-1";
  csr.spec.request = requestPem;
  csr.spec.signerName = signerName;
  csr.spec.username = username;
  csr.spec.groups = std::move(groups);
  csr.spec.usages = std::move(usages);
  return csr;
}

k8s::CertificateSigningRequest servingCsr(const std::string& node, const testpki::CsrOptions& options) {
  return csrFor(testpki::makeCsr(options), "kubernetes.io/kubelet-serving", "system:node:" + node, {"system:nodes", "system:authenticated"},
                {"digital signature", "server auth"});
}

}  // namespace fixtures
