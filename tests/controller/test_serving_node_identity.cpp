// The kubelet-serving policy wired to the node-identity units (issue 11): reserved identities are
// denied, ownership is the address source's answer (a NotYetKnown is a retry, never a denial), and
// only the SAN kinds whose checks are on are asked about.
#include "PolicyFixtures.h"
#include "controller/KubeletServingPolicy.h"

#include <doctest/doctest.h>

#include <ctime>

using csrop::AddressVerdict;
using csrop::Decision;
using csrop::KubeletServingPolicy;

namespace {

// Answers what it is told and remembers what it was asked.
struct ScriptedSource : csrop::AddressAuthority {
  AddressVerdict answer = AddressVerdict::owned();
  std::vector<std::string> askedDns, askedIps;
  std::chrono::seconds askedAge{-1};
  std::string_view name() const override { return "scripted"; }
  AddressVerdict verify(const csrop::AddressRequest& r) override {
    askedDns = r.request.dnsNames;
    askedIps.clear();
    for (const auto& ip : r.request.ipAddresses) askedIps.push_back(ip.toString());
    askedAge = r.age;
    return answer;
  }
};

testpki::CsrOptions serving(const std::string& node, std::vector<std::string> dns, std::vector<std::string> ips) {
  testpki::CsrOptions o;
  o.subject = {{"O", "system:nodes"}, {"CN", "system:node:" + node}};
  o.dnsNames = std::move(dns);
  o.ips = std::move(ips);
  return o;
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

struct Setup {
  fixtures::FakeNodes nodes;
  fixtures::FakeResolver resolver;
  csrop::KubeletServingConfig config;
  Setup() {
    nodes.add("worker-1", {{"InternalIP", "10.0.0.7"}, {"Hostname", "worker-1"}});
    nodes.add("worker-2", {{"InternalIP", "10.0.0.8"}, {"Hostname", "worker-2"}});
  }
  csrop::Verdict withNodeSource(const k8s::CertificateSigningRequest& csr) {
    fixtures::NodeSource source(nodes, config);
    KubeletServingPolicy policy(config, nodes, resolver, source.identity());
    return policy.evaluate(csr);
  }
};

}  // namespace

TEST_CASE("kubelet-serving identity: another Node's IP or name is AddressClaimedByOtherNode, naming that Node") {
  Setup s;
  // worker-1 lists worker-2's IP and name in its own status, as NodeRestriction lets it.
  s.nodes.add("worker-1", {{"InternalIP", "10.0.0.7"}, {"Hostname", "worker-1"}});
  fixtures::NodeSource source(s.nodes, s.config);
  s.nodes.add("worker-1", {{"InternalIP", "10.0.0.7"}, {"InternalIP", "10.0.0.8"}, {"Hostname", "worker-1"}, {"InternalDNS", "worker-2"}});
  source.index.nodeUpdated(s.nodes.nodes.at("worker-1"));
  KubeletServingPolicy policy(s.config, s.nodes, s.resolver, source.identity());

  auto ip = policy.evaluate(fixtures::servingCsr("worker-1", serving("worker-1", {"worker-1"}, {"10.0.0.8"})));
  CHECK(ip.decision == Decision::Deny);
  CHECK(ip.reason == "AddressClaimedByOtherNode");
  CHECK(ip.message.find("worker-2") != std::string::npos);
  auto name = policy.evaluate(fixtures::servingCsr("worker-1", serving("worker-1", {"worker-2"}, {"10.0.0.7"})));
  CHECK(name.decision == Decision::Deny);
  CHECK(name.reason == "AddressClaimedByOtherNode");
  // The holder keeps getting its certificates.
  CHECK(policy.evaluate(fixtures::servingCsr("worker-2", serving("worker-2", {"worker-2"}, {"10.0.0.8"}))).decision == Decision::Approve);
}

TEST_CASE("kubelet-serving identity: reserved identities are denied with their reason, whatever the Node lists") {
  Setup s;
  s.config.clusterDomain = "corp.example";
  s.config.serviceCIDRs = {*signers::Cidr::parse("10.96.0.0/12")};
  s.config.deniedCIDRs = {*signers::Cidr::parse("192.168.100.0/24")};
  s.nodes.add("worker-1", {{"InternalIP", "10.0.0.7"},
                           {"InternalIP", "10.96.0.10"},
                           {"InternalIP", "192.168.100.5"},
                           {"Hostname", "worker-1"},
                           {"InternalDNS", "kubernetes.default.svc.corp.example"}});
  struct Case {
    std::vector<std::string> dns, ips;
    const char* reason;
  };
  for (const auto& c : std::vector<Case>{{{"kubernetes.default.svc.corp.example"}, {"10.0.0.7"}, "APIServerServiceName"},
                                         {{"db.prod.svc.corp.example"}, {"10.0.0.7"}, "ServiceDNSName"},
                                         {{"worker-1"}, {"10.96.0.10"}, "ServiceCIDRAddress"},
                                         {{"worker-1"}, {"192.168.100.5"}, "DeniedCIDRAddress"}}) {
    CAPTURE(c.reason);
    auto v = s.withNodeSource(fixtures::servingCsr("worker-1", serving("worker-1", c.dns, c.ips)));
    CHECK(v.decision == Decision::Deny);
    CHECK(v.reason == c.reason);
  }
}

TEST_CASE("kubelet-serving identity: the API server's ClusterIP and endpoints, once seen, are denied") {
  Setup s;
  s.nodes.add("worker-1", {{"InternalIP", "10.0.0.7"}, {"InternalIP", "10.96.0.1"}, {"Hostname", "worker-1"}});
  fixtures::NodeSource source(s.nodes, s.config);
  k8s::Service service;
  service.metadata.name = "kubernetes";
  service.metadata.namespace_ = "default";
  service.clusterIPs = {"10.96.0.1"};
  source.reserved.serviceSeen(service);
  KubeletServingPolicy policy(s.config, s.nodes, s.resolver, source.identity());
  auto v = policy.evaluate(fixtures::servingCsr("worker-1", serving("worker-1", {"worker-1"}, {"10.96.0.1"})));
  CHECK(v.decision == Decision::Deny);
  CHECK(v.reason == "APIServerAddress");
}

TEST_CASE("kubelet-serving identity: an address the Node does not list yet is retried while the CSR is young, denied after") {
  Setup s;
  auto csr = fixtures::servingCsr("worker-1", serving("worker-1", {"worker-1"}, {"10.0.0.9"}));
  const auto now = std::chrono::system_clock::now();
  fixtures::NodeSource source(s.nodes, s.config);
  csrop::NodeIdentity identity = source.identity();
  identity.now = [now] { return now; };
  KubeletServingPolicy policy(s.config, s.nodes, s.resolver, identity);

  csr.metadata.creationTimestamp = rfc3339(now - std::chrono::seconds(30));
  auto young = policy.evaluate(csr);
  CHECK(young.decision == Decision::Retry);
  CHECK(young.reason == "IPNotOwnedByNode");

  csr.metadata.creationTimestamp = rfc3339(now - s.config.addressSettle - std::chrono::seconds(1));
  auto settled = policy.evaluate(csr);
  CHECK(settled.decision == Decision::Deny);
  CHECK(settled.reason == "IPNotOwnedByNode");
}

TEST_CASE("kubelet-serving identity: the source's verdict decides, and only switched-on SAN kinds are asked about") {
  Setup s;
  ScriptedSource source;
  csrop::ReservedIdentities reserved({});
  const auto csr = fixtures::servingCsr("worker-1", serving("worker-1", {"worker-1"}, {"10.0.0.7"}));
  auto evaluate = [&] {
    KubeletServingPolicy policy(s.config, s.nodes, s.resolver, {reserved, source});
    return policy.evaluate(csr);
  };
  CHECK(evaluate().decision == Decision::Approve);
  CHECK(source.askedDns == std::vector<std::string>{"worker-1"});
  CHECK(source.askedIps == std::vector<std::string>{"10.0.0.7"});
  CHECK(source.askedAge == std::chrono::seconds::max());  // no creationTimestamp: decided at once

  source.answer = AddressVerdict::notYetKnown("MachineNotFound", "worker-1", "no Machine has status.nodeRef.name worker-1 yet");
  auto later = evaluate();
  CHECK(later.decision == Decision::Retry);
  CHECK(later.reason == "MachineNotFound");

  source.answer = AddressVerdict::notOwned("IPNotOwnedByMachine", "10.0.0.7", "IP 10.0.0.7 is not an address of Machine m");
  auto denied = evaluate();
  CHECK(denied.decision == Decision::Deny);
  CHECK(denied.reason == "IPNotOwnedByMachine");

  source.answer = AddressVerdict::owned();
  s.config.checks.ipAddresses = false;
  evaluate();
  CHECK(source.askedIps.empty());
  CHECK(source.askedDns == std::vector<std::string>{"worker-1"});
}

TEST_CASE("kubelet-serving identity: configured patterns and {node} regexes name a node's extra DNS names") {
  csrop::KubeletServingConfig config;
  config.dnsNamePatterns = {"{node}.nodes.example.com"};
  config.dnsNameRegexes = {"{node}-[0-9]+\\.pods\\.example\\.com"};
  auto matches = csrop::configuredDnsNames(config);
  CHECK(matches("worker-1", "worker-1.nodes.example.com"));
  CHECK(matches("worker-1", "WORKER-1.Nodes.Example.com"));
  CHECK(matches("worker-1", "worker-1-3.pods.example.com"));
  CHECK_FALSE(matches("worker-1", "worker-2.nodes.example.com"));
  CHECK_FALSE(matches("worker-1", "xworker-1.nodes.example.com"));
  CHECK_FALSE(matches("worker-1", std::string(300, 'a')));
}
