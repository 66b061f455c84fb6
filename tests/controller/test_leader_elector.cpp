// LeaderElector against an in-memory Lease served through the fake transport, timed by the fake
// clock: every step is one tryAcquireOrRenew() or one advance() of the clock, never a sleep.
#include "controller/LeaderElector.h"
#include "tests/k8sclient/Fakes.h"
#include "tests/support/FakeClock.h"
#include "tests/support/Signal.h"

#include <doctest/doctest.h>

#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

using namespace std::chrono_literals;
using nlohmann::json;
using testsupport::FakeClock;
using testsupport::Signal;

namespace {

constexpr const char* kLeasePath = "/apis/coordination.k8s.io/v1/namespaces/ops/leases/csr-operator";
constexpr const char* kLeasesPath = "/apis/coordination.k8s.io/v1/namespaces/ops/leases";

json status(int code, const std::string& reason) {
  return {{"kind", "Status"}, {"apiVersion", "v1"}, {"status", "Failure"}, {"code", code}, {"reason", reason}, {"message", reason}};
}

// The API server's side of one Lease: GET, POST (create) and PUT (update with an optimistic
// resourceVersion check), as kube-apiserver answers them.
class LeaseStore {
 public:
  k8s::HttpResponse serve(const k8s::HttpRequest& r) {
    std::lock_guard lock(mu_);
    if (r.method == "GET" && r.path == kLeasePath) {
      if (!lease_) return k8stest::respond(404, status(404, "NotFound").dump());
      return k8stest::respond(200, lease_->dump());
    }
    if (r.method == "POST" && r.path == kLeasesPath) {
      if (lease_) return k8stest::respond(409, status(409, "AlreadyExists").dump());
      lease_ = json::parse(r.body);
      (*lease_)["metadata"]["resourceVersion"] = std::to_string(++version_);
      return k8stest::respond(201, lease_->dump());
    }
    if (r.method == "PUT" && r.path == kLeasePath) {
      if (!lease_) return k8stest::respond(404, status(404, "NotFound").dump());
      auto sent = json::parse(r.body);
      if (sent["metadata"].value("resourceVersion", "") != (*lease_)["metadata"]["resourceVersion"])
        return k8stest::respond(409, status(409, "Conflict").dump());
      lease_ = sent;
      (*lease_)["metadata"]["resourceVersion"] = std::to_string(++version_);
      return k8stest::respond(200, lease_->dump());
    }
    return k8stest::respond(400, status(400, "BadRequest").dump());
  }

  // Another replica writes the lease as holder (a renewal when it already holds it).
  void writeAs(const std::string& holder, int durationSeconds = 15) {
    std::lock_guard lock(mu_);
    if (!lease_) lease_ = json{{"metadata", {{"name", "csr-operator"}, {"namespace", "ops"}}}, {"spec", json::object()}};
    auto& spec = (*lease_)["spec"];
    spec["holderIdentity"] = holder;
    spec["leaseDurationSeconds"] = durationSeconds;
    spec["renewTime"] = "2026-01-01T00:00:00." + std::to_string(100000 + version_) + "Z";
    (*lease_)["metadata"]["resourceVersion"] = std::to_string(++version_);
  }

  void remove() {
    std::lock_guard lock(mu_);
    lease_.reset();
  }

  std::optional<json> spec() {
    std::lock_guard lock(mu_);
    if (!lease_) return std::nullopt;
    return (*lease_)["spec"];
  }

 private:
  std::mutex mu_;
  std::optional<json> lease_;
  int version_ = 0;
};

csrop::LeaderElectionConfig config() {
  csrop::LeaderElectionConfig c;
  c.leaseName = "csr-operator";
  c.namespace_ = "ops";
  c.leaseDuration = 15s;
  c.renewDeadline = 10s;
  c.retryPeriod = 2s;
  return c;
}

struct Fixture {
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();
  std::shared_ptr<k8stest::FakeTransport> transport = makeTransport();
  LeaseStore store;
  k8s::KubeClient client{transport, clientOptions()};
  csrop::LeaderElector elector{client, config(), "me", clock};

