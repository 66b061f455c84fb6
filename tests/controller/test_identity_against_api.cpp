// The node-identity units fed by real informers from the fake API server, with a node acting on
// its own credentials: what NodeRestriction lets it write is exactly what the sources must not trust.
#include "controller/AddressIndex.h"
#include "controller/MachineAddressAuthority.h"
#include "controller/NodeAddressAuthority.h"
#include "controller/ReservedIdentities.h"
#include "FakeCluster.h"
#include "k8sclient/Informer.h"
#include "tests/controller/IdentityFixtures.h"

#include <doctest/doctest.h>

#include <thread>

using namespace std::chrono_literals;
using Outcome = csrop::AddressVerdict::Outcome;

namespace {

struct Cluster {
  itest::FakeCluster cluster;
  Cluster() {
    cluster.start();
    cluster.addNode("n1", {{"InternalIP", "10.0.0.1"}});
    cluster.addNode("n2", {{"InternalIP", "10.0.0.2"}, {"InternalDNS", "n2.example.com"}});
    auto& admin = cluster.admin();
    cluster.addApiServerService("10.96.0.1", "192.168.10.5");
    admin.requestJson(
        "POST", "/apis/cluster.x-k8s.io/v1beta1/namespaces/capi/machines",
        nlohmann::json{{"apiVersion", "cluster.x-k8s.io/v1beta1"},
                       {"kind", "Machine"},
                       {"metadata", {{"name", "md-0-n1"}, {"namespace", "capi"}}},
                       {"status", {{"nodeRef", {{"name", "n1"}}}, {"addresses", {{{"type", "InternalIP"}, {"address", "10.0.0.1"}}}}}}});
  }
};

// Runs an informer on its own thread until the end of the scope.
template <class I>
struct Running {
  I& informer;
  std::jthread thread;
  explicit Running(I& i) : informer(i), thread([&i](std::stop_token stop) { i.run(stop); }) {}
  bool synced() {
    return itest::eventually([&] { return informer.hasSynced(); }, 10s);
  }
};

}  // namespace

TEST_CASE("node identity against the API: a node's self-written status cannot win another node's IP or the API server's") {
  Cluster c;
  auto& admin = c.cluster.admin();

  csrop::AddressIndex index({}, k8s::steadyClock(), nullptr);
  k8s::Informer<k8s::Node> nodes(admin);
  nodes.onAdd([&](const k8s::Node& n) { index.nodeAdded(n); });
  nodes.onUpdate([&](const k8s::Node&, const k8s::Node& n) { index.nodeUpdated(n); });
  nodes.onDelete([&](const k8s::Node& n) { index.nodeDeleted(n); });

  csrop::ReservedIdentities reserved({});
  k8s::InformerOptions inDefault;
  inDefault.ns = "default";
  k8s::ListOptions byName, byLabel;
  byName.fieldSelector = "metadata.name=kubernetes";
  byLabel.labelSelector = "kubernetes.io/service-name=kubernetes";
  k8s::Informer<k8s::Service> services(admin, byName, inDefault);
  services.onAdd([&](const k8s::Service& s) { reserved.serviceSeen(s); });
  services.onUpdate([&](const k8s::Service&, const k8s::Service& s) { reserved.serviceSeen(s); });
  k8s::Informer<k8s::EndpointSlice> slices(admin, byLabel, inDefault);
  slices.onAdd([&](const k8s::EndpointSlice& s) { reserved.endpointSliceSeen(s); });
  slices.onUpdate([&](const k8s::EndpointSlice&, const k8s::EndpointSlice& s) { reserved.endpointSliceSeen(s); });

  Running runNodes(nodes);
  Running runServices(services);
  Running runSlices(slices);
  REQUIRE(runNodes.synced());
  index.initialListDone();
  REQUIRE(runServices.synced());
  REQUIRE(runSlices.synced());

  // n1, with its own credentials, lists n2's IP, the API server's ClusterIP and Service name.
  auto n1Client = c.cluster.clientFor(c.cluster.nodeKubeconfig("n1"));
  auto own = n1Client->get<k8s::Node>("n1");
  own.addresses = {
      {"InternalIP", "10.0.0.1"}, {"InternalIP", "10.0.0.2"}, {"InternalIP", "10.96.0.1"}, {"InternalDNS", "kubernetes.default.svc"}};
  n1Client->updateSubresource(own, "status");
  CHECK_THROWS(n1Client->updateSubresource(n1Client->get<k8s::Node>("n2"), "status"));
  REQUIRE(itest::eventually([&] { return nodes.get("n1")->addresses.size() == 4; }, 10s));

  csrop::ApiNodeDirectory fresh(admin);
  csrop::NodeAddressAuthority source(fresh, fresh, index, {});
  auto claim = identity::request({"n1"}, {"10.0.0.2"});
  auto stolen = source.verify({"n1", claim, 10s});
  CHECK(stolen.outcome == Outcome::NotOwned);
  CHECK(stolen.reason == "AddressClaimedByOtherNode");
  auto honest = identity::request({"n1"}, {"10.0.0.1"});
  CHECK(source.verify({"n1", honest, 10s}).outcome == Outcome::Owned);
  CHECK(source.verify({"n2", identity::request({"n2.example.com"}, {"10.0.0.2"}), 10s}).outcome == Outcome::Owned);

  CHECK(reserved.checkIp(*signers::IpAddress::parse("10.96.0.1"))->reason == "APIServerAddress");
  CHECK(reserved.checkIp(*signers::IpAddress::parse("192.168.10.5"))->reason == "APIServerAddress");
  CHECK(reserved.checkDnsName("kubernetes.default.svc")->reason == "APIServerServiceName");
}

TEST_CASE("node identity against the API: the Machine source reads Machines, cached and fresh, and ignores the Node status") {
  Cluster c;
  auto& admin = c.cluster.admin();
  csrop::InformerMachineDirectory directory(admin, k8s::MachineApi::ClusterApi);
  k8s::InformerCore machines(admin, k8s::machineResource(k8s::MachineApi::ClusterApi), {}, {});
  machines.onAdd([&](const nlohmann::json& j) { directory.machineSeen(j.get<k8s::Machine>()); });
  machines.onUpdate([&](const nlohmann::json&, const nlohmann::json& j) { directory.machineSeen(j.get<k8s::Machine>()); });
  machines.onDelete([&](const nlohmann::json& j) { directory.machineDeleted(j.get<k8s::Machine>()); });
  Running run(machines);
  REQUIRE(run.synced());

  auto cached = directory.byNode("n1", false);
  REQUIRE(cached.state == csrop::Lookup<std::vector<k8s::Machine>>::State::Found);
  CHECK(cached.value->front().metadata.namespace_ == "capi");
  CHECK(directory.byNode("n1", true).state == csrop::Lookup<std::vector<k8s::Machine>>::State::Found);
  CHECK(directory.byNode("n2", true).state == csrop::Lookup<std::vector<k8s::Machine>>::State::NotFound);

  csrop::MachineAddressAuthority source(directory, {});
  CHECK(source.verify({"n1", identity::request({"n1"}, {"10.0.0.1"}), 10s}).outcome == Outcome::Owned);
  auto lie = source.verify({"n1", identity::request({"n1"}, {"10.0.0.2"}), 601s});
  CHECK(lie.outcome == Outcome::NotOwned);
  CHECK(lie.reason == "IPNotOwnedByMachine");
  auto noMachine = source.verify({"n2", identity::request({"n2"}, {"10.0.0.2"}), 601s});
  CHECK(noMachine.reason == "MachineNotFound");
  CHECK(noMachine.outcome == Outcome::NotOwned);
}
