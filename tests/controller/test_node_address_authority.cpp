#include "controller/NodeAddressAuthority.h"
#include "tests/controller/IdentityFixtures.h"

#include <doctest/doctest.h>

using csrop::AddressRequest;
using csrop::AddressVerdict;
using Outcome = csrop::AddressVerdict::Outcome;
using identity::node;
using identity::request;

namespace {

using namespace std::chrono_literals;

struct Source {
  identity::FakeNodes cached, fresh;
  std::shared_ptr<identity::ManualClock> clock = std::make_shared<identity::ManualClock>();
  csrop::AddressIndex index{csrop::AddressIndex::Options{}, clock, nullptr};
  csrop::NodeAddressOptions options = [] {
    csrop::NodeAddressOptions o;
    o.addressSettle = 300s;
    o.extraDnsName = [](const std::string& nodeName, const std::string& dns) { return dns == nodeName + ".nodes.example.com"; };
    return o;
  }();
  csrop::NodeAddressAuthority authority{cached, fresh, index, options};

  Source() { index.initialListDone(); }

  // The Node as the cache, the API server and the index all see it.
  void join(const k8s::Node& n) {
    cached.nodes[n.metadata.name] = n;
    fresh.nodes[n.metadata.name] = n;
    index.nodeAdded(n);
  }
  AddressVerdict verify(const std::string& nodeName, const signers::ParsedRequest& req, std::chrono::seconds age = 10s) {
    return authority.verify(AddressRequest{nodeName, req, age});
  }
};

}  // namespace

TEST_CASE("NodeAddressAuthority: table of requests by worker-1 against two honest nodes") {
  struct Row {
    const char* story;
    std::vector<std::string> dns, ips;
    std::chrono::seconds age;
    Outcome outcome;
    const char* reason;
    const char* value;
  };
  const Row rows[] = {
      {"honest", {"worker-1", "w1.example.com"}, {"10.0.0.1", "fd00::1"}, 10s, Outcome::Owned, "", ""},
      {"pattern anchored to the node name", {"worker-1.nodes.example.com"}, {"10.0.0.1"}, 10s, Outcome::Owned, "", ""},
      {"another node's IP", {"worker-1"}, {"10.0.0.2"}, 10s, Outcome::NotOwned, "AddressClaimedByOtherNode", "10.0.0.2"},
      {"another node's name", {"worker-2"}, {"10.0.0.1"}, 10s, Outcome::NotOwned, "AddressClaimedByOtherNode", "worker-2"},
      {"another node's DNS address",
       {"W2.example.com"},
       {"10.0.0.1"},
       10s,
       Outcome::NotOwned,
       "AddressClaimedByOtherNode",
       "W2.example.com"},
      {"an IP nobody lists, early", {"worker-1"}, {"10.0.0.9"}, 10s, Outcome::NotYetKnown, "IPNotOwnedByNode", "10.0.0.9"},
      {"an IP nobody lists, settled", {"worker-1"}, {"10.0.0.9"}, 301s, Outcome::NotOwned, "IPNotOwnedByNode", "10.0.0.9"},
      {"a name nobody lists, settled",
       {"evil.example.com"},
       {"10.0.0.1"},
       301s,
       Outcome::NotOwned,
       "DNSNameNotOwnedByNode",
       "evil.example.com"},
      {"another node's pattern name",
       {"worker-2.nodes.example.com"},
       {"10.0.0.1"},
       301s,
       Outcome::NotOwned,
       "DNSNameNotOwnedByNode",
       "worker-2.nodes.example.com"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.story);
    Source s;
    s.join(node("worker-1", {"InternalIP=10.0.0.1", "InternalIP=fd00:0::1", "Hostname=w1.example.com"}));
    s.join(node("worker-2", {"InternalIP=10.0.0.2", "InternalDNS=w2.example.com"}));
    auto v = s.verify("worker-1", request(row.dns, row.ips), row.age);
    CHECK(v.outcome == row.outcome);
    CHECK(v.reason == row.reason);
    CHECK(v.value == row.value);
  }
}

TEST_CASE("NodeAddressAuthority: a node that copies the holder's IP is denied, the holder still approved") {
  Source s;
  s.join(node("worker-1", {"InternalIP=10.0.0.1"}));
  s.join(node("worker-2", {"InternalIP=10.0.0.2", "InternalIP=10.0.0.1"}));
  auto attacker = s.verify("worker-2", request({"worker-2"}, {"10.0.0.1"}));
  CHECK(attacker.outcome == Outcome::NotOwned);
  CHECK(attacker.reason == "AddressClaimedByOtherNode");
  CHECK(attacker.message.find("worker-1") != std::string::npos);
  CHECK(s.verify("worker-1", request({"worker-1"}, {"10.0.0.1"})).outcome == Outcome::Owned);
}

TEST_CASE("NodeAddressAuthority: a just-released IP of a departed node is not granted to another") {
  Source s;
  s.join(node("victim", {"InternalIP=10.0.0.5"}));
  s.index.nodeDeleted(node("victim", {"InternalIP=10.0.0.5"}));
  s.join(node("attacker", {"InternalIP=10.0.0.5"}));
  auto v = s.verify("attacker", request({"attacker"}, {"10.0.0.5"}), 301s);
  CHECK(v.outcome == Outcome::NotOwned);
  CHECK(v.reason == "AddressClaimedByOtherNode");
}

TEST_CASE("NodeAddressAuthority: a cache that lags the API server never denies") {
  Source s;
  s.join(node("worker-1", {"InternalIP=10.0.0.1"}));
  const auto updated = node("worker-1", {"InternalIP=10.0.0.1", "ExternalIP=203.0.113.9"});
  s.fresh.nodes["worker-1"] = updated;
  s.index.nodeUpdated(updated);  // the index has it, the cache read is older
  CHECK(s.verify("worker-1", request({}, {"203.0.113.9"}), 301s).outcome == Outcome::Owned);
  CHECK(s.fresh.lookups == 1);
}

TEST_CASE("NodeAddressAuthority: an address the index has not seen yet is waited for, then denied") {
  Source s;
  s.join(node("worker-1", {"InternalIP=10.0.0.1"}));
  s.fresh.nodes["worker-1"] = node("worker-1", {"InternalIP=10.0.0.1", "InternalIP=10.0.0.8"});
  auto early = s.verify("worker-1", request({}, {"10.0.0.8"}), 10s);
  CHECK(early.outcome == Outcome::NotYetKnown);
  CHECK(early.reason == "IPNotOwnedByNode");
  CHECK(s.verify("worker-1", request({}, {"10.0.0.8"}), 301s).outcome == Outcome::NotOwned);
}

TEST_CASE("NodeAddressAuthority: lookups that fail are retried, a missing Node is waited for") {
  Source s;
  s.fresh.failing = true;
  auto failed = s.verify("worker-1", request({"worker-1"}, {"10.0.0.1"}), 301s);
  CHECK(failed.outcome == Outcome::NotYetKnown);
  CHECK(failed.reason == "NodeLookupFailed");
  s.fresh.failing = false;
  CHECK(s.verify("worker-1", request({"worker-1"}, {"10.0.0.1"}), 10s).outcome == Outcome::NotYetKnown);
  auto missing = s.verify("worker-1", request({"worker-1"}, {"10.0.0.1"}), 301s);
  CHECK(missing.outcome == Outcome::NotOwned);
  CHECK(missing.reason == "NodeNotFound");
}