  std::shared_ptr<k8stest::FakeTransport> makeTransport() {
    auto t = std::make_shared<k8stest::FakeTransport>();
    t->onSend = [this](const k8s::HttpRequest& r) { return store.serve(r); };
    return t;
  }
  k8s::ClientOptions clientOptions() {
    k8s::ClientOptions o;
    o.qps = 0;
    o.maxRetries = 0;  // as Operator.cpp builds the lease client: the elector's loop is the retry
    o.clock = clock;
    return o;
  }
  // The next request gets this answer instead of the store's.
  void failNext(int code, const std::string& reason) { transport->queueSend(code, status(code, reason).dump()); }
  void serveNext() {
    transport->queueSend([this](const k8s::HttpRequest& r) { return store.serve(r); });
  }
  int writes() {
    std::lock_guard lock(transport->mu);
    int n = 0;
    for (const auto& r : transport->requests) n += r.method == "PUT" || r.method == "POST";
    return n;
  }
  std::string holder() { return store.spec().value_or(json::object()).value("holderIdentity", ""); }
};

// LeaderElector::run() on its own thread; stopped and joined on destruction, so a failed REQUIRE
// does not leave it sleeping on the fake clock.
struct Running {
  Running(csrop::LeaderElector& elector, Signal& acquired, Signal& lost)
      : done(std::async(std::launch::async, [&elector, &acquired, &lost, token = stop.get_token()] {
          elector.run(
              token, [&] { acquired.fire(); }, [&] { lost.fire(); });
        })) {}
  ~Running() { stop.request_stop(); }
  std::stop_source stop;
  std::future<void> done;
};

// Holds a request in the fake transport until opened; opens on destruction so the request ends.
struct Gate {
  std::promise<void> promise;
  std::shared_future<void> opened = promise.get_future().share();
  bool isOpen = false;
  void open() {
    if (isOpen) return;
    isOpen = true;
    promise.set_value();
  }
  ~Gate() { open(); }
};

}  // namespace

TEST_CASE("leader election: acquires by creating the lease when there is none, with the clock's wall time") {
  Fixture f;
  CHECK_FALSE(f.elector.isLeader());
  CHECK(f.elector.tryAcquireOrRenew());
  CHECK(f.elector.isLeader());
  auto spec = f.store.spec();
  REQUIRE(spec.has_value());
  CHECK((*spec)["holderIdentity"] == "me");
  CHECK((*spec)["leaseDurationSeconds"] == 15);
  CHECK((*spec)["leaseTransitions"] == 0);
  CHECK((*spec)["acquireTime"] == "2026-01-01T00:00:00.000000Z");
  CHECK((*spec)["renewTime"] == "2026-01-01T00:00:00.000000Z");

  f.clock->advance(2s + 250us);
  CHECK(f.elector.tryAcquireOrRenew());
  CHECK(f.store.spec().value()["renewTime"] == "2026-01-01T00:00:02.000250Z");
  CHECK(f.store.spec().value()["acquireTime"] == "2026-01-01T00:00:00.000000Z");
}

TEST_CASE("leader election: stands by while another holder renews, however long that goes on") {
  Fixture f;
  f.store.writeAs("other");
  for (int i = 0; i < 10; ++i) {
    CHECK_FALSE(f.elector.tryAcquireOrRenew());
    CHECK_FALSE(f.elector.isLeader());
    f.clock->advance(10s);
    f.store.writeAs("other");
  }
  CHECK(f.writes() == 0);
  CHECK(f.holder() == "other");
}

TEST_CASE("leader election: takes over after leaseDuration without a change to the lease, counted from its own observation") {
  Fixture f;
  f.store.writeAs("other");
  CHECK_FALSE(f.elector.tryAcquireOrRenew());
  f.clock->advance(15s - 1ms);
  CHECK_FALSE(f.elector.tryAcquireOrRenew());
  CHECK(f.writes() == 0);
  f.clock->advance(1ms);
  CHECK(f.elector.tryAcquireOrRenew());
  CHECK(f.elector.isLeader());
  auto spec = f.store.spec().value();
  CHECK(spec["holderIdentity"] == "me");
  CHECK(spec["leaseTransitions"] == 1);
  CHECK(spec["acquireTime"] == "2026-01-01T00:00:15.000000Z");
}

TEST_CASE("leader election: a lease released by its holder (empty holder) is taken at once") {
  Fixture f;
  f.store.writeAs("", 1);
  CHECK(f.elector.tryAcquireOrRenew());
  CHECK(f.holder() == "me");
}

