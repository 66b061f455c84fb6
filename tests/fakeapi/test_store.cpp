#include "tests/fakeapi/Store.h"
#include "tests/fakeapi/WatchHub.h"

#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <thread>

using namespace fakeapi;

namespace {

const ResourceInfo& nodes() { return *findResource("", "v1", "nodes"); }
const ResourceInfo& leases() { return *findResource("coordination.k8s.io", "v1", "leases"); }
const ResourceInfo& csrs() { return csrResource(); }

json node(const std::string& name, json labels = json::object()) { return {{"metadata", {{"name", name}, {"labels", labels}}}}; }

Selector none(const ResourceInfo& r) { return Selector::parse("", "", r); }

// Collects watch lines; ends the watch after `maxLines` or when told.
class TestSink : public WatchSink {
 public:
  explicit TestSink(size_t maxLines = 1000) : max_(maxLines) {}
  void begin() override { began = true; }
  bool write(const std::string& line) override {
    std::lock_guard<std::mutex> g(mu_);
    lines_.push_back(json::parse(line));
    return lines_.size() < max_;
  }
  bool clientGone() override { return gone.load(); }
  std::vector<json> lines() {
    std::lock_guard<std::mutex> g(mu_);
    return lines_;
  }
  std::atomic<bool> gone{false};
  bool began = false;

