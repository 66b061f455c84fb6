#include "Scenario.h"

#include <fstream>

namespace itest {

ClusterOptions withTestRbac(ClusterOptions options) {
  options.rbacFiles.push_back(TEST_RBAC_DIR "/requesters.yaml");
  return options;
}

Scenario::Scenario(ClusterOptions options) : cluster(withTestRbac(std::move(options))), ca(testpki::makeCa({})) {
  caCertFile = cluster.dir() / "ca.crt";
  caKeyFile = cluster.dir() / "ca.key";
  std::ofstream(caCertFile) << ca.certPem();
  std::ofstream(caKeyFile) << testpki::keyPem(ca.key.get());
  cluster.addNode("worker-1", {{"InternalIP", "10.0.0.1"}, {"Hostname", "worker-1"}, {"InternalDNS", "worker-1.cluster.internal"}});
  cluster.addNode("worker-2", {{"InternalIP", "10.0.0.2"}, {"Hostname", "worker-2"}});
}

std::string Scenario::config(bool leaderElection, const std::string& extra) const {
  return "workers: 2\n"
         "leaderElection: {enabled: " +
         std::string(leaderElection ? "true" : "false") +
         ", namespace: kube-system, leaseDuration: 3s, renewDeadline: 2s, retryPeriod: 500ms}\n"
         "signers:\n"
         "  defaults: {caCertFile: " +
         caCertFile + ", caKeyFile: " + caKeyFile +
         "}\n"
         "  reloadInterval: 1s\n"
         "  list:\n"
         "    - signerName: kubernetes.io/kubelet-serving\n"
         "    - signerName: kubernetes.io/kube-apiserver-client-kubelet\n" +
         extra;
}

std::string Scenario::servingRequest(const std::string& node, std::vector<std::string> dns, std::vector<std::string> ips,
                                     const std::string& cn) {
  testpki::CsrOptions o;
  o.subject = {{"O", "system:nodes"}, {"CN", cn.empty() ? "system:node:" + node : cn}};
  o.dnsNames = std::move(dns);
  o.ips = std::move(ips);
  return testpki::makeCsr(o);
}

k8s::CertificateSigningRequest Scenario::createServing(const std::string& name, const std::string& asNode, const std::string& pem) {
  return cluster.createCsr(cluster.nodeKubeconfig(asNode), name, pem, "kubernetes.io/kubelet-serving",
                           {"digital signature", "server auth"});
}

int issuedLogLines(const std::string& log, const std::string& csrName) {
  int n = 0;
  const std::string needle = "issued csr=" + csrName + " ";
  for (auto pos = log.find(needle); pos != std::string::npos; pos = log.find(needle, pos + 1)) ++n;
  return n;
}

}  // namespace itest