TEST_CASE("leader election: a leader whose renewals fail is no leader once renewDeadline passes since the last renewal") {
  Fixture f;
  REQUIRE(f.elector.tryAcquireOrRenew());
  for (int i = 0; i < 4; ++i) {
    f.clock->advance(2s);
    f.failNext(503, "ServiceUnavailable");
    CHECK_FALSE(f.elector.tryAcquireOrRenew());
    CHECK(f.elector.isLeader());  // within renewDeadline of the acquisition
  }
  f.clock->advance(2s - 1ms);
  CHECK(f.elector.isLeader());
  f.clock->advance(1ms);
  CHECK_FALSE(f.elector.isLeader());
}

TEST_CASE("leader election: leadership ends on time while a renewal hangs, without waiting for the request") {
  Fixture f;
  REQUIRE(f.elector.tryAcquireOrRenew());
  std::future<bool> renewal;
  Gate gate;  // destroyed before renewal: the hung request is let go before it is waited for
  auto entered = std::make_shared<Signal>();
  f.transport->queueSend([entered, opened = gate.opened](const k8s::HttpRequest&) {
    entered->fire();
    opened.wait();
    return k8stest::respond(504, status(504, "Timeout").dump());
  });
  f.clock->advance(2s);
  renewal = std::async(std::launch::async, [&] { return f.elector.tryAcquireOrRenew(); });
  REQUIRE(entered->await());
  CHECK(f.elector.isLeader());
  f.clock->advance(8s - 1ms);
  CHECK(f.elector.isLeader());
  f.clock->advance(1ms);  // 10s since the acquisition, the renewal still in flight
  CHECK_FALSE(f.elector.isLeader());
  gate.open();
  REQUIRE(renewal.wait_for(10s) == std::future_status::ready);
  CHECK_FALSE(renewal.get());
  CHECK_FALSE(f.elector.isLeader());
}

TEST_CASE("leader election: a transient server error is retried on the next round and the renewal counts from then") {
  Fixture f;
  REQUIRE(f.elector.tryAcquireOrRenew());
  f.clock->advance(2s);
  f.failNext(500, "InternalError");
  CHECK_FALSE(f.elector.tryAcquireOrRenew());
  f.clock->advance(2s);
  CHECK(f.elector.tryAcquireOrRenew());
  f.clock->advance(9s);  // 13s after the acquisition, 9s after the renewal
  CHECK(f.elector.isLeader());
  CHECK(f.holder() == "me");
}

TEST_CASE("leader election: a conflict on write means another replica wrote first, and its lease wins") {
  Fixture f;
  SUBCASE("creating") {
    f.failNext(404, "NotFound");
    f.failNext(409, "AlreadyExists");
    CHECK_FALSE(f.elector.tryAcquireOrRenew());
    CHECK_FALSE(f.elector.isLeader());
  }
  SUBCASE("renewing") {
    REQUIRE(f.elector.tryAcquireOrRenew());
    f.clock->advance(2s);
    f.serveNext();
    f.failNext(409, "Conflict");
    CHECK_FALSE(f.elector.tryAcquireOrRenew());
    CHECK(f.elector.isLeader());  // nothing says someone else holds it yet
    f.store.writeAs("other");     // the write that won
    f.clock->advance(2s);
    CHECK_FALSE(f.elector.tryAcquireOrRenew());
    CHECK_FALSE(f.elector.isLeader());  // a lease naming another holder ends leadership at once
  }
  SUBCASE("taking over") {
    f.store.writeAs("other");
    CHECK_FALSE(f.elector.tryAcquireOrRenew());
    f.clock->advance(15s);
    f.serveNext();
    f.failNext(409, "Conflict");
    CHECK_FALSE(f.elector.tryAcquireOrRenew());
    CHECK_FALSE(f.elector.isLeader());
    CHECK(f.holder() == "other");
  }
}

TEST_CASE("leader election: a lease deleted under the leader (404) is created again, an existing one never overwritten") {
  Fixture f;
  REQUIRE(f.elector.tryAcquireOrRenew());
  f.clock->advance(2s);
  f.failNext(404, "NotFound");  // a stale read: the create finds the lease still there
  CHECK_FALSE(f.elector.tryAcquireOrRenew());
  CHECK(f.writes() == 2);  // the first create and the refused one
  f.clock->advance(2s);
  f.store.remove();
  CHECK(f.elector.tryAcquireOrRenew());
  CHECK(f.elector.isLeader());
  CHECK(f.holder() == "me");
}

