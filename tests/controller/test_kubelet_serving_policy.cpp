#include "PolicyFixtures.h"
#include "controller/KubeletServingPolicy.h"

#include <doctest/doctest.h>

using csrop::Decision;
using csrop::KubeletServingConfig;
using csrop::KubeletServingPolicy;

namespace {

struct Setup {
  fixtures::FakeNodes nodes;
  fixtures::FakeResolver resolver;
  KubeletServingConfig config;

  Setup() {
    nodes.add("worker-1", {{"InternalIP", "10.0.0.7"},
                           {"ExternalIP", "2001:db8::7"},
                           {"Hostname", "worker-1"},
                           {"InternalDNS", "worker-1.internal.example"}});
    nodes.add("worker-2", {{"InternalIP", "10.0.0.8"}, {"Hostname", "worker-2"}});
  }

  csrop::Verdict evaluate(const k8s::CertificateSigningRequest& csr) {
    fixtures::NodeSource source(nodes, config);
    KubeletServingPolicy policy(config, nodes, resolver, source.identity());
    return policy.evaluate(csr);
  }
};

testpki::CsrOptions honest(const std::string& node = "worker-1") {
  testpki::CsrOptions o;
  o.subject = {{"O", "system:nodes"}, {"CN", "system:node:" + node}};
  o.dnsNames = {node};
  o.ips = {"10.0.0.7"};
  return o;
}

}  // namespace

TEST_CASE("kubelet-serving: an honest request from the node itself is approved") {
  Setup s;
  auto v = s.evaluate(fixtures::servingCsr("worker-1", honest()));
  CHECK(v.decision == Decision::Approve);
  CHECK(v.reason == "AutoApproved");
}

TEST_CASE("kubelet-serving: IPv6 and DNS addresses of the Node are accepted, compared after normalising") {
  Setup s;
  auto o = honest();
  o.ips = {"10.0.0.7", "2001:0db8:0000::0007"};
  o.dnsNames = {"WORKER-1.internal.example", "worker-1"};
  CHECK(s.evaluate(fixtures::servingCsr("worker-1", o)).decision == Decision::Approve);
}

TEST_CASE("kubelet-serving: requester identity") {
  Setup s;
  SUBCASE("non-node user is denied by default") {
    auto csr = fixtures::servingCsr("worker-1", honest());
    csr.spec.username = "alice";
    auto v = s.evaluate(csr);
    CHECK(v.decision == Decision::Deny);
    CHECK(v.reason == "RequesterNotNode");
  }
  SUBCASE("non-node user is skipped when configured to ignore") {
    s.config.nonNodeRequester = csrop::NonNodeRequester::Ignore;
    auto csr = fixtures::servingCsr("worker-1", honest());
    csr.spec.username = "alice";
    CHECK(s.evaluate(csr).decision == Decision::Skip);
  }
  SUBCASE("node username without the system:nodes group is denied") {
    auto csr = fixtures::servingCsr("worker-1", honest());
    csr.spec.groups = {"system:authenticated"};
    auto v = s.evaluate(csr);
    CHECK(v.decision == Decision::Deny);
    CHECK(v.message.find("system:nodes") != std::string::npos);
  }
}

