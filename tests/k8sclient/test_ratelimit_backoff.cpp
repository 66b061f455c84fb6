#include <doctest/doctest.h>

#include <future>

#include "Fakes.h"
#include "k8sclient/Backoff.h"
#include "k8sclient/RateLimiter.h"
#include "tests/support/Signal.h"

using namespace k8s;
using namespace std::chrono_literals;

TEST_CASE("token bucket: burst then qps") {
  auto clock = std::make_shared<k8stest::FakeClock>();
  RateLimiter rl(10, 3, clock);
  CHECK(rl.tryAccept());
  CHECK(rl.tryAccept());
  CHECK(rl.tryAccept());
  CHECK_FALSE(rl.tryAccept());
  clock->advance(100ms);
  CHECK(rl.tryAccept());
  CHECK_FALSE(rl.tryAccept());
  clock->advance(10s);  // refills only up to burst
  CHECK(rl.tryAccept());
  CHECK(rl.tryAccept());
  CHECK(rl.tryAccept());
  CHECK_FALSE(rl.tryAccept());
}

TEST_CASE("token bucket: wait sleeps for the deficit and queues callers") {
  auto clock = std::make_shared<k8stest::FakeClock>();
  RateLimiter rl(2, 1, clock);
  CHECK(rl.reserve() == Clock::duration::zero());
  CHECK(rl.reserve() == std::chrono::duration_cast<Clock::duration>(500ms));
  CHECK(rl.reserve() == std::chrono::duration_cast<Clock::duration>(1000ms));
  clock->advance(1s);
  CHECK(rl.wait());
  REQUIRE(clock->sleeps.size() == 1);
  CHECK(clock->sleeps[0] == std::chrono::duration_cast<Clock::duration>(500ms));
}

TEST_CASE("token bucket: qps <= 0 is unlimited") {
  auto clock = std::make_shared<k8stest::FakeClock>();
  RateLimiter rl(0, 1, clock);
  for (int i = 0; i < 1000; ++i) CHECK(rl.tryAccept());
  CHECK(rl.wait());
  CHECK(clock->sleeps.empty());
}

TEST_CASE("token bucket: wait stops when cancelled") {
  auto clock = std::make_shared<k8stest::FakeClock>();
  RateLimiter rl(1, 1, clock);
  std::stop_source ss;
  CHECK(rl.wait(ss.get_token()));
  ss.request_stop();
  CHECK_FALSE(rl.wait(ss.get_token()));
}

namespace {
// The real clock, telling the test when a sleep has begun (so the stop below lands in the sleep).
class ObservedRealClock : public Clock {
 public:
  time_point now() override { return steadyClock()->now(); }
  system_time_point systemNow() override { return steadyClock()->systemNow(); }
  bool sleepFor(duration d, std::stop_token stop) override {
    sleeping.fire();
    return steadyClock()->sleepFor(d, stop);
  }
  testsupport::Signal sleeping;
};
}  // namespace

TEST_CASE("real clock: a stop request ends the sleep early") {
  auto clock = std::make_shared<ObservedRealClock>();
  RateLimiter rl(0.01, 1, clock);  // the second token is 100 s away
  rl.tryAccept();
  std::stop_source ss;
  auto start = std::chrono::steady_clock::now();
  auto waited = std::async(std::launch::async, [&] { return rl.wait(ss.get_token()); });
  REQUIRE(clock->sleeping.await());
  ss.request_stop();
  REQUIRE(waited.wait_for(10s) == std::future_status::ready);
  CHECK_FALSE(waited.get());
  CHECK(std::chrono::steady_clock::now() - start < 10s);
}

TEST_CASE("real clock: a sleep without a deadline lasts until stop, one to a past deadline returns at once") {
  auto clock = steadyClock();
  std::stop_source ss;
  auto forever = std::async(std::launch::async, [&] { return clock->sleepUntil(Clock::time_point::max(), ss.get_token()); });
  ss.request_stop();
  REQUIRE(forever.wait_for(10s) == std::future_status::ready);
  CHECK_FALSE(forever.get());
  CHECK(clock->sleepUntil(clock->now() - 1s, {}));
  CHECK(clock->sleepUntil(clock->now() + 1ms, {}));
}

TEST_CASE("real clock: wall time is the system clock's") {
  const auto before = std::chrono::system_clock::now();
  const auto wall = steadyClock()->systemNow();
  CHECK(wall >= before);
  CHECK(wall <= std::chrono::system_clock::now());
}

TEST_CASE("backoff doubles up to the cap jitter within bounds") {
  Backoff mid({100ms, 1000ms, 0.2}, [] { return 0.5; });  // factor exactly 1
  CHECK(mid.next() == 100ms);
  CHECK(mid.next() == 200ms);
  CHECK(mid.next() == 400ms);
  CHECK(mid.next() == 800ms);
  CHECK(mid.next() == 1000ms);
  CHECK(mid.next() == 1000ms);
  CHECK(mid.attempts() == 6);
  mid.reset();
  CHECK(mid.next() == 100ms);

  Backoff low({100ms, 1000ms, 0.2}, [] { return 0.0; });
  CHECK(low.next() == 80ms);
  Backoff high({100ms, 1000ms, 0.2}, [] { return 0.999999; });
  CHECK(high.next() >= 119ms);
  for (int i = 0; i < 10; ++i) CHECK(high.next() <= 1000ms);

  Backoff real({100ms, 1000ms, 0.5});
  for (int i = 0; i < 50; ++i) {
    auto d = real.next();
    CHECK(d >= 0ms);
    CHECK(d <= 1000ms);
  }
}

TEST_CASE("Retry-After parsing") {
  CHECK(parseRetryAfter("3") == std::chrono::seconds(3));
  CHECK(parseRetryAfter(" 10 ") == std::chrono::seconds(10));
  CHECK_FALSE(parseRetryAfter(""));
  CHECK_FALSE(parseRetryAfter("soon"));
  CHECK_FALSE(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"));
  CHECK_FALSE(parseRetryAfter("-1"));
}
