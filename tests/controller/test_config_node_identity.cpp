// approver.kubeletServing node-identity keys (issue 11): defaults, what is read, and what is refused.
#include "controller/ConfigLoader.h"
#include "tests/controller/ConfigErrors.h"

#include <doctest/doctest.h>

using csrop::ConfigFileError;
using csrop::parseConfigText;

namespace {

using configtest::errorOf;

bool mentions(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const std::string kServingSigner =
    "signers:\n  list:\n    - {signerName: kubernetes.io/kubelet-serving, caCertFile: /ca.crt, caKeyFile: /ca.key}\n";

}  // namespace

TEST_CASE("config node identity: the defaults are the safe ones") {
  const auto k = parseConfigText("", "cfg.yaml").approver.kubeletServing;
  CHECK(k.addressSource == csrop::AddressSource::Node);
  CHECK(k.machineApiGroup == csrop::MachineApiGroup::ClusterApi);
  CHECK_FALSE(k.renewalContinuity);
  CHECK(k.clusterDomain == "cluster.local");
  CHECK(k.serviceCIDRs.empty());
  CHECK(k.deniedCIDRs.empty());
  CHECK(k.historyWindow == std::chrono::hours(24));
  CHECK(k.addressSettle == std::chrono::minutes(5));
  CHECK(k.machineDeadline == std::chrono::minutes(10));
  CHECK(k.maxAddressesPerNode == 64);
}

TEST_CASE("config node identity: every key is read") {
  const auto c = parseConfigText(R"(
approver:
  kubeletServing:
    addressSource: machine
    machineApiGroup: machine.openshift.io
    machineNamespace: openshift-machine-api
    machineKubeconfig: /etc/mgmt.kubeconfig
    machineDeadline: 15m
    renewalContinuity: true
    renewalDialTimeout: 2s
    clusterDomain: corp.example
    serviceCIDRs: [10.96.0.0/12, fd00:10:96::/112]
    deniedCIDRs: [169.254.0.0/16]
    historyWindow: 48h
    addressSettle: 2m
    maxAddressesPerNode: 16
)" + kServingSigner,
                                 "cfg.yaml");
  const auto& k = c.approver.kubeletServing;
  CHECK(k.addressSource == csrop::AddressSource::Machine);
  CHECK(k.machineApiGroup == csrop::MachineApiGroup::OpenShift);
  CHECK(k.machineNamespace == "openshift-machine-api");
  CHECK(k.machineKubeconfig == "/etc/mgmt.kubeconfig");
  CHECK(k.machineDeadline == std::chrono::minutes(15));
  CHECK(k.renewalContinuity);
  CHECK(k.renewalDialTimeout == std::chrono::seconds(2));
  CHECK(k.clusterDomain == "corp.example");
  REQUIRE(k.serviceCIDRs.size() == 2);
  CHECK(k.serviceCIDRs[0].toString() == "10.96.0.0/12");
  REQUIRE(k.deniedCIDRs.size() == 1);
  CHECK(k.historyWindow == std::chrono::hours(48));
  CHECK(k.addressSettle == std::chrono::minutes(2));
  CHECK(k.maxAddressesPerNode == 16);
  // The kubelet-serving signer refuses Service names under the same domain.
  CHECK(c.signers.at(0).clusterDomain == "corp.example");
}

TEST_CASE("config node identity: impossible values stop the start, naming the key and the fix") {
  CHECK(mentions(errorOf("approver: {kubeletServing: {addressSource: cloud}}"), "use one of: node, machine"));
  CHECK(mentions(errorOf("approver: {kubeletServing: {addressSource: machine, machineApiGroup: x.io}}"),
                 "use one of: cluster.x-k8s.io, machine.openshift.io"));
  CHECK(
      mentions(errorOf("approver: {kubeletServing: {machineNamespace: capi}}"), "machineNamespace applies only to addressSource: machine"));
  CHECK(
      mentions(errorOf("approver: {kubeletServing: {machineKubeconfig: /k}}"), "machineKubeconfig applies only to addressSource: machine"));
  // The chart renders every default, so the group and deadline are accepted with the node source.
  CHECK(errorOf("approver: {kubeletServing: {machineApiGroup: cluster.x-k8s.io, machineDeadline: 10m}}").empty());
  CHECK(mentions(errorOf("approver: {kubeletServing: {addressSource: machine, dnsNamePatterns: ['{node}.example.com']}}"),
                 "cannot be used with addressSource: machine"));
  CHECK(mentions(errorOf("approver: {kubeletServing: {serviceCIDRs: [10.96.0.0]}}"), "serviceCIDRs has '10.96.0.0', which is not a CIDR"));
  CHECK(mentions(errorOf("approver: {kubeletServing: {deniedCIDRs: [nope]}}"), "deniedCIDRs has 'nope'"));
  CHECK(mentions(errorOf("approver: {kubeletServing: {clusterDomain: Cluster.Local.}}"), "clusterDomain is 'Cluster.Local.'"));
  CHECK(mentions(errorOf("approver: {kubeletServing: {clusterDomain: ''}}"), "clusterDomain"));
  CHECK(mentions(errorOf("approver: {kubeletServing: {historyWindow: 10s}}"), "historyWindow must be between 1m and 720h"));
  CHECK(mentions(errorOf("approver: {kubeletServing: {addressSettle: 2h}}"), "addressSettle must be between 0s and 1h"));
  CHECK(mentions(errorOf("approver: {kubeletServing: {addressSource: machine, machineDeadline: 48h}}"), "machineDeadline"));
  CHECK(mentions(errorOf("approver: {kubeletServing: {maxAddressesPerNode: 0}}"), "maxAddressesPerNode"));
  CHECK(mentions(errorOf("approver: {kubeletServing: {renewalContinuity: yes please}}"), "renewalContinuity has the wrong type"));
  CHECK(mentions(errorOf("approver: {kubeletServing: {renewalContinuity: true}}"),
                 "renewalContinuity needs this instance to sign kubernetes.io/kubelet-serving"));
  CHECK(mentions(errorOf("approver: {kubeletServing: {addressSorce: node}}"), "unknown key 'addressSorce'"));
}

TEST_CASE("config node identity: an empty allowedCIDRs is warned about, a set one is not") {
  CHECK(csrop::nodeIdentityWarnings(parseConfigText("", "cfg.yaml")).size() == 1);
  CHECK(mentions(csrop::nodeIdentityWarnings(parseConfigText("", "cfg.yaml")).at(0), "allowedCIDRs is empty"));
  CHECK(csrop::nodeIdentityWarnings(parseConfigText("approver: {kubeletServing: {allowedCIDRs: [10.0.0.0/8]}}", "cfg.yaml")).empty());
  CHECK(csrop::nodeIdentityWarnings(parseConfigText("approver: {kubeletServing: {enabled: false}}", "cfg.yaml")).empty());
}
