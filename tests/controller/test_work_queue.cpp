#include "controller/WorkQueue.h"
#include "tests/support/FakeClock.h"
#include "tests/support/Signal.h"

#include <doctest/doctest.h>

#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using testsupport::FakeClock;

namespace {

// Per-item backoff only: the global bucket never adds delay.
csrop::WorkQueueOptions perItemOnly(std::chrono::milliseconds base = 200ms, std::chrono::milliseconds cap = 300s) {
  return {base, cap, 0, 0};
}

// Workers are owned here so that a failed REQUIRE still ends them: the destructor shuts the queue
// down before they are joined.
struct Fixture {
  explicit Fixture(csrop::WorkQueueOptions options = perItemOnly()) : queue(options, clock) {}
  ~Fixture() { queue.shutDown(); }
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();
  csrop::WorkQueue queue;
  std::vector<std::shared_future<std::optional<std::string>>> workers;
  std::vector<std::jthread> loops;

  // A worker blocked in get(), as the controller's workers are.
  std::shared_future<std::optional<std::string>> worker() {
    workers.push_back(std::async(std::launch::async, [this] { return queue.get(); }).share());
    return workers.back();
  }
};

bool ready(const std::shared_future<std::optional<std::string>>& f, std::chrono::milliseconds within = 10s) {
  return f.wait_for(within) == std::future_status::ready;
}

}  // namespace

TEST_CASE("work queue: a key is queued once however often it is added") {
  Fixture f;
  f.queue.add("a");
  f.queue.add("a");
  f.queue.add("b");
  CHECK(f.queue.depth() == 2);
  CHECK(f.queue.get() == "a");
  CHECK(f.queue.get() == "b");
}

TEST_CASE("work queue: a key being processed is not handed out twice, and is handed out again after done") {
  Fixture f;
  f.queue.add("a");
  REQUIRE(f.queue.get() == "a");
  f.queue.add("a");  // changed while processing
  CHECK(f.queue.depth() == 0);
  auto second = f.worker();
  // The worker sleeps on the clock with nothing to wait for: it cannot have been handed "a".
  REQUIRE(f.clock->awaitSleeperUntil(k8s::Clock::time_point::max()));
  CHECK(second.wait_for(0s) == std::future_status::timeout);
  f.queue.done("a");
  REQUIRE(ready(second));
  CHECK(second.get() == "a");
}

TEST_CASE("work queue: the logged delay is the real delay, the key comes out neither before nor after it") {
  Fixture f;
  const auto start = f.clock->now();
  const auto delay = f.queue.addRateLimited("a");
  CHECK(delay == 200ms);
  auto got = f.worker();
  REQUIRE(f.clock->awaitSleeperUntil(start + delay));
  f.clock->advance(delay - 1ms);
  // Still asleep until start + delay: a sleeper on the fake clock wakes only at its deadline.
  CHECK(f.clock->isSleepingUntil(start + delay));
  CHECK(got.wait_for(0s) == std::future_status::timeout);
  f.clock->advance(1ms);
  REQUIRE(ready(got));
  CHECK(got.get() == "a");
}

TEST_CASE("work queue: retries back off 200, 400, 800 ms per key up to the cap, and forget resets") {
  Fixture f(perItemOnly(200ms, 300s));
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 13; ++i) delays.push_back(f.queue.addRateLimited("a"));
  CHECK(delays == std::vector<std::chrono::milliseconds>{200ms, 400ms, 800ms, 1600ms, 3200ms, 6400ms, 12800ms, 25600ms, 51200ms, 102400ms,
                                                         204800ms, 300s, 300s});
  CHECK(f.queue.failures("a") == 13);
  for (int i = 0; i < 100; ++i) f.queue.addRateLimited("a");
  CHECK(f.queue.addRateLimited("a") == 300s);
  CHECK(f.queue.addRateLimited("b") == 200ms);  // per key
  f.queue.forget("a");
  CHECK(f.queue.failures("a") == 0);
  CHECK(f.queue.addRateLimited("a") == 200ms);
}

TEST_CASE("work queue: a key has one pending timer, so a retry is not brought forward by an earlier one") {
  Fixture f;
  // First failure: retry in 200ms. Then a watch event runs the key before that, and it fails again.
  CHECK(f.queue.addRateLimited("a") == 200ms);
  f.queue.add("a");
  REQUIRE(f.queue.get() == "a");
  const auto secondFailure = f.clock->now();
  CHECK(f.queue.addRateLimited("a") == 400ms);
  f.queue.done("a");
  CHECK(f.queue.depth() == 1);

  auto got = f.worker();
  REQUIRE(f.clock->awaitSleeperUntil(secondFailure + 400ms));
  f.clock->advance(399ms);  // past the first timer's 200ms
  CHECK(f.clock->isSleepingUntil(secondFailure + 400ms));
  CHECK(got.wait_for(0s) == std::future_status::timeout);
  f.clock->advance(1ms);
  REQUIRE(ready(got));
  CHECK(got.get() == "a");
  CHECK(f.queue.depth() == 0);
}