TEST_CASE("kubelet-serving: subject and usages must be exactly a kubelet's") {
  Setup s;
  SUBCASE("CN of another node") {
    auto o = honest();
    o.subject = {{"O", "system:nodes"}, {"CN", "system:node:worker-2"}};
    auto v = s.evaluate(fixtures::servingCsr("worker-1", o));
    CHECK(v.decision == Decision::Deny);
    CHECK(v.reason == "CommonNameMismatch");
  }
  SUBCASE("extra organization") {
    auto o = honest();
    o.subject = {{"O", "system:nodes"}, {"O", "system:masters"}, {"CN", "system:node:worker-1"}};
    CHECK(s.evaluate(fixtures::servingCsr("worker-1", o)).reason == "OrganizationMismatch");
  }
  SUBCASE("client auth usage") {
    auto csr = fixtures::servingCsr("worker-1", honest());
    csr.spec.usages = {"digital signature", "server auth", "client auth"};
    CHECK(s.evaluate(csr).reason == "UsagesNotAllowed");
  }
  SUBCASE("server auth alone is not a kubelet usage set") {
    auto csr = fixtures::servingCsr("worker-1", honest());
    csr.spec.usages = {"server auth"};
    CHECK(s.evaluate(csr).reason == "UsagesNotAllowed");
  }
  SUBCASE("a usage listed twice") {
    auto csr = fixtures::servingCsr("worker-1", honest());
    csr.spec.usages = {"digital signature", "server auth", "server auth"};
    auto v = s.evaluate(csr);
    CHECK(v.reason == "UsagesNotAllowed");
    CHECK(v.message ==
          "usages [digital signature, server auth, server auth] are not [digital signature, key encipherment, server auth] "
          "or [digital signature, server auth]");
  }
  SUBCASE("key encipherment set is accepted") {
    auto csr = fixtures::servingCsr("worker-1", honest());
    csr.spec.usages = {"key encipherment", "digital signature", "server auth"};
    CHECK(s.evaluate(csr).decision == Decision::Approve);
  }
  SUBCASE("email SAN") {
    auto o = honest();
    o.emails = {"root@example.com"};
    CHECK(s.evaluate(fixtures::servingCsr("worker-1", o)).reason == "EmailSANNotAllowed");
  }
  SUBCASE("URI SAN") {
    auto o = honest();
    o.uris = {"spiffe://cluster/ns/kube-system"};
    CHECK(s.evaluate(fixtures::servingCsr("worker-1", o)).reason == "URISANNotAllowed");
  }
  SUBCASE("no SAN at all") {
    auto o = honest();
    o.dnsNames.clear();
    o.ips.clear();
    CHECK(s.evaluate(fixtures::servingCsr("worker-1", o)).reason == "NoSubjectAltNames");
  }
  SUBCASE("garbage request is denied, not skipped") {
    auto csr = fixtures::servingCsr("worker-1", honest());
    csr.spec.request = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n";
    auto v = s.evaluate(csr);
    CHECK(v.decision == Decision::Deny);
    CHECK(v.reason == "InvalidRequest");
  }
}

