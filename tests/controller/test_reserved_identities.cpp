#include "controller/ReservedIdentities.h"
#include "tests/controller/IdentityFixtures.h"

#include <doctest/doctest.h>

using csrop::ReservedIdentities;

namespace {

signers::IpAddress ip(const char* text) { return *signers::IpAddress::parse(text); }

ReservedIdentities withConfig() {
  csrop::ReservedIdentitiesConfig config;
  config.clusterDomain = "corp.internal";
  config.serviceCidrs = {*signers::Cidr::parse("10.96.0.0/12"), *signers::Cidr::parse("fd00:96::/112")};
  config.deniedCidrs = {*signers::Cidr::parse("169.254.169.254/32")};
  return ReservedIdentities(config);
}

k8s::Service apiService(std::vector<std::string> clusterIPs, const std::string& ns = "default", const std::string& name = "kubernetes") {
  k8s::Service s;
  s.metadata.name = name;
  s.metadata.namespace_ = ns;
  s.clusterIPs = std::move(clusterIPs);
  return s;
}

k8s::EndpointSlice apiSlice(const std::string& name, std::vector<std::string> addresses, const std::string& serviceLabel = "kubernetes",
                            const std::string& ns = "default") {
  k8s::EndpointSlice s;
  s.metadata.name = name;
  s.metadata.namespace_ = ns;
  if (!serviceLabel.empty()) s.metadata.labels["kubernetes.io/service-name"] = serviceLabel;
  s.addresses = std::move(addresses);
  return s;
}

}  // namespace

TEST_CASE("ReservedIdentities: the API server's Service names and anything under .svc are never a node's") {
  struct Row {
    const char* name;
    const char* reason;  // empty: allowed
  };
  const Row rows[] = {
      {"kubernetes", "APIServerServiceName"},
      {"Kubernetes.Default", "APIServerServiceName"},
      {"kubernetes.default.svc", "APIServerServiceName"},
      {"kubernetes.default.svc.corp.internal", "APIServerServiceName"},
      {"kubernetes.default.svc.corp.internal.", "APIServerServiceName"},
      {"my-app.team.svc", "ServiceDNSName"},
      {"*.svc.corp.internal", "ServiceDNSName"},
      {"SVC.corp.internal", "ServiceDNSName"},
      {"svc", "ServiceDNSName"},
      {"10-1-2-3.team.pod.corp.internal", "ClusterDomainName"},
      {"corp.internal", "ClusterDomainName"},
      {"worker-1", ""},
      {"worker-1.nodes.example.com", ""},
      {"kubernetes.example.com", ""},
      {"svc.example.com", ""},
      {"notcorp.internal", ""},
  };
  const auto reserved = withConfig();
  for (const auto& row : rows) {
    CAPTURE(row.name);
    auto hit = reserved.checkDnsName(row.name);
    CHECK(hit.has_value() == (row.reason[0] != '\0'));
    if (hit) {
      CHECK(hit->reason == row.reason);
      CHECK(hit->value == row.name);
    }
  }
}

TEST_CASE("ReservedIdentities: clusterDomain defaults to cluster.local") {
  ReservedIdentities reserved({});
  CHECK(reserved.checkDnsName("kubernetes.default.svc.cluster.local")->reason == "APIServerServiceName");
  CHECK(reserved.checkDnsName("x.y.svc.cluster.local")->reason == "ServiceDNSName");
  CHECK_FALSE(reserved.checkDnsName("x.y.svc.corp.internal.example").has_value());
}

TEST_CASE("ReservedIdentities: the kubernetes Service's ClusterIPs and the API server endpoints are reserved") {
  auto reserved = withConfig();
  reserved.serviceSeen(apiService({"10.96.0.1", "fd00:96::1"}));
  reserved.endpointSliceSeen(apiSlice("kubernetes", {"192.168.10.5", "192.168.10.6"}));
  reserved.endpointSliceSeen(apiSlice("kubernetes-v6", {"2001:db8::0:5"}));

  struct Row {
    const char* ip;
    const char* reason;
  };
  const Row rows[] = {
      {"10.96.0.1", "APIServerAddress"},
      {"fd00:96:0:0:0:0:0:1", "APIServerAddress"},
      {"192.168.10.5", "APIServerAddress"},
      {"::ffff:192.168.10.6", "APIServerAddress"},
      {"2001:db8::5", "APIServerAddress"},
      {"10.100.3.4", "ServiceCIDRAddress"},
      {"fd00:96::abcd", "ServiceCIDRAddress"},
      {"169.254.169.254", "DeniedCIDRAddress"},
      {"192.168.10.7", ""},
      {"10.0.0.1", ""},
  };
  for (const auto& row : rows) {
    CAPTURE(row.ip);
    auto hit = reserved.checkIp(ip(row.ip));
    CHECK(hit.has_value() == (row.reason[0] != '\0'));
    if (hit) CHECK(hit->reason == row.reason);
  }
}

TEST_CASE("ReservedIdentities: other Services and slices are ignored") {
  ReservedIdentities reserved({});
  reserved.serviceSeen(apiService({"10.0.0.10"}, "kube-system", "kubernetes"));
  reserved.serviceSeen(apiService({"10.0.0.11"}, "default", "my-app"));
  reserved.endpointSliceSeen(apiSlice("my-app-x", {"10.0.0.12"}, "my-app"));
  reserved.endpointSliceSeen(apiSlice("unlabelled", {"10.0.0.13"}, ""));
  reserved.endpointSliceSeen(apiSlice("kubernetes", {"10.0.0.14"}, "kubernetes", "other"));
  for (const char* a : {"10.0.0.10", "10.0.0.11", "10.0.0.12", "10.0.0.13", "10.0.0.14"}) {
    CAPTURE(a);
    CHECK_FALSE(reserved.checkIp(ip(a)).has_value());
  }
}

TEST_CASE("ReservedIdentities: an API server that left the EndpointSlice stays reserved") {
  ReservedIdentities reserved({});
  reserved.endpointSliceSeen(apiSlice("kubernetes", {"192.168.10.5"}));
  reserved.endpointSliceSeen(apiSlice("kubernetes", {"192.168.10.6"}));  // 10.5 restarted elsewhere
  CHECK(reserved.checkIp(ip("192.168.10.5"))->reason == "APIServerAddress");
  CHECK(reserved.checkIp(ip("192.168.10.6"))->reason == "APIServerAddress");
}

TEST_CASE("ReservedIdentities::check reports the first reserved SAN of a request") {
  auto reserved = withConfig();
  reserved.serviceSeen(apiService({"10.96.0.1"}));
  CHECK_FALSE(reserved.check(identity::request({"worker-1"}, {"10.0.0.1"})).has_value());
  auto hit = reserved.check(identity::request({"worker-1", "kubernetes.default.svc"}, {"10.96.0.1"}));
  REQUIRE(hit.has_value());
  CHECK(hit->reason == "APIServerServiceName");
  CHECK(hit->value == "kubernetes.default.svc");
  CHECK(reserved.check(identity::request({"worker-1"}, {"10.0.0.1", "10.96.0.1"}))->reason == "APIServerAddress");
}
