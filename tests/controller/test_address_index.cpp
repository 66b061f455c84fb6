#include "controller/AddressIndex.h"
#include "tests/controller/IdentityFixtures.h"

#include <doctest/doctest.h>

using csrop::AddressIndex;
using identity::node;

namespace {

signers::IpAddress ip(const char* text) { return *signers::IpAddress::parse(text); }

// An index whose initial list was empty: every Node is seen joining.
struct Indexed {
  std::shared_ptr<identity::ManualClock> clock = std::make_shared<identity::ManualClock>();
  csrop::Metrics metrics;
  AddressIndex index{AddressIndex::Options{}, clock, &metrics};
  Indexed() { index.initialListDone(); }
};

}  // namespace

TEST_CASE("AddressIndex: the first Node to list an address owns it, and a newcomer never blocks the holder") {
  Indexed t;
  t.index.nodeAdded(node("worker-1", {"InternalIP=10.0.0.1", "Hostname=worker-1.example.com"}));
  t.index.nodeAdded(node("worker-2", {"InternalIP=10.0.0.1", "InternalDNS=worker-1.example.com"}));

  CHECK_FALSE(t.index.otherOwner("worker-1", ip("10.0.0.1")).has_value());
  CHECK_FALSE(t.index.otherOwner("worker-1", "worker-1.example.com").has_value());
  CHECK(t.index.holds("worker-1", ip("10.0.0.1")));
  CHECK(t.index.otherOwner("worker-2", ip("10.0.0.1")) == std::optional<std::string>("worker-1"));
  CHECK(t.index.otherOwner("worker-2", "worker-1.example.com") == std::optional<std::string>("worker-1"));
  CHECK_FALSE(t.index.holds("worker-2", ip("10.0.0.1")));
  CHECK(t.index.conflicts() == 2);
  CHECK(t.metrics.value(csrop::metric::kAddressConflicts) == 2);
}

TEST_CASE("AddressIndex: an address nobody lists has no owner and is held by nobody") {
  Indexed t;
  t.index.nodeAdded(node("worker-1", {"InternalIP=10.0.0.1"}));
  CHECK_FALSE(t.index.otherOwner("worker-2", ip("10.0.0.9")).has_value());
  CHECK_FALSE(t.index.holds("worker-2", ip("10.0.0.9")));
  CHECK(t.index.conflicts() == 0);
}

TEST_CASE("AddressIndex: one spelling per identity (case, trailing dot, IPv6 text, IPv4-mapped IPv6)") {
  struct Row {
    const char* listed;
    const char* claimedDns;  // or null
    const char* claimedIp;   // or null
  };
  const Row rows[] = {
      {"InternalDNS=Worker-1.Example.COM", "worker-1.example.com", nullptr},
      {"InternalDNS=worker-1.example.com", "WORKER-1.example.com.", nullptr},
      {"ExternalDNS=worker-1.example.com.", "worker-1.example.com", nullptr},
      {"InternalIP=fd00:0:0:0:0:0:0:1", nullptr, "fd00::1"},
      {"InternalIP=10.0.0.1", nullptr, "::ffff:10.0.0.1"},
      {"Hostname=10.0.0.1", nullptr, "10.0.0.1"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.listed);
    Indexed t;
    t.index.nodeAdded(node("worker-1", {row.listed}));
    auto other = row.claimedDns ? t.index.otherOwner("worker-2", row.claimedDns) : t.index.otherOwner("worker-2", ip(row.claimedIp));
    CHECK(other == std::optional<std::string>("worker-1"));
  }
}

TEST_CASE("AddressIndex: a released or deleted holder keeps its addresses for the history window") {
  for (bool deleted : {false, true}) {
    CAPTURE(deleted);
    Indexed t;
    t.index.nodeAdded(node("victim", {"InternalIP=10.0.0.1"}));
    if (deleted)
      t.index.nodeDeleted(node("victim", {"InternalIP=10.0.0.1"}));
    else
      t.index.nodeUpdated(node("victim", {"InternalIP=10.0.0.7"}));
    t.clock->advance(std::chrono::hours(1));
    t.index.nodeAdded(node("attacker", {"InternalIP=10.0.0.1"}));

    CHECK(t.index.otherOwner("attacker", ip("10.0.0.1")) == std::optional<std::string>("victim"));
    CHECK_FALSE(t.index.holds("attacker", ip("10.0.0.1")));
    t.clock->advance(std::chrono::hours(22));
    CHECK(t.index.otherOwner("attacker", ip("10.0.0.1")) == std::optional<std::string>("victim"));

    t.clock->advance(std::chrono::hours(2));  // 24 h since the release
    CHECK_FALSE(t.index.otherOwner("attacker", ip("10.0.0.1")).has_value());
    CHECK(t.index.holds("attacker", ip("10.0.0.1")));
  }
}