TEST_CASE("leader election: forbidden (403) is no leadership and no write") {
  Fixture f;
  SUBCASE("reading") {
    f.failNext(403, "Forbidden");
    CHECK_FALSE(f.elector.tryAcquireOrRenew());
    CHECK_FALSE(f.elector.isLeader());
    CHECK(f.writes() == 0);
    CHECK_FALSE(f.store.spec().has_value());
  }
  SUBCASE("renewing") {
    REQUIRE(f.elector.tryAcquireOrRenew());
    for (int i = 0; i < 5; ++i) {
      f.clock->advance(2s);
      f.serveNext();
      f.failNext(403, "Forbidden");
      CHECK_FALSE(f.elector.tryAcquireOrRenew());
    }
    CHECK_FALSE(f.elector.isLeader());
  }
}

TEST_CASE("leader election: run() reports the loss when renewals fail past renewDeadline, and tries again") {
  Fixture f;
  Signal acquired, lost;
  const auto start = f.clock->now();
  Running running(f.elector, acquired, lost);
  REQUIRE(acquired.await());
  // From now on every request fails; the elector renews every retryPeriod.
  {
    std::lock_guard lock(f.transport->mu);
    f.transport->onSend = [](const k8s::HttpRequest&) { return k8stest::respond(503, status(503, "ServiceUnavailable").dump()); };
  }
  for (int round = 1; round <= 5; ++round) {
    REQUIRE(f.clock->awaitSleeperUntil(start + round * 2s));
    CHECK(lost.count() == 0);
    f.clock->advance(2s);
  }
  REQUIRE(lost.await());
  // Reported in the round that found renewDeadline passed: back to standby, it sleeps a retryPeriod
  // and tries to acquire again.
  REQUIRE(f.clock->awaitSleeperUntil(start + 12s));
  CHECK(f.clock->now() == start + 10s);
  CHECK_FALSE(f.elector.isLeader());
  CHECK(acquired.count() == 1);
}

TEST_CASE("leader election: run() releases the lease on shutdown so a standby takes over at once") {
  Fixture f;
  Signal acquired, lost;
  {
    Running running(f.elector, acquired, lost);
    REQUIRE(acquired.await());
    REQUIRE(f.clock->awaitSleepers(1));
  }
  CHECK(lost.count() == 0);
  CHECK_FALSE(f.elector.isLeader());
  auto spec = f.store.spec().value();
  CHECK_FALSE(spec.contains("holderIdentity"));
  CHECK(spec["leaseDurationSeconds"] == 1);

  // A standby sees an empty holder and takes the lease without waiting out a lease duration.
  csrop::LeaderElector standby(f.client, config(), "standby", f.clock);
  CHECK(standby.tryAcquireOrRenew());
  CHECK(f.holder() == "standby");
}

TEST_CASE("leader election: run() hands work out again after a renewal that succeeded too late to keep isLeader() true") {
  // The soak's finding: writes refused during the gap dropped their work, and since the lease was
  // never lost nothing re-enqueued it.
  Fixture f;
  Signal acquired, lost;
  const auto start = f.clock->now();
  Gate gate;
  auto entered = std::make_shared<Signal>();
  Running running(f.elector, acquired, lost);
  REQUIRE(acquired.await());
  f.transport->queueSend([entered, opened = gate.opened, &f](const k8s::HttpRequest& r) {
    entered->fire();
    opened.wait();
    return f.store.serve(r);
  });
  REQUIRE(f.clock->awaitSleeperUntil(start + 2s));
  f.clock->advance(2s);
  REQUIRE(entered->await());  // the renewal's GET hangs
  f.clock->advance(10s);      // renewDeadline since the acquisition
  CHECK_FALSE(f.elector.isLeader());
  gate.open();  // the renewal succeeds, but it started 10s ago
  REQUIRE(f.clock->awaitSleeperUntil(start + 14s));
  CHECK(acquired.count() == 1);  // not while isLeader() is still false
  f.clock->advance(2s);          // the next renewal is on time
  REQUIRE(acquired.await(2));
  CHECK(f.elector.isLeader());
  CHECK(lost.count() == 0);
}