 private:
  std::mutex mu_;
  std::vector<json> lines_;
  size_t max_;
};

template <class F>
bool eventually(F f, int ms = 3000) {
  for (int i = 0; i < ms / 10; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return f();
}

}  // namespace

TEST_CASE("create assigns metadata - AlreadyExists - generateName") {
  Store s;
  auto a = s.create(nodes(), "", node("n1"));
  CHECK((*a)["metadata"]["resourceVersion"] == "2");
  CHECK((*a)["metadata"]["uid"].get<std::string>().size() == 36);
  CHECK((*a)["metadata"]["creationTimestamp"].is_string());
  CHECK((*a)["kind"] == "Node");
  try {
    s.create(nodes(), "", node("n1"));
    FAIL("expected AlreadyExists");
  } catch (const ApiError& e) {
    CHECK(e.code() == 409);
    CHECK(e.reason() == "AlreadyExists");
    CHECK(std::string(e.what()) == "nodes \"n1\" already exists");
  }
  auto g = s.create(csrs(), "", json{{"metadata", {{"generateName", "csr-"}}}});
  std::string name = (*g)["metadata"]["name"];
  CHECK(name.rfind("csr-", 0) == 0);
  CHECK(name.size() == 9);
  auto l = s.create(leases(), "ns1", json{{"metadata", {{"name", "l"}}}});
  CHECK((*l)["metadata"]["namespace"] == "ns1");
  CHECK_NOTHROW(s.create(leases(), "ns2", json{{"metadata", {{"name", "l"}}}}));
}

TEST_CASE("update: optimistic concurrency and immutable metadata") {
  Store s;
  auto a = s.create(nodes(), "", node("n1"));
  std::string rv = (*a)["metadata"]["resourceVersion"];
  auto b = s.update(nodes(), "", "n1", rv, [](const json& cur) {
    json n = cur;
    n["metadata"]["labels"]["x"] = "y";
    n["metadata"]["uid"] = "forged";
    return n;
  });
  CHECK((*b)["metadata"]["labels"]["x"] == "y");
  CHECK((*b)["metadata"]["uid"] == (*a)["metadata"]["uid"]);
  CHECK(std::stoull((*b)["metadata"]["resourceVersion"].get<std::string>()) > std::stoull(rv));
  try {
    s.update(nodes(), "", "n1", rv, [](const json& c) { return c; });
    FAIL("expected Conflict");
  } catch (const ApiError& e) {
    CHECK(e.code() == 409);
    CHECK(e.reason() == "Conflict");
    CHECK(std::string(e.what()).find("the object has been modified") != std::string::npos);
  }
  CHECK_NOTHROW(s.update(nodes(), "", "n1", "", [](const json& c) { return c; }));
  CHECK_THROWS_AS(s.update(nodes(), "", "missing", "", [](const json& c) { return c; }), ApiError);
  auto gone = s.remove(nodes(), "", "n1");
  CHECK((*gone)["metadata"]["name"] == "n1");
  CHECK_THROWS_WITH_AS(s.get(nodes(), "", "n1"), "nodes \"n1\" not found", ApiError);
}

TEST_CASE("list: selectors and consistent pagination") {
  Store s;
  for (int i = 0; i < 7; ++i) s.create(nodes(), "", node("n" + std::to_string(i), {{"role", i % 2 ? "odd" : "even"}}));
  CHECK(s.list(nodes(), "", Selector::parse("role=odd", "", nodes()), 0, "").items.size() == 3);
  CHECK(s.list(nodes(), "", Selector::parse("role!=odd", "", nodes()), 0, "").items.size() == 4);
  CHECK(s.list(nodes(), "", Selector::parse("role", "", nodes()), 0, "").items.size() == 7);
  CHECK(s.list(nodes(), "", Selector::parse("!role", "", nodes()), 0, "").items.empty());
  CHECK(s.list(nodes(), "", Selector::parse("", "metadata.name=n3", nodes()), 0, "").items.size() == 1);
  CHECK(s.list(nodes(), "", Selector::parse("", "metadata.name!=n3", nodes()), 0, "").items.size() == 6);
  CHECK_THROWS_AS(Selector::parse("", "spec.signerName=x", nodes()), ApiError);
  CHECK_NOTHROW(Selector::parse("", "spec.signerName=x", csrs()));
  CHECK_THROWS_AS(Selector::parse("a in (b)", "", nodes()), ApiError);

  auto p1 = s.list(nodes(), "", none(nodes()), 3, "");
  CHECK(p1.items.size() == 3);
  CHECK(p1.remaining == 4);
  REQUIRE_FALSE(p1.cont.empty());
  s.create(nodes(), "", node("n99"));  // not in the snapshot the pages come from
  auto p2 = s.list(nodes(), "", none(nodes()), 3, p1.cont);
  auto p3 = s.list(nodes(), "", none(nodes()), 3, p2.cont);
  CHECK(p2.items.size() == 3);
  CHECK(p3.items.size() == 1);
  CHECK(p3.cont.empty());
  CHECK(p2.rv == p1.rv);
  CHECK_THROWS_AS(s.list(nodes(), "", none(nodes()), 3, "bm90LWpzb24="), ApiError);
  auto q1 = s.list(nodes(), "", none(nodes()), 2, "");
  s.compact();
  try {
    s.list(nodes(), "", none(nodes()), 2, q1.cont);
    FAIL("expected 410");
  } catch (const ApiError& e) {
    CHECK(e.code() == 410);
    CHECK(e.reason() == "Expired");
  }
}

TEST_CASE("history window and compaction decide which resourceVersions can be watched") {
  Store s(3);
  for (int i = 0; i < 5; ++i) s.create(nodes(), "", node("n" + std::to_string(i)));
  auto lk = s.lock();
  std::vector<Event> ev;
  CHECK(s.eventsSinceLocked(s.currentRvLocked() - 3, ev));
  CHECK(ev.size() == 3);
  ev.clear();
  CHECK_FALSE(s.eventsSinceLocked(1, ev));
  lk.unlock();
  s.compact();
  lk.lock();
  CHECK_FALSE(s.eventsSinceLocked(s.currentRvLocked() - 1, ev));
  CHECK(s.eventsSinceLocked(s.currentRvLocked(), ev));
}

TEST_CASE("state survives a save/load round trip and resourceVersions keep increasing") {
  Store a;
  a.create(nodes(), "", node("n1"));
  a.create(leases(), "ns", json{{"metadata", {{"name", "l"}}}});
  uint64_t rv = a.currentRv();
  Store b;
  b.loadState(json::parse(a.saveState().dump()));
  CHECK(b.currentRv() == rv);
  CHECK(b.objectCount() == 2);
  CHECK_NOTHROW(b.get(leases(), "ns", "l"));
  auto n = b.create(nodes(), "", node("n2"));
  CHECK(std::stoull((*n)["metadata"]["resourceVersion"].get<std::string>()) == rv + 1);
  auto lk = b.lock();
  std::vector<Event> ev;
  CHECK(b.eventsSinceLocked(rv - 1, ev));  // history is kept too
}

TEST_CASE("watch: initial state, later changes, selectors, bookmarks, timeout") {
  Store s;
  s.create(nodes(), "", node("a", {{"k", "v"}}));
  s.create(nodes(), "", node("b"));
  WatchHub hub(s, 1);
  WatchSpec spec;
  spec.resource = &nodes();
  spec.selector = Selector::parse("k=v", "", nodes());
  spec.allowBookmarks = true;
  spec.timeoutSeconds = 2;
  TestSink sink;
  std::thread t([&] { hub.serve(spec, sink); });
  CHECK(eventually([&] { return sink.lines().size() == 1; }));
  s.create(nodes(), "", node("c", {{"k", "v"}}));
  s.create(nodes(), "", node("d"));
  s.update(nodes(), "", "a", "", [](const json& c) {
    json n = c;
    n["metadata"]["labels"] = json::object();
    return n;
  });
  t.join();
  auto lines = sink.lines();
  REQUIRE(lines.size() >= 4);
  CHECK(lines[0]["type"] == "ADDED");
  CHECK(lines[0]["object"]["metadata"]["name"] == "a");
  CHECK(lines[1]["object"]["metadata"]["name"] == "c");
  CHECK(lines[2]["type"] == "DELETED");  // a stopped matching the selector
  CHECK(lines[2]["object"]["metadata"]["name"] == "a");
  CHECK(lines.back()["type"] == "BOOKMARK");  // sent at timeout
  CHECK(lines.back()["object"]["metadata"]["resourceVersion"] == std::to_string(s.currentRv()));
}

TEST_CASE("watch: resume from a resourceVersion, 410 when too old, ERROR when falling behind") {
  Store s(2);
  auto a = s.create(nodes(), "", node("a"));
  WatchHub hub(s, 60);
  WatchSpec spec;
  spec.resource = &nodes();
  spec.timeoutSeconds = 1;
  spec.resourceVersion = (*a)["metadata"]["resourceVersion"];
  s.create(nodes(), "", node("b"));
  {
    TestSink sink;
    hub.serve(spec, sink);
    auto lines = sink.lines();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0]["object"]["metadata"]["name"] == "b");
  }
  s.create(nodes(), "", node("c"));
  s.create(nodes(), "", node("d"));
  {
    TestSink sink;
    try {
      hub.serve(spec, sink);
      FAIL("expected 410");
    } catch (const ApiError& e) {
      CHECK(e.code() == 410);
      CHECK(e.reason() == "Expired");
      CHECK(std::string(e.what()).find("too old resource version") != std::string::npos);
    }
    CHECK_FALSE(sink.began);
  }
  {
    spec.resourceVersion = std::to_string(s.currentRv());
    spec.timeoutSeconds = 5;
    TestSink sink;
    hub.silence(1);  // hold events back until the window has moved past this watch
    std::thread t([&] { hub.serve(spec, sink); });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (int i = 0; i < 4; ++i) s.create(nodes(), "", node("x" + std::to_string(i)));
    t.join();
    auto lines = sink.lines();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0]["type"] == "ERROR");
    CHECK(lines[0]["object"]["code"] == 410);
  }
}

