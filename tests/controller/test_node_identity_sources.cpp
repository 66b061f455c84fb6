// NodeIdentitySources builds the address source approver.kubeletServing asks for, and exports the
// node-identity metrics from the start (issue 11). No API server: nothing here is listed.
#include "PolicyFixtures.h"
#include "controller/NodeIdentitySources.h"
#include "tests/k8sclient/Fakes.h"

#include <doctest/doctest.h>

namespace {

struct Built {
  std::shared_ptr<k8stest::FakeTransport> transport = std::make_shared<k8stest::FakeTransport>();
  k8s::KubeClient client{transport};
  fixtures::FakeNodes nodes;
  csrop::Metrics metrics;
  csrop::AddressIndex index;
  csrop::NodeIdentitySources sources;
  explicit Built(const csrop::KubeletServingConfig& config)
      : index(csrop::addressIndexOptions(config), k8s::steadyClock(), &metrics),
        sources(
            config, client, client, index, nodes, [] { return std::string(); }, metrics, std::chrono::seconds(90)) {}
};

}  // namespace

TEST_CASE("node identity sources: addressSource and renewalContinuity choose the authority") {
  csrop::KubeletServingConfig config;
  CHECK(Built(config).sources.identity().addresses.name() == "node");
  config.renewalContinuity = true;
  CHECK(Built(config).sources.identity().addresses.name() == "renewalContinuity+node");
  config.addressSource = csrop::AddressSource::Machine;
  CHECK(Built(config).sources.identity().addresses.name() == "renewalContinuity+machine");
  config.renewalContinuity = false;
  Built machine(config);
  CHECK(machine.sources.identity().addresses.name() == "machine");
  // The Machine informer is one more loop to run, and reported in watch restarts.
  CHECK(machine.sources.informerLoops().size() == 3);
  CHECK(Built(csrop::KubeletServingConfig{}).sources.informerLoops().size() == 2);
}

TEST_CASE("node identity sources: the conflict and address-change counters are on /metrics before anything happens") {
  Built b{csrop::KubeletServingConfig{}};
  const auto text = b.metrics.render();
  CHECK(text.find("csr_operator_address_conflicts_total 0\n") != std::string::npos);
  CHECK(text.find("csr_operator_node_address_changes_total 0\n") != std::string::npos);
}

TEST_CASE("node identity sources: Node events feed the index, which holds nothing before the initial list is done") {
  Built b{csrop::KubeletServingConfig{}};
  k8s::Node n;
  n.metadata.name = "worker-1";
  n.addresses = {{"InternalIP", "10.0.0.7"}};
  b.sources.nodeAdded(n);
  const auto ip = *signers::IpAddress::parse("10.0.0.7");
  CHECK_FALSE(b.sources.index().holds("worker-1", ip));
  b.sources.nodesSynced();
  CHECK(b.sources.index().holds("worker-1", ip));
  k8s::Node thief;
  thief.metadata.name = "worker-2";
  thief.addresses = {{"InternalIP", "10.0.0.7"}};
  b.sources.nodeAdded(thief);
  CHECK(b.metrics.value(csrop::metric::kAddressConflicts) == 1);
  CHECK_FALSE(b.sources.hasSynced());  // the Service and slice informers have not listed
}

TEST_CASE("node identity sources: with renewal continuity the Node cache keeps the kubelet's port, and nothing else more") {
  auto node = nlohmann::json::parse(R"({"metadata": {"name": "worker-1", "labels": {"a": "b"}},
      "spec": {"podCIDR": "10.244.0.0/24"},
      "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.7"}],
                 "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}}, "images": [{"names": ["x"]}]}})");
  csrop::compactNodeKeepingKubeletPort(node);
  const auto typed = node.get<k8s::Node>();
  CHECK(k8s::kubeletPort(typed) == std::optional<uint16_t>(10250));
  CHECK(typed.addresses.size() == 1);
  CHECK_FALSE(node.contains("spec"));
  CHECK_FALSE(node["status"].contains("images"));
  CHECK_FALSE(node["metadata"].contains("labels"));
  // Without the field there is nothing to keep.
  auto bare = nlohmann::json::parse(R"({"metadata": {"name": "w"}, "status": {"addresses": []}})");
  csrop::compactNodeKeepingKubeletPort(bare);
  CHECK_FALSE(bare["status"].contains("daemonEndpoints"));
}
