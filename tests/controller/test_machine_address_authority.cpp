#include "controller/MachineAddressAuthority.h"
#include "tests/controller/IdentityFixtures.h"

#include <doctest/doctest.h>

using csrop::AddressRequest;
using Outcome = csrop::AddressVerdict::Outcome;
using identity::machine;
using identity::request;
using MachineLookup = csrop::Lookup<std::vector<k8s::Machine>>;

namespace {

using namespace std::chrono_literals;

struct FakeMachines : csrop::MachineDirectory {
  std::vector<k8s::Machine> cached, fresh;
  bool failing = false;
  int freshReads = 0;
  MachineLookup byNode(const std::string& nodeName, bool isFresh) override {
    if (isFresh) ++freshReads;
    if (isFresh && failing) return MachineLookup::failed("connection refused");
    std::vector<k8s::Machine> out;
    for (const auto& m : isFresh ? fresh : cached)
      if (m.nodeRefName == nodeName) out.push_back(m);
    return out.empty() ? MachineLookup::notFound() : MachineLookup::found(out);
  }
};

const k8s::Machine kWorker1 = machine("md-0-abcde", "worker-1",
                                      {"InternalIP=10.0.0.1", "ExternalIP=203.0.113.1", "InternalDNS=ip-10-0-0-1.ec2.internal",
                                       "ExternalDNS=worker-1.example.com.", "Hostname=Worker-1-Host"});

}  // namespace

TEST_CASE("MachineAddressAuthority: every SAN must be one of the Machine's addresses") {
  struct Row {
    const char* story;
    std::vector<std::string> dns, ips;
    std::chrono::seconds age;
    Outcome outcome;
    const char* reason;
  };
  const Row rows[] = {
      {"all from the Machine",
       {"ip-10-0-0-1.ec2.internal", "worker-1.example.com", "worker-1-host", "worker-1"},
       {"10.0.0.1", "203.0.113.1"},
       10s,
       Outcome::Owned,
       ""},
      {"IPv4-mapped spelling of its IP", {}, {"::ffff:10.0.0.1"}, 10s, Outcome::Owned, ""},
      {"case-insensitive names", {"IP-10-0-0-1.EC2.INTERNAL"}, {}, 10s, Outcome::Owned, ""},
      {"an IP the Machine lacks, early", {}, {"10.0.0.2"}, 10s, Outcome::NotYetKnown, "IPNotOwnedByMachine"},
      {"an IP the Machine lacks, late", {}, {"10.0.0.2"}, 601s, Outcome::NotOwned, "IPNotOwnedByMachine"},
      {"a name the Machine lacks, late", {"worker-2"}, {"10.0.0.1"}, 601s, Outcome::NotOwned, "DNSNameNotOwnedByMachine"},
      {"a trailing dot is refused at once", {"worker-1.example.com."}, {}, 10s, Outcome::NotOwned, "DNSNameNotOwnedByMachine"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.story);
    FakeMachines machines;
    machines.cached = machines.fresh = {kWorker1};
    csrop::MachineAddressAuthority authority(machines, {});
    auto req = request(row.dns, row.ips);
    auto v = authority.verify(AddressRequest{"worker-1", req, row.age});
    CHECK(v.outcome == row.outcome);
    CHECK(v.reason == row.reason);
  }
}

TEST_CASE("MachineAddressAuthority: the Node's own status plays no part") {
  // The request lists what worker-1's Node status might claim; only the Machine decides.
  FakeMachines machines;
  machines.cached = machines.fresh = {kWorker1};
  csrop::MachineAddressAuthority authority(machines, {});
  auto lying = request({"worker-1"}, {"10.0.0.2"});
  CHECK(authority.verify(AddressRequest{"worker-1", lying, 601s}).outcome == Outcome::NotOwned);
}

TEST_CASE("MachineAddressAuthority: no Machine yet is retried until the deadline, then MachineNotFound") {
  FakeMachines machines;
  csrop::MachineAddressOptions options;
  options.machineDeadline = 120s;
  csrop::MachineAddressAuthority authority(machines, options);
  auto req = request({"worker-1"}, {"10.0.0.1"});
  auto early = authority.verify(AddressRequest{"worker-1", req, 119s});
  CHECK(early.outcome == Outcome::NotYetKnown);
  CHECK(early.reason == "MachineNotFound");
  auto late = authority.verify(AddressRequest{"worker-1", req, 120s});
  CHECK(late.outcome == Outcome::NotOwned);
  CHECK(late.reason == "MachineNotFound");
}

TEST_CASE("MachineAddressAuthority: never denies on the cache alone") {
  FakeMachines machines;
  machines.fresh = {kWorker1};  // the informer has not delivered the Machine yet
  csrop::MachineAddressAuthority authority(machines, {});
  auto req = request({"worker-1"}, {"10.0.0.1"});
  CHECK(authority.verify(AddressRequest{"worker-1", req, 601s}).outcome == Outcome::Owned);
  CHECK(machines.freshReads == 1);

  machines.failing = true;
  auto failed = authority.verify(AddressRequest{"worker-1", req, 601s});
  CHECK(failed.outcome == Outcome::NotYetKnown);
  CHECK(failed.reason == "MachineLookupFailed");
}

TEST_CASE("MachineAddressAuthority: two Machines claiming one node are refused") {
  FakeMachines machines;
  machines.cached = machines.fresh = {kWorker1, machine("md-0-other", "worker-1", {"InternalIP=10.0.0.1"})};
  csrop::MachineAddressAuthority authority(machines, {});
  auto req = request({"worker-1"}, {"10.0.0.1"});
  auto v = authority.verify(AddressRequest{"worker-1", req, 10s});
  CHECK(v.outcome == Outcome::NotOwned);
  CHECK(v.reason == "MachineAmbiguous");
}
