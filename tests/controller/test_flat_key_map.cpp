// FlatKeyMap against std::unordered_map as the model: the same operations in the same order must
// leave the same contents, through growth, shrinking and backward-shift deletions in long runs.
#include "controller/FlatKeyMap.h"

#include <doctest/doctest.h>

#include <random>
#include <unordered_map>

using csrop::FlatKeyMap;

namespace {

struct Value {
  std::uint32_t a = 0, b = 0;
};

void checkSame(FlatKeyMap<Value>& map, const std::unordered_map<std::uint64_t, Value>& model) {
  REQUIRE(map.size() == model.size());
  for (const auto& [key, value] : model) {
    const Value* found = map.find(key);
    REQUIRE(found != nullptr);
    CHECK(found->a == value.a);
    CHECK(found->b == value.b);
  }
  std::size_t visited = 0;
  map.forEach([&](std::uint64_t key, Value& v) {
    ++visited;
    const auto it = model.find(key);
    REQUIRE(it != model.end());
    CHECK(v.a == it->second.a);
  });
  CHECK(visited == model.size());
}

}  // namespace

TEST_CASE("FlatKeyMap: inserts, finds and erases like a hash map") {
  FlatKeyMap<Value> map;
  CHECK(map.find(7) == nullptr);
  CHECK_FALSE(map.erase(7));

  auto [v, inserted] = map.tryEmplace(7);
  CHECK(inserted);
  CHECK(v->a == 0);  // value-initialised
  v->a = 70;
  auto [again, insertedAgain] = map.tryEmplace(7);
  CHECK_FALSE(insertedAgain);
  CHECK(again->a == 70);
  CHECK(map.size() == 1);

  CHECK(map.erase(7));
  CHECK(map.find(7) == nullptr);
  CHECK(map.size() == 0);
}

TEST_CASE("FlatKeyMap: random operations leave exactly what a std::unordered_map holds") {
  // Keys from a small range, so that runs of occupied slots form and deletions shift them back.
  std::mt19937_64 random(20261203);
  FlatKeyMap<Value> map;
  std::unordered_map<std::uint64_t, Value> model;
  for (int round = 0; round < 4; ++round) {
    // Grow to about 20,000 keys, then drain to a few: growth and shrinking both run.
    for (int i = 0; i < 40000; ++i) {
      const std::uint64_t key = 1 + random() % 30000;
      if (random() % 3 == 0) {
        CHECK(map.erase(key) == (model.erase(key) == 1));
      } else {
        auto [v, inserted] = map.tryEmplace(key);
        CHECK(inserted == !model.count(key));
        v->a = static_cast<std::uint32_t>(key * 3);
        v->b = static_cast<std::uint32_t>(i);
        model[key] = *v;
      }
    }
    checkSame(map, model);
    CHECK(map.size() * 8 <= map.slotCount() * 7);
    for (auto it = model.begin(); it != model.end();) {
      if (random() % 50 != 0) {
        CHECK(map.erase(it->first));
        it = model.erase(it);
      } else {
        ++it;
      }
    }
    checkSame(map, model);
    // Shrunk with the contents: at most four slots per entry (or the minimum table).
    CHECK(map.slotCount() <= std::max<std::size_t>(16, 4 * map.size() + 4));
  }
}

TEST_CASE("FlatKeyMap: stays between 7/12 and 7/8 full as it grows") {
  FlatKeyMap<Value> map;
  for (std::uint64_t key = 1; key <= 100000; ++key) {
    map.tryEmplace(key);
    if (map.slotCount() > 64) {
      CHECK(map.size() * 8 <= map.slotCount() * 7);
      CHECK(map.size() * 12 >= map.slotCount() * 7 - 12);
    }
  }
  CHECK(map.size() == 100000);
}