TEST_CASE("watch faults: dropAll ends open watches - silence holds events and bookmarks") {
  Store s;
  WatchHub hub(s, 1);
  WatchSpec spec;
  spec.resource = &nodes();
  spec.allowBookmarks = true;
  spec.timeoutSeconds = 30;
  TestSink sink;
  std::thread t([&] { hub.serve(spec, sink); });
  CHECK(eventually([&] { return hub.openWatches() == 1; }));
  hub.silence(2);
  s.create(nodes(), "", node("quiet"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK(sink.lines().empty());
  CHECK(eventually([&] { return !sink.lines().empty(); }, 3000));
  CHECK(sink.lines()[0]["object"]["metadata"]["name"] == "quiet");
  hub.dropAll();
  t.join();
  CHECK(hub.openWatches() == 0);
}

TEST_CASE("watch ends when the client goes away") {
  Store s;
  WatchHub hub(s, 60);
  WatchSpec spec;
  spec.resource = &nodes();
  spec.timeoutSeconds = 30;
  TestSink sink;
  std::thread t([&] { hub.serve(spec, sink); });
  CHECK(eventually([&] { return hub.openWatches() == 1; }));
  sink.gone = true;
  t.join();
  CHECK(hub.openWatches() == 0);
}

TEST_CASE("watch faults: silenceOpen mutes the open watches of one resource for good, new watches and other resources go on") {
  Store s;
  WatchHub hub(s, 1);
  auto watchOf = [](const ResourceInfo& r) {
    WatchSpec spec;
    spec.resource = &r;
    spec.allowBookmarks = true;
    spec.timeoutSeconds = 30;
    return spec;
  };
  const WatchSpec nodeWatch = watchOf(nodes()), leaseWatch = watchOf(leases());
  TestSink muted, lease;
  std::jthread mutedThread([&] { hub.serve(nodeWatch, muted); });
  std::jthread leaseThread([&] { hub.serve(leaseWatch, lease); });
  REQUIRE(eventually([&] { return hub.openWatches() == 2; }));
  CHECK(hub.silenceOpen("nodes") == 1);
  const size_t mutedBefore = muted.lines().size();

  TestSink fresh;
  std::jthread freshThread([&] { hub.serve(nodeWatch, fresh); });
  s.create(nodes(), "", node("after"));
  // The new watch gets the event and, a bookmark interval later, a bookmark: by then the muted
  // watch would have had both.
  auto sawBookmarkAfterEvent = [](TestSink& sink) {
    bool event = false;
    for (const auto& l : sink.lines()) {
      if (l["type"] == "ADDED" && l["object"]["metadata"]["name"] == "after") event = true;
      if (event && l["type"] == "BOOKMARK") return true;
    }
    return false;
  };
  REQUIRE(eventually([&] { return sawBookmarkAfterEvent(fresh); }, 5000));
  CHECK(muted.lines().size() == mutedBefore);
  CHECK(eventually([&] { return !lease.lines().empty() && lease.lines().back()["type"] == "BOOKMARK"; }));
  CHECK(hub.silenceOpen("") == 3);  // every open watch, whatever its resource

  muted.gone = true;
  fresh.gone = true;
  lease.gone = true;
  mutedThread.join();
  freshThread.join();
  leaseThread.join();
  CHECK(hub.openWatches() == 0);
}

TEST_CASE("watch faults: expireOpen ends the open watches of one resource with an in-stream 410, new watches go on") {
  Store s;
  WatchHub hub(s, 60);
  WatchSpec nodeWatch;
  nodeWatch.resource = &nodes();
  nodeWatch.timeoutSeconds = 30;
  WatchSpec leaseWatch = nodeWatch;
  leaseWatch.resource = &leases();
  TestSink expiring, lease;
  std::thread expiringThread([&] { hub.serve(nodeWatch, expiring); });
  std::thread leaseThread([&] { hub.serve(leaseWatch, lease); });
  REQUIRE(eventually([&] { return hub.openWatches() == 2; }));
  CHECK(hub.expireOpen("nodes") == 1);
  expiringThread.join();
  auto lines = expiring.lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["type"] == "ERROR");
  CHECK(lines[0]["object"]["code"] == 410);
  CHECK(lines[0]["object"]["reason"] == "Expired");
  CHECK(hub.openWatches() == 1);
  s.create(leases(), "kube-system", node("l1"));
  CHECK(eventually([&] { return lease.lines().size() == 1; }));
  lease.gone = true;
  leaseThread.join();
}