TEST_CASE("kubelet-serving: addresses must belong to the requesting node") {
  Setup s;
  SUBCASE("a foreign IP") {
    auto o = honest();
    o.ips = {"10.0.0.99"};
    auto v = s.evaluate(fixtures::servingCsr("worker-1", o));
    CHECK(v.decision == Decision::Deny);
    CHECK(v.reason == "IPNotOwnedByNode");
    CHECK(v.message.find("10.0.0.99") != std::string::npos);
  }
  SUBCASE("another node's IP") {
    auto o = honest();
    o.ips = {"10.0.0.8"};
    CHECK(s.evaluate(fixtures::servingCsr("worker-1", o)).reason == "AddressClaimedByOtherNode");
  }
  SUBCASE("another node's DNS name") {
    auto o = honest();
    o.dnsNames = {"worker-2"};
    CHECK(s.evaluate(fixtures::servingCsr("worker-1", o)).reason == "AddressClaimedByOtherNode");
  }
  SUBCASE("a prefix of the node name is not enough (kubelet-csr-approver's hole)") {
    auto o = honest();
    o.dnsNames = {"worker-1.attacker.example"};
    CHECK(s.evaluate(fixtures::servingCsr("worker-1", o)).reason == "DNSNameNotOwnedByNode");
  }
  SUBCASE("a configured pattern anchored to the node name") {
    s.config.dnsNamePatterns = {"{node}.nodes.example.com"};
    auto o = honest();
    o.dnsNames = {"worker-1.nodes.example.com"};
    CHECK(s.evaluate(fixtures::servingCsr("worker-1", o)).decision == Decision::Approve);
    o.dnsNames = {"worker-2.nodes.example.com"};
    CHECK(s.evaluate(fixtures::servingCsr("worker-1", o)).reason == "DNSNameNotOwnedByNode");
  }
  SUBCASE("a configured regex, with {node} escaped") {
    s.config.dnsNameRegexes = {R"({node}\.(eu|us)\.example\.com)"};
    auto o = honest();
    o.dnsNames = {"worker-1.eu.example.com"};
    CHECK(s.evaluate(fixtures::servingCsr("worker-1", o)).decision == Decision::Approve);
    o.dnsNames = {"worker-1.xx.example.com"};
    CHECK(s.evaluate(fixtures::servingCsr("worker-1", o)).decision == Decision::Deny);
  }
  SUBCASE("allowed CIDRs apply on top of the node's addresses") {
    s.config.allowedCIDRs = {*signers::Cidr::parse("192.168.0.0/16")};
    auto v = s.evaluate(fixtures::servingCsr("worker-1", honest()));
    CHECK(v.decision == Decision::Deny);
    CHECK(v.reason == "IPOutsideAllowedCIDRs");
    s.config.allowedCIDRs = {*signers::Cidr::parse("10.0.0.0/24")};
    CHECK(s.evaluate(fixtures::servingCsr("worker-1", honest())).decision == Decision::Approve);
  }
  SUBCASE("too many DNS names") {
    s.config.maxDNSNames = 1;
    auto o = honest();
    o.dnsNames = {"worker-1", "worker-1.internal.example"};
    CHECK(s.evaluate(fixtures::servingCsr("worker-1", o)).reason == "TooManyDNSNames");
  }
  SUBCASE("a node that does not exist") {
    auto v = s.evaluate(fixtures::servingCsr("ghost", honest("ghost")));
    CHECK(v.decision == Decision::Deny);
    CHECK(v.reason == "NodeNotFound");
  }
  SUBCASE("a failing Node lookup retries, never denies") {
    s.nodes.failing = true;
    auto v = s.evaluate(fixtures::servingCsr("worker-1", honest()));
    CHECK(v.decision == Decision::Retry);
    CHECK(v.reason == "NodeLookupFailed");
  }
  SUBCASE("an honest request reads the cached Node only: nodeExists and the address source, no fresh read") {
    s.evaluate(fixtures::servingCsr("worker-1", honest()));
    CHECK(s.nodes.lookups == 2);
  }
}

TEST_CASE("kubelet-serving: dnsNamesMustMatch refuses a DNS SAN it does not match, and lets nothing else in") {
  Setup s;
  s.config.dnsNamesMustMatch = R"(^[a-z0-9-]+\.internal\.example$)";
  auto o = honest();
  o.dnsNames = {"worker-1.internal.example"};
  CHECK(s.evaluate(fixtures::servingCsr("worker-1", o)).decision == Decision::Approve);
  // The node's own name, but not a match: refused, as kubelet-csr-approver's -provider-regex does.
  o.dnsNames = {"worker-1.internal.example", "worker-1"};
  auto v = s.evaluate(fixtures::servingCsr("worker-1", o));
  CHECK(v.decision == Decision::Deny);
  CHECK(v.reason == "DNSNameNotAllowedByRegex");
  CHECK(v.message ==
        R"(DNS subjectAltName "worker-1" does not match approver.kubeletServing.dnsNamesMustMatch '^[a-z0-9-]+\.internal\.example$')");
  // A match is no ownership: another node's name still fails addressOwnership.
  s.nodes.add("worker-3", {{"InternalIP", "10.0.0.9"}, {"InternalDNS", "worker-3.internal.example"}});
  o.dnsNames = {"worker-3.internal.example"};
  CHECK(s.evaluate(fixtures::servingCsr("worker-1", o)).reason == "AddressClaimedByOtherNode");
  // Searched, not anchored, and case-sensitive, as Go's regexp.MatchString.
  s.config.dnsNamesMustMatch = "internal";
  o.dnsNames = {"worker-1.internal.example"};
  CHECK(s.evaluate(fixtures::servingCsr("worker-1", o)).decision == Decision::Approve);
  o.dnsNames = {"WORKER-1.INTERNAL.EXAMPLE"};
  CHECK(s.evaluate(fixtures::servingCsr("worker-1", o)).reason == "DNSNameNotAllowedByRegex");
  // An IP-only request has no DNS SAN to refuse.
  o.dnsNames = {};
  CHECK(s.evaluate(fixtures::servingCsr("worker-1", o)).decision == Decision::Approve);
}

