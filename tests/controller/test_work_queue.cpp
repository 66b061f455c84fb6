#include "controller/WorkQueue.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {
template <class F>
bool eventually_true(F f) {
  for (int i = 0; i < 400 && !f(); ++i) std::this_thread::sleep_for(5ms);
  return f();
}
}  // namespace

TEST_CASE("work queue: a key is queued once however often it is added") {
  csrop::WorkQueue q;
  q.add("a");
  q.add("a");
  q.add("b");
  CHECK(q.depth() == 2);
  CHECK(q.get() == "a");
  CHECK(q.get() == "b");
}

TEST_CASE("work queue: a key being processed is not handed out twice, and is handed out again after done") {
  csrop::WorkQueue q;
  q.add("a");
  auto first = q.get();
  REQUIRE(first == "a");
  q.add("a");  // changed while processing
  CHECK(q.depth() == 0);
  std::atomic<bool> gotSecond{false};
  std::thread t([&] {
    auto k = q.get();
    gotSecond = k.has_value() && *k == "a";
  });
  std::this_thread::sleep_for(50ms);
  CHECK_FALSE(gotSecond.load());
  q.done("a");
  t.join();
  CHECK(gotSecond.load());
}

TEST_CASE("work queue: delayed items come out after their delay, in order") {
  csrop::WorkQueue q;
  const auto start = std::chrono::steady_clock::now();
  q.addAfter("late", 120ms);
  q.addAfter("early", 40ms);
  CHECK(q.get() == "early");
  CHECK(q.get() == "late");
  CHECK(std::chrono::steady_clock::now() - start >= 120ms);
}

TEST_CASE("work queue: retries back off exponentially per item and forget resets") {
  csrop::WorkQueue q({std::chrono::milliseconds(10), std::chrono::milliseconds(1000), 0, 0});
  CHECK(q.addRateLimited("a") == 10ms);
  CHECK(q.addRateLimited("a") == 20ms);
  CHECK(q.addRateLimited("a") == 40ms);
  CHECK(q.failures("a") == 3);
  CHECK(q.addRateLimited("b") == 10ms);
  q.forget("a");
  CHECK(q.failures("a") == 0);
  CHECK(q.addRateLimited("a") == 10ms);
  for (int i = 0; i < 20; ++i) q.addRateLimited("c");
  CHECK(q.addRateLimited("c") == 1000ms);
}

TEST_CASE("work queue: the global bucket spaces retries out once the burst is spent") {
  csrop::WorkQueue q({std::chrono::milliseconds(1), std::chrono::milliseconds(1), 10, 2});
  CHECK(q.addRateLimited("a") <= 1ms);
  CHECK(q.addRateLimited("b") <= 1ms);
  CHECK(q.addRateLimited("c") >= 90ms);
}

TEST_CASE("work queue: shutdown releases blocked workers") {
  csrop::WorkQueue q;
  std::atomic<bool> released{false};
  std::thread t([&] {
    released = !q.get().has_value();
  });
  std::this_thread::sleep_for(30ms);
  q.shutDown();
  t.join();
  CHECK(released.load());
  q.add("x");
  CHECK(q.depth() == 0);
}

TEST_CASE("work queue: several workers waiting on delayed items while others promote them") {
  csrop::WorkQueue q;
  std::atomic<int> got{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w)
    workers.emplace_back([&] {
      while (auto k = q.get()) {
        ++got;
        q.done(*k);
      }
    });
  for (int i = 0; i < 200; ++i) q.addAfter("k" + std::to_string(i), std::chrono::milliseconds(1 + i % 7));
  REQUIRE(eventually_true([&] { return got.load() == 200; }));
  q.shutDown();
  for (auto& t : workers) t.join();
  CHECK(got.load() == 200);
}