TEST_CASE("work queue: addAfter replaces the key's pending timer, later or sooner") {
  Fixture f;
  const auto start = f.clock->now();
  f.queue.addAfter("a", 100ms);
  f.queue.addAfter("a", 500ms);
  CHECK(f.queue.depth() == 1);
  auto got = f.worker();
  REQUIRE(f.clock->awaitSleeperUntil(start + 500ms));
  f.clock->advance(100ms);
  CHECK(f.clock->isSleepingUntil(start + 500ms));
  CHECK(got.wait_for(0s) == std::future_status::timeout);
  f.queue.addAfter("a", 50ms);  // sooner: the sleeping worker now waits for it instead
  REQUIRE(f.clock->awaitSleeperUntil(start + 150ms));
  f.clock->advance(50ms);
  REQUIRE(ready(got));
  CHECK(got.get() == "a");
  CHECK(f.queue.depth() == 0);
}

TEST_CASE("work queue: forget cancels the key's pending retry") {
  Fixture f;
  f.queue.addRateLimited("a");
  CHECK(f.queue.depth() == 1);
  f.queue.forget("a");
  CHECK(f.queue.depth() == 0);
  f.clock->advance(1s);
  f.queue.add("b");
  CHECK(f.queue.get() == "b");
  CHECK(f.queue.depth() == 0);  // "a" was not promoted when its old deadline passed
}

TEST_CASE("work queue: delayed items come out after their delay, in order") {
  Fixture f;
  f.queue.addAfter("late", 120ms);
  f.queue.addAfter("early", 40ms);
  f.clock->advance(40ms);
  CHECK(f.queue.get() == "early");
  f.clock->advance(80ms);
  CHECK(f.queue.get() == "late");
}

TEST_CASE("work queue: the global bucket spaces retries out once the burst is spent, and refills with time") {
  Fixture f({1ms, 1ms, 10, 2});
  CHECK(f.queue.addRateLimited("a") == 1ms);
  CHECK(f.queue.addRateLimited("b") == 1ms);
  CHECK(f.queue.addRateLimited("c") == 100ms);
  CHECK(f.queue.addRateLimited("d") == 200ms);
  f.clock->advance(1s);  // 10 tokens at 10/s pay back the deficit of 2 and refill the burst
  CHECK(f.queue.addRateLimited("e") == 1ms);
  CHECK(f.queue.addRateLimited("f") == 1ms);
  CHECK(f.queue.addRateLimited("g") == 100ms);

  // A retry waiting for its slot in the bucket comes out when the slot comes, not before.
  Fixture g({1ms, 1ms, 10, 1});
  g.queue.addRateLimited("x");
  const auto reserved = g.clock->now();
  CHECK(g.queue.addRateLimited("y") == 100ms);
  g.clock->advance(1ms);
  CHECK(g.queue.get() == "x");
  auto got = g.worker();
  REQUIRE(g.clock->awaitSleeperUntil(reserved + 100ms));
  g.clock->advance(99ms);
  REQUIRE(ready(got));
  CHECK(got.get() == "y");
}

TEST_CASE("work queue: the bucket's delay wins over a shorter per-key backoff, and the cap holds under it") {
  Fixture f({200ms, 400ms, 1, 1});
  CHECK(f.queue.addRateLimited("a") == 200ms);
  CHECK(f.queue.addRateLimited("a") == 1000ms);  // per key 400ms, the bucket's next slot is 1s away
  f.clock->advance(10s);
  CHECK(f.queue.addRateLimited("a") == 400ms);  // capped: 800ms would exceed maxDelay
}

TEST_CASE("work queue: shutdown wakes blocked workers, also those waiting on a timer, and refuses new keys") {
  Fixture f;
  auto idle = f.worker();
  REQUIRE(f.clock->awaitSleepers(1));
  f.queue.addAfter("later", 1h);
  auto waiting = f.worker();
  REQUIRE(f.clock->awaitSleepers(2));
  f.queue.shutDown();
  REQUIRE(ready(idle));
  REQUIRE(ready(waiting));
  CHECK_FALSE(idle.get().has_value());
  CHECK_FALSE(waiting.get().has_value());
  f.queue.add("x");
  CHECK(f.queue.get() == std::nullopt);
}

TEST_CASE("work queue: several workers waiting on delayed items while others promote them") {
  testsupport::Signal handedOut;  // outlives the fixture's workers, which fire it
  Fixture f;
  for (int w = 0; w < 4; ++w)
    f.loops.emplace_back([&] {
      while (auto k = f.queue.get()) {
        f.queue.done(*k);
        handedOut.fire();
      }
    });
  for (int i = 0; i < 200; ++i) f.queue.addAfter("k" + std::to_string(i), std::chrono::milliseconds(1 + i % 7));
  REQUIRE(f.clock->awaitSleepers(4));
  for (int ms = 1; ms <= 7; ++ms) f.clock->advance(1ms);
  CHECK(handedOut.await(200));
  f.queue.shutDown();
  f.loops.clear();
  CHECK(handedOut.count() == 200);
  CHECK(f.queue.depth() == 0);
}

TEST_CASE("work queue: the real clock releases a delayed key and shutdown still wakes get()") {
  csrop::WorkQueue q;
  const auto start = std::chrono::steady_clock::now();
  q.addAfter("a", 30ms);
  CHECK(q.get() == "a");
  CHECK(std::chrono::steady_clock::now() - start >= 30ms);
  auto idle = std::async(std::launch::async, [&] { return q.get(); });
  q.shutDown();
  REQUIRE(idle.wait_for(10s) == std::future_status::ready);
  CHECK_FALSE(idle.get().has_value());
}
