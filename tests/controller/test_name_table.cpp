#include "controller/NameTable.h"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

using csrop::NameTable;

TEST_CASE("NameTable: a name is stored once, and its id stays until its last reference goes") {
  NameTable t;
  const auto a = t.acquire("worker-1");
  CHECK(a != NameTable::kNone);
  CHECK(t.acquire("worker-1") == a);
  CHECK(t.find("worker-1") == a);
  CHECK(t.text(a) == "worker-1");
  CHECK(t.size() == 1);
  t.release(a);
  CHECK(t.find("worker-1") == a);
  t.release(a);
  CHECK(t.find("worker-1") == NameTable::kNone);
  CHECK(t.size() == 0);
}

TEST_CASE("NameTable: retain adds a reference, and release of kNone does nothing") {
  NameTable t;
  const auto a = t.acquire("w");
  t.retain(a);
  t.release(a);
  CHECK(t.find("w") == a);
  t.release(NameTable::kNone);
  t.release(a);
  CHECK(t.size() == 0);
  CHECK_THROWS_AS(t.release(a), std::logic_error);
  CHECK_THROWS_AS(t.retain(a), std::logic_error);
  CHECK_THROWS_AS(t.text(NameTable::kNone), std::out_of_range);
}

TEST_CASE("NameTable: a freed id is reused for the next new name") {
  NameTable t;
  const auto a = t.acquire("a");
  const auto b = t.acquire("b");
  t.release(a);
  const auto c = t.acquire("c");
  CHECK(c == a);
  CHECK(t.text(c) == "c");
  CHECK(t.text(b) == "b");
  CHECK(t.find("a") == NameTable::kNone);
}

TEST_CASE("NameTable: names that differ only in case, or are empty or binary, are distinct") {
  NameTable t;
  const std::string binary("\0\x01\xff", 3);
  const auto lower = t.acquire("node");
  const auto upper = t.acquire("NODE");
  const auto empty = t.acquire("");
  const auto bin = t.acquire(binary);
  CHECK(lower != upper);
  CHECK(empty != lower);
  CHECK(t.text(empty).empty());
  CHECK(t.text(bin) == binary);
  CHECK(t.find(std::string("\0\x01", 2)) == NameTable::kNone);
}

// Many names, released in an order that punches holes in probe runs: every survivor must still
// be found (backward-shift deletion) and every released one gone.
TEST_CASE("NameTable: thousands of names survive growth and interleaved releases") {
  NameTable t;
  std::vector<NameTable::Id> ids;
  for (int i = 0; i < 5000; ++i) ids.push_back(t.acquire("node-" + std::to_string(i)));
  for (int i = 0; i < 5000; i += 3) t.release(ids[i]);
  for (int i = 0; i < 5000; ++i) {
    CAPTURE(i);
    const auto found = t.find("node-" + std::to_string(i));
    if (i % 3 == 0)
      CHECK(found == NameTable::kNone);
    else
      CHECK(found == ids[i]);
  }
  CHECK(t.size() == 5000 - 1667);
  for (int i = 0; i < 5000; ++i)
    if (i % 3 != 0) t.release(ids[i]);
  CHECK(t.size() == 0);
  CHECK(t.find("node-1") == NameTable::kNone);
}