TEST_CASE("kubelet-serving: expirationSeconds") {
  Setup s;
  s.config.maxExpirationSeconds = 3600;
  auto csr = fixtures::servingCsr("worker-1", honest());
  csr.spec.expirationSeconds = 7200;
  CHECK(s.evaluate(csr).reason == "ExpirationTooLong");
  csr.spec.expirationSeconds = 3600;
  CHECK(s.evaluate(csr).decision == Decision::Approve);
}

TEST_CASE("kubelet-serving: switching one check off never disables another") {
  Setup s;
  auto foreignIp = honest();
  foreignIp.ips = {"10.0.0.99"};
  SUBCASE("dnsNames off still checks IPs") {
    s.config.checks.dnsNames = false;
    CHECK(s.evaluate(fixtures::servingCsr("worker-1", foreignIp)).reason == "IPNotOwnedByNode");
  }
  SUBCASE("nodeExists off still needs the Node to prove IPs") {
    s.config.checks.nodeExists = false;
    auto ghost = honest("ghost");
    ghost.ips = {"10.0.0.99"};
    CHECK(s.evaluate(fixtures::servingCsr("ghost", ghost)).reason == "NodeNotFound");
  }
  SUBCASE("ipAddresses off still checks DNS names") {
    s.config.checks.ipAddresses = false;
    auto o = foreignIp;
    o.dnsNames = {"worker-1.attacker.example"};
    CHECK(s.evaluate(fixtures::servingCsr("worker-1", o)).reason == "DNSNameNotOwnedByNode");
  }
  SUBCASE("ipAddresses off still applies allowed CIDRs") {
    s.config.checks.ipAddresses = false;
    s.config.allowedCIDRs = {*signers::Cidr::parse("10.0.0.0/30")};
    CHECK(s.evaluate(fixtures::servingCsr("worker-1", foreignIp)).reason == "IPOutsideAllowedCIDRs");
  }
  SUBCASE("requesterIsNode off: CN still has to match the requester") {
    s.config.checks.requesterIsNode = false;
    auto csr = fixtures::servingCsr("worker-1", honest());
    csr.spec.username = "alice";
    CHECK(s.evaluate(csr).reason == "CommonNameMismatch");
  }
  SUBCASE("ipAddresses off lets a foreign IP through only that check") {
    s.config.checks.ipAddresses = false;
    CHECK(s.evaluate(fixtures::servingCsr("worker-1", foreignIp)).decision == Decision::Approve);
  }
}

TEST_CASE("kubelet-serving: DNS resolution check") {
  Setup s;
  s.config.dnsResolution.enabled = true;
  SUBCASE("resolves to the node") {
    s.resolver.answers["worker-1"] = {"10.0.0.7"};
    CHECK(s.evaluate(fixtures::servingCsr("worker-1", honest())).decision == Decision::Approve);
  }
  SUBCASE("resolves elsewhere") {
    s.resolver.answers["worker-1"] = {"10.9.9.9"};
    CHECK(s.evaluate(fixtures::servingCsr("worker-1", honest())).reason == "DNSResolvesElsewhere");
  }
  SUBCASE("no answer: retry by default, deny when configured") {
    s.resolver.timeout = true;
    CHECK(s.evaluate(fixtures::servingCsr("worker-1", honest())).decision == Decision::Retry);
    s.config.dnsResolution.onFailure = csrop::ResolutionFailure::Deny;
    CHECK(s.evaluate(fixtures::servingCsr("worker-1", honest())).decision == Decision::Deny);
  }
}