TEST_CASE("AddressIndex: the former holder takes its address back within the window") {
  Indexed t;
  t.index.nodeAdded(node("worker-1", {"InternalIP=10.0.0.1"}));
  t.index.nodeDeleted(node("worker-1", {"InternalIP=10.0.0.1"}));
  t.index.nodeAdded(node("worker-2", {"InternalIP=10.0.0.1"}));
  t.clock->advance(std::chrono::minutes(5));
  t.index.nodeAdded(node("worker-1", {"InternalIP=10.0.0.1"}));  // same Node name re-registers
  CHECK(t.index.holds("worker-1", ip("10.0.0.1")));
  CHECK(t.index.otherOwner("worker-2", ip("10.0.0.1")) == std::optional<std::string>("worker-1"));
}

TEST_CASE("AddressIndex: a shorter window lets a new claimant win sooner") {
  auto clock = std::make_shared<identity::ManualClock>();
  AddressIndex index(AddressIndex::Options{std::chrono::minutes(10)}, clock, nullptr);
  index.initialListDone();
  index.nodeAdded(node("old", {"InternalIP=10.0.0.1"}));
  index.nodeDeleted(node("old", {"InternalIP=10.0.0.1"}));
  index.nodeAdded(node("replacement", {"InternalIP=10.0.0.1"}));
  clock->advance(std::chrono::minutes(9));
  CHECK_FALSE(index.holds("replacement", ip("10.0.0.1")));
  clock->advance(std::chrono::minutes(1));
  CHECK(index.holds("replacement", ip("10.0.0.1")));
}

TEST_CASE("AddressIndex: a Node's name belongs to the Node of that name, even if another listed it first") {
  Indexed t;
  t.index.nodeAdded(node("worker-1", {"InternalIP=10.0.0.1", "Hostname=worker-2"}));
  CHECK(t.index.holds("worker-1", "worker-2"));  // nobody else has it yet
  t.index.nodeAdded(node("worker-2", {"InternalIP=10.0.0.2"}));
  CHECK(t.index.holds("worker-2", "worker-2"));
  CHECK(t.index.otherOwner("worker-1", "worker-2") == std::optional<std::string>("worker-2"));
  CHECK(t.index.conflicts() == 1);
}

TEST_CASE("AddressIndex: a Node's own name takes no entry until another Node lists it or the Node leaves") {
  Indexed t;
  t.index.nodeAdded(node("worker-1", {"InternalIP=10.0.0.1", "Hostname=worker-1"}));
  t.index.nodeAdded(node("worker-2", {"InternalIP=10.0.0.2"}));
  CHECK(t.index.entries() == 2);  // the two IPs
  CHECK(t.index.holds("worker-1", "worker-1"));
  CHECK(t.index.holds("worker-1", "WORKER-1."));
  CHECK_FALSE(t.index.holds("worker-2", "worker-1"));
  CHECK(t.index.otherOwner("worker-2", "worker-1") == std::optional<std::string>("worker-1"));
  CHECK_FALSE(t.index.otherOwner("worker-1", "worker-1").has_value());

  // Another Node listing it: the name gets its entry, and stays worker-1's.
  t.index.nodeUpdated(node("worker-2", {"InternalIP=10.0.0.2", "InternalDNS=worker-1"}));
  CHECK(t.index.entries() == 3);
  CHECK(t.index.conflicts() == 1);
  CHECK(t.index.holds("worker-1", "worker-1"));
  CHECK(t.index.otherOwner("worker-2", "worker-1") == std::optional<std::string>("worker-1"));

  // Leaving: its name is held back for the window, from worker-2 too, then worker-2 gets it.
  t.index.nodeDeleted(node("worker-1", {}));
  CHECK(t.index.otherOwner("worker-2", "worker-1") == std::optional<std::string>("worker-1"));
  CHECK_FALSE(t.index.holds("worker-2", "worker-1"));
  t.clock->advance(std::chrono::hours(24));
  CHECK(t.index.holds("worker-2", "worker-1"));

  // A Node alone with its name, deleted: the name is held back for the window as well.
  t.index.nodeAdded(node("worker-3", {"InternalIP=10.0.0.3"}));
  t.index.nodeDeleted(node("worker-3", {}));
  t.index.nodeAdded(node("worker-4", {"InternalIP=10.0.0.4", "InternalDNS=worker-3"}));
  CHECK(t.index.otherOwner("worker-4", "worker-3") == std::optional<std::string>("worker-3"));
  CHECK_FALSE(t.index.holds("worker-4", "worker-3"));
}

TEST_CASE("AddressIndex: a deleted Node's name is not granted to another Node within the window") {
  Indexed t;
  t.index.nodeAdded(node("worker-2", {"InternalIP=10.0.0.2"}));
  t.index.nodeDeleted(node("worker-2", {"InternalIP=10.0.0.2"}));
  t.index.nodeAdded(node("worker-1", {"InternalIP=10.0.0.1", "InternalDNS=worker-2"}));
  CHECK(t.index.otherOwner("worker-1", "worker-2") == std::optional<std::string>("worker-2"));
}

TEST_CASE("AddressIndex: a Node changing its own addresses is counted, its first report is not") {
  Indexed t;
  t.index.nodeAdded(node("worker-1", {}));
  t.index.nodeUpdated(node("worker-1", {"InternalIP=10.0.0.1"}));
  CHECK(t.metrics.value(csrop::metric::kNodeAddressChanges) == 0);
  t.index.nodeUpdated(node("worker-1", {"InternalIP=10.0.0.1"}));
  CHECK(t.metrics.value(csrop::metric::kNodeAddressChanges) == 0);
  t.index.nodeUpdated(node("worker-1", {"InternalIP=10.0.0.1", "ExternalIP=203.0.113.5"}));
  CHECK(t.metrics.value(csrop::metric::kNodeAddressChanges) == 1);
  t.index.nodeDeleted(node("worker-1", {}));
  CHECK(t.metrics.value(csrop::metric::kNodeAddressChanges) == 1);
}

TEST_CASE("AddressIndex: addresses beyond the per-node cap are never owned by that node") {
  auto clock = std::make_shared<identity::ManualClock>();
  AddressIndex::Options options;
  options.maxAddressesPerNode = 2;
  AddressIndex index(options, clock, nullptr);
  index.initialListDone();
  index.nodeAdded(node("greedy", {"InternalIP=10.0.0.1", "InternalIP=10.0.0.2", "InternalIP=10.0.0.3"}));
  CHECK(index.holds("greedy", ip("10.0.0.2")));
  CHECK_FALSE(index.holds("greedy", ip("10.0.0.3")));
  index.nodeAdded(node("honest", {"InternalIP=10.0.0.3"}));
  CHECK(index.holds("honest", ip("10.0.0.3")));
}

TEST_CASE("AddressIndex: nothing is held before the initial list is done, a lone claimant holds it after") {
  auto clock = std::make_shared<identity::ManualClock>();
  AddressIndex index(AddressIndex::Options{}, clock, nullptr);
  index.nodeAdded(node("worker-1", {"InternalIP=10.0.0.1"}));
  CHECK_FALSE(index.holds("worker-1", ip("10.0.0.1")));
  CHECK(index.holds("worker-1", "worker-1"));  // a Node's name is its own from the start
  index.initialListDone();
  CHECK(index.holds("worker-1", ip("10.0.0.1")));
}

TEST_CASE("AddressIndex: an address several Nodes list in the initial list is contested, then held back for the window") {
  for (const char* leaver : {"a-attacker", "z-victim"}) {
    CAPTURE(leaver);
    auto clock = std::make_shared<identity::ManualClock>();
    AddressIndex index(AddressIndex::Options{}, clock, nullptr);
    index.nodeAdded(node("a-attacker", {"InternalIP=10.0.0.1"}));
    index.nodeAdded(node("z-victim", {"InternalIP=10.0.0.1"}));
    index.initialListDone();
    CHECK(index.conflicts() == 1);
    CHECK(index.otherOwner("a-attacker", ip("10.0.0.1")) == std::optional<std::string>("z-victim"));
    CHECK(index.otherOwner("z-victim", ip("10.0.0.1")) == std::optional<std::string>("a-attacker"));
    CHECK_FALSE(index.holds("a-attacker", ip("10.0.0.1")));
    CHECK_FALSE(index.holds("z-victim", ip("10.0.0.1")));

    const std::string stayer = std::string(leaver) == "a-attacker" ? "z-victim" : "a-attacker";
    index.nodeDeleted(node(leaver, {"InternalIP=10.0.0.1"}));
    CHECK(index.otherOwner(stayer, ip("10.0.0.1")) == std::optional<std::string>(leaver));
    clock->advance(std::chrono::hours(24));
    CHECK(index.holds(stayer, ip("10.0.0.1")));
  }
}

TEST_CASE("AddressIndex::keysOf maps address types as the kubelet's CSR template does") {
  auto keys =
      AddressIndex::keysOf(node("w", {"InternalIP=10.0.0.1", "ExternalIP=10.0.0.1", "Hostname=10.0.0.2", "Hostname=W.example",
                                      "InternalDNS=i.example", "ExternalDNS=e.example", "InternalIP=not-an-ip", "Other=x.example"}));
  CHECK(keys == std::vector<std::string>{"dns:w", "ip:10.0.0.1", "ip:10.0.0.2", "dns:w.example", "dns:i.example", "dns:e.example"});
}

TEST_CASE("AddressIndex: nobody's name is empty, so an empty node name holds nothing") {
  auto clock = std::make_shared<identity::ManualClock>();
  AddressIndex index(AddressIndex::Options{}, clock, nullptr);
  index.nodeAdded(node("worker-1", {"InternalIP=10.0.0.1"}));  // listed, held by nobody yet
  CHECK_FALSE(index.holds("", ip("10.0.0.1")));
  index.initialListDone();
  CHECK_FALSE(index.holds("", ip("10.0.0.1")));
  CHECK(index.otherOwner("", ip("10.0.0.1")) == std::optional<std::string>("worker-1"));
}

// Names and DNS/IPv6 keys are interned once: the table must not keep any after their Nodes are
// gone and the history window has passed, or a cluster that churns Nodes grows the index forever.
TEST_CASE("AddressIndex: names are released once Nodes are deleted and their history expires") {
  Indexed t;
  t.index.nodeAdded(node("worker-1", {"InternalIP=10.0.0.1", "InternalIP=fd00::1", "InternalDNS=w1.example.com"}));
  t.index.nodeAdded(node("worker-2", {"InternalIP=10.0.0.1", "InternalDNS=w1.example.com", "Hostname=worker-2"}));
  t.index.nodeUpdated(node("worker-1", {"InternalIP=10.0.0.2", "ExternalDNS=w1.example.com"}));
  CHECK(t.index.internedNames() > 0);
  t.index.nodeDeleted(node("worker-1", {}));
  t.index.nodeDeleted(node("worker-2", {}));
  CHECK(t.index.otherOwner("worker-3", ip("fd00::1")) == std::optional<std::string>("worker-1"));
  t.clock->advance(std::chrono::hours(24));
  CHECK_FALSE(t.index.holds("worker-3", ip("10.0.0.1")));
  CHECK(t.index.internedNames() == 0);
}

// An IPv6 key is interned by its 16 octets, in the table that also holds DNS names: a DNS name
// spelling those octets is another identity.
TEST_CASE("AddressIndex: a DNS name whose text equals an IPv6 address's octets is a different identity") {
  Indexed t;
  // 6265:6e63:682d:6e6f:6465:2d31:3233:3435 is "bench-node-12345" in ASCII.
  t.index.nodeAdded(node("worker-1", {"InternalIP=6265:6e63:682d:6e6f:6465:2d31:3233:3435"}));
  t.index.nodeAdded(node("worker-2", {"InternalDNS=bench-node-12345"}));
  CHECK(t.index.holds("worker-1", ip("6265:6e63:682d:6e6f:6465:2d31:3233:3435")));
  CHECK(t.index.holds("worker-2", "bench-node-12345"));
  CHECK_FALSE(t.index.otherOwner("worker-2", "bench-node-12345").has_value());
  CHECK(t.index.conflicts() == 0);
}
