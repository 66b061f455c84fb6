#include <doctest/doctest.h>

#include <thread>

#include "Fakes.h"
#include "k8sclient/Informer.h"

using namespace k8s;
using namespace std::chrono_literals;
using k8stest::FakeTransport;
using nlohmann::json;

namespace {
json csr(const std::string& name, const std::string& rv) {
  return {{"apiVersion", "certificates.k8s.io/v1"},
          {"kind", "CertificateSigningRequest"},
          {"metadata", {{"name", name}, {"resourceVersion", rv}}},
          {"spec", {{"signerName", "example.com/s"}}}};
}

std::string listBody(const std::vector<json>& items, const std::string& rv) {
  json l = {{"kind", "CertificateSigningRequestList"}, {"metadata", {{"resourceVersion", rv}}}, {"items", items}};
  return l.dump();
}

std::string line(const std::string& type, const json& obj) { return json{{"type", type}, {"object", obj}}.dump() + "\n"; }

using Stream = FakeTransport::StreamFn;
Stream lines(std::vector<std::string> ls, int status = 200, std::string body = "") {
  return [=](const HttpRequest&, const std::function<void(std::string_view)>& onLine, std::stop_token) {
    for (const auto& l : ls) onLine(l);
    return k8stest::respond(status, body);
  };
}

struct InformerFixture {
  std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
  std::shared_ptr<k8stest::FakeClock> clock = std::make_shared<k8stest::FakeClock>();
  KubeClient client{transport, [this] {
                      ClientOptions o;
                      o.qps = 0;
                      o.clock = clock;
                      return o;
                    }()};
  Informer<CertificateSigningRequest> informer;
  std::vector<std::string> log;
  std::stop_source stop;

  explicit InformerFixture(InformerOptions options = {}) : informer(client, {}, std::move(options)) {
    informer.onAdd(
        [this](const CertificateSigningRequest& c) { log.push_back("add " + c.metadata.name + "@" + c.metadata.resourceVersion); });
    informer.onUpdate([this](const CertificateSigningRequest& o, const CertificateSigningRequest& n) {
      log.push_back("update " + n.metadata.name + " " + o.metadata.resourceVersion + "->" + n.metadata.resourceVersion);
    });
    informer.onDelete([this](const CertificateSigningRequest& c) { log.push_back("delete " + c.metadata.name); });
  }
  // Ends run() once every scripted watch has been consumed.
  void stopAfterScript() {
    transport->onStream = [this](const HttpRequest&, const std::function<void(std::string_view)>&, std::stop_token) {
      stop.request_stop();
      return k8stest::respond(200, "");
    };
  }
};
}  // namespace

TEST_CASE("relist diff: adds updates deletes against the cache") {
  InformerFixture f;
  auto& core = f.informer.core();
  core.replace({csr("a", "1"), csr("b", "2")}, "2");
  CHECK(f.log == std::vector<std::string>{"add a@1", "add b@2"});
  f.log.clear();
  core.replace({csr("a", "1"), csr("b", "5"), csr("c", "6")}, "6");
  CHECK(f.log == std::vector<std::string>{"update b 2->5", "add c@6"});
  f.log.clear();
  core.replace({csr("c", "6")}, "7");
  CHECK(f.log == std::vector<std::string>{"delete a", "delete b"});
  CHECK(f.informer.size() == 1);
  CHECK(core.lastResourceVersion() == "7");
}

TEST_CASE("watch events update the cache - repeats are ignored") {
  InformerFixture f;
  auto& core = f.informer.core();
  core.apply({WatchEvent::Type::Added, csr("a", "1")});
  core.apply({WatchEvent::Type::Added, csr("a", "1")});
  core.apply({WatchEvent::Type::Modified, csr("a", "2")});
  core.apply({WatchEvent::Type::Modified, csr("a", "2")});
  core.apply({WatchEvent::Type::Modified, csr("b", "3")});
  core.apply({WatchEvent::Type::Deleted, csr("a", "4")});
  core.apply({WatchEvent::Type::Deleted, csr("a", "4")});
  core.apply({WatchEvent::Type::Bookmark, {{"metadata", {{"resourceVersion", "9"}}}}});
  CHECK(f.log == std::vector<std::string>{"add a@1", "update a 1->2", "add b@3", "delete a"});
  CHECK(core.lastResourceVersion() == "9");
  CHECK(f.informer.get("b")->metadata.resourceVersion == "3");
  CHECK_FALSE(f.informer.get("a"));
}

TEST_CASE("a throwing handler does not stop delivery") {
  InformerFixture f;
  int calls = 0;
  f.informer.onAdd([&](const CertificateSigningRequest&) {
    ++calls;
    throw std::runtime_error("handler bug");
  });
  f.informer.core().apply({WatchEvent::Type::Added, csr("a", "1")});
  f.informer.core().apply({WatchEvent::Type::Added, csr("b", "2")});
  CHECK(calls == 2);
  CHECK(f.informer.size() == 2);
}

TEST_CASE("run: list watch resume from bookmark 410 relist ERROR relist delete while down") {
  InformerFixture f;
  auto& t = *f.transport;
  t.queueSend(200, listBody({csr("a", "1"), csr("b", "2")}, "2"));
  t.queueStream(lines({line("MODIFIED", csr("a", "3")), line("ADDED", csr("c", "4")),
                       line("BOOKMARK", {{"kind", "CertificateSigningRequest"}, {"metadata", {{"resourceVersion", "5"}}}})}));
  // Re-opened from the bookmark; the server repeats c@4, which must not be delivered again.
  t.queueStream(lines({line("ADDED", csr("c", "4"))}));
  t.queueStream(lines({}, 410, R"({"kind":"Status","code":410,"reason":"Expired"})"));
  // Relist: b was deleted and c changed while the watch was down; a unchanged; d new.
  t.queueSend(200, listBody({csr("a", "3"), csr("c", "6"), csr("d", "7")}, "7"));
  t.queueStream(lines({line("ERROR", {{"kind", "Status"}, {"code", 410}, {"reason", "Expired"}})}));
  t.queueSend(200, listBody({csr("a", "3"), csr("c", "6"), csr("d", "7")}, "8"));
  t.queueStream(lines({line("DELETED", csr("d", "9"))}));
  f.stopAfterScript();

  CHECK_FALSE(f.informer.hasSynced());
  f.informer.run(f.stop.get_token());

  CHECK(f.informer.hasSynced());
  CHECK(f.log ==
        std::vector<std::string>{"add a@1", "add b@2", "update a 1->3", "add c@4", "update c 4->6", "add d@7", "delete b", "delete d"});
  auto items = f.informer.list();
  REQUIRE(items.size() == 2);
  CHECK(items[0].metadata.name == "a");
  CHECK(items[1].metadata.name == "c");
  CHECK(f.informer.core().keys() == std::vector<std::string>{"a", "c"});

  REQUIRE(t.streams.size() == 6);
  CHECK(t.streams[0].path.find("resourceVersion=2") != std::string::npos);
  CHECK(t.streams[1].path.find("resourceVersion=5") != std::string::npos);
  CHECK(t.streams[2].path.find("resourceVersion=5") != std::string::npos);
  CHECK(t.streams[3].path.find("resourceVersion=7") != std::string::npos);
  CHECK(t.streams[4].path.find("resourceVersion=8") != std::string::npos);
  CHECK(t.streams[5].path.find("resourceVersion=9") != std::string::npos);
  CHECK(f.informer.watchRestarts() == 5);
  CHECK(t.requests.size() == 3);
  CHECK(t.requests[0].path.find("limit=500") != std::string::npos);
}

TEST_CASE("run: the initial list follows continue tokens page by page and watches from the list's resourceVersion") {
  InformerFixture f;
  auto& t = *f.transport;
  json first = json::parse(listBody({csr("a", "1"), csr("b", "2")}, "9"));
  first["metadata"]["continue"] = "page2";
  t.queueSend(200, first.dump());
  t.queueSend(200, listBody({csr("c", "3")}, "9"));
  f.stopAfterScript();
  f.informer.run(f.stop.get_token());

  CHECK(f.log == std::vector<std::string>{"add a@1", "add b@2", "add c@3"});
  CHECK(f.informer.size() == 3);
  REQUIRE(t.requests.size() == 2);
  CHECK(t.requests[1].path.find("continue=page2") != std::string::npos);
  CHECK(t.requests[1].path.find("resourceVersion=") == std::string::npos);
  REQUIRE(t.streams.size() == 1);
  CHECK(t.streams[0].path.find("resourceVersion=9") != std::string::npos);
}

TEST_CASE("run: list failures and watch errors back off Retry-After respected") {
  InformerFixture f;
  auto& t = *f.transport;
  t.queueSend([](const HttpRequest&) -> HttpResponse { throw TransportError(TransportError::Kind::Connect, "refused"); });
  for (int i = 0; i < 5; ++i)
    t.queueSend([](const HttpRequest&) -> HttpResponse { throw TransportError(TransportError::Kind::Connect, "refused"); });
  t.queueSend(200, listBody({csr("a", "1")}, "1"));
  t.queueStream(lines({}, 429, ""));
  t.queueStream([](const HttpRequest&, const std::function<void(std::string_view)>&, std::stop_token) -> HttpResponse {
    return k8stest::respond(429, R"({"kind":"Status","code":429})", {{"retry-after", "7"}});
  });
  t.queueStream([](const HttpRequest&, const std::function<void(std::string_view)>&, std::stop_token) -> HttpResponse {
    throw TransportError(TransportError::Kind::Timeout, "idle");
  });
  t.queueStream(lines({line("MODIFIED", csr("a", "2"))}));
  f.stopAfterScript();
  f.informer.run(f.stop.get_token());
  CHECK(f.log == std::vector<std::string>{"add a@1", "update a 1->2"});
  bool sawSeven = false;
  for (auto d : f.clock->sleeps) sawSeven |= d == std::chrono::duration_cast<k8s::Clock::duration>(7s);
  CHECK(sawSeven);
  // After the idle timeout the watch resumes from the last resourceVersion; no relist happened.
  CHECK(t.requests.size() == 7);
  CHECK(t.streams.back().path.find("resourceVersion=2") != std::string::npos);
}

TEST_CASE("run: a watch silent past idleDeadline is re-opened from the last bookmark, without a relist") {
  InformerOptions options;
  options.idleDeadline = 7s;
  InformerFixture f(options);
  auto& t = *f.transport;
  t.queueSend(200, listBody({csr("a", "1")}, "1"));
  // A bookmark moves the resume point, then the stream goes quiet until the transport gives up.
  t.queueStream([](const HttpRequest&, const std::function<void(std::string_view)>& onLine, std::stop_token) -> HttpResponse {
    onLine(line("BOOKMARK", {{"kind", "CertificateSigningRequest"}, {"metadata", {{"resourceVersion", "4"}}}}));
    throw TransportError(TransportError::Kind::Timeout, "no bytes for 7 s");
  });
  t.queueStream(lines({line("ADDED", csr("b", "5"))}));
  f.stopAfterScript();
  f.informer.run(f.stop.get_token());

  CHECK(t.lastIdle == 7s);
  CHECK(f.log == std::vector<std::string>{"add a@1", "add b@5"});
  CHECK(t.requests.size() == 1);
  REQUIRE(t.streams.size() == 3);
  CHECK(t.streams[1].path.find("resourceVersion=4") != std::string::npos);
  // Re-opened at once: a dead stream is not a server error to back off from.
  CHECK(f.clock->sleeps.empty());
  CHECK(f.informer.watchRestarts() == 2);
}

TEST_CASE("run stops promptly when cancelled during an open watch") {
  InformerFixture f;
  f.transport->queueSend(200, listBody({}, "1"));
  f.transport->onStream = [](const HttpRequest&, const std::function<void(std::string_view)>&, std::stop_token stop) -> HttpResponse {
    while (!stop.stop_requested()) std::this_thread::sleep_for(1ms);
    throw TransportError(TransportError::Kind::Cancelled, "cancelled");
  };
  std::jthread runner([&] { f.informer.run(f.stop.get_token()); });
  for (int i = 0; i < 1000 && !f.informer.hasSynced(); ++i) std::this_thread::sleep_for(1ms);
  CHECK(f.informer.hasSynced());
  auto start = std::chrono::steady_clock::now();
  f.stop.request_stop();
  runner.join();
  CHECK(std::chrono::steady_clock::now() - start < 1s);
}

TEST_CASE("namespaced informer across all namespaces keys by namespace/name") {
  auto transport = std::make_shared<FakeTransport>();
  ClientOptions o;
  o.qps = 0;
  KubeClient client(transport, o);
  Informer<Lease> all(client);
  json l = {{"metadata", {{"name", "x"}, {"namespace", "ns1"}, {"resourceVersion", "1"}}}};
  all.core().apply({WatchEvent::Type::Added, l});
  CHECK(all.get("ns1/x"));
  InformerOptions io;
  io.ns = "ns1";
  Informer<Lease> one(client, {}, io);
  one.core().apply({WatchEvent::Type::Added, l});
  CHECK(one.get("x"));
}

namespace {
// A client on a transport nobody calls: for informers driven by replace() and apply().
struct UnusedClient {
  KubeClient client{std::make_shared<FakeTransport>(), [] {
                      ClientOptions o;
                      o.qps = 0;
                      return o;
                    }()};
};

}  // namespace

TEST_CASE("transform shapes what is cached and what handlers see on list and on watch") {
  UnusedClient unused;
  KubeClient& client = unused.client;
  InformerOptions options;
  options.transform = [](json& obj) { obj["spec"].erase("signerName"); };
  InformerCore core(client, ResourceRef::of<CertificateSigningRequest>(), {}, options);
  std::vector<std::string> seen;
  core.onAdd([&](const json& obj) { seen.push_back(obj["spec"].dump()); });
  core.onUpdate([&](const json&, const json& now) { seen.push_back(now["spec"].dump()); });
  core.replace({csr("a", "1")}, "1");
  core.apply({WatchEvent::Type::Added, csr("b", "2")});
  core.apply({WatchEvent::Type::Modified, csr("b", "3")});
  CHECK(seen == std::vector<std::string>{"{}", "{}", "{}"});
  CHECK(core.get("a")->at("spec") == json::object());
  CHECK(core.get("b")->at("spec") == json::object());
  CHECK(core.get("b")->at("metadata").at("resourceVersion") == "3");
  CHECK(core.lastResourceVersion() == "3");
}

TEST_CASE("onUpdateNew: an update from a watch, a relist or a listed page is handed over as its new state") {
  UnusedClient unused;
  for (const bool storeTransform : {false, true}) {
    CAPTURE(storeTransform);
    InformerOptions options;
    if (storeTransform) options.storeTransform = [](json& obj) { obj.erase("spec"); };
    InformerCore core(unused.client, ResourceRef::of<CertificateSigningRequest>(), {}, options);
    std::vector<std::string> seen;
    core.onAdd([&](const json& obj) { seen.push_back("add " + obj["metadata"]["resourceVersion"].get<std::string>()); });
    core.onUpdateNew([&](const json& now) {
      seen.push_back("update " + now["metadata"]["resourceVersion"].get<std::string>() + " " +
                     now["spec"]["signerName"].get<std::string>());
    });
    core.replace({csr("a", "1")}, "1");
    core.apply({WatchEvent::Type::Modified, csr("a", "2")});
    core.apply({WatchEvent::Type::Modified, csr("a", "2")});
    core.replace({csr("a", "3")}, "3");
    CHECK(seen == std::vector<std::string>{"add 1", "update 2 example.com/s", "update 3 example.com/s"});
  }
}

TEST_CASE("add and update handlers may take the object: the cache and the events after it are unaffected") {
  UnusedClient unused;
  for (const bool storeTransform : {false, true}) {
    CAPTURE(storeTransform);
    InformerOptions options;
    if (storeTransform) options.storeTransform = [](json& obj) { obj["spec"].erase("username"); };
    InformerCore core(unused.client, ResourceRef::of<CertificateSigningRequest>(), {}, options);
    std::vector<json> taken;
    std::vector<std::string> deleted;
    core.onAdd([&](json& obj) { taken.push_back(std::move(obj)); });
    core.onUpdateNew([&](json& now) { taken.push_back(std::move(now)); });
    core.onDelete([&](const json& obj) { deleted.push_back(obj["metadata"]["resourceVersion"].get<std::string>()); });
    core.replace({csr("a", "1")}, "1");
    core.apply({WatchEvent::Type::Added, csr("b", "2")});
    core.apply({WatchEvent::Type::Modified, csr("a", "3")});
    core.replace({csr("a", "4"), csr("b", "2")}, "4");
    core.apply({WatchEvent::Type::Deleted, csr("b", "5")});
    REQUIRE(taken.size() == 4);
    CHECK(taken[0] == csr("a", "1"));
    CHECK(taken[1] == csr("b", "2"));
    CHECK(taken[2] == csr("a", "3"));
    CHECK(taken[3] == csr("a", "4"));
    const auto a = core.get("a");
    REQUIRE(a);
    CHECK((*a)["metadata"]["resourceVersion"] == "4");
    CHECK((*a)["spec"]["signerName"] == "example.com/s");
    CHECK(deleted == std::vector<std::string>{"5"});
    CHECK(core.size() == 1);
  }
}

namespace {
json nodeObject(int i, const std::string& rv) {
  const std::string name = "worker-" + std::to_string(i);
  return {{"metadata", {{"name", name}, {"resourceVersion", rv}}},
          {"status",
           {{"addresses", json::array({{{"type", "InternalIP"}, {"address", "10.0.0." + std::to_string(i)}},
                                       {{"type", "Hostname"}, {"address", name}}})}}}};
}
}  // namespace

TEST_CASE("compressCache: reads, handlers and relists see the same objects, stored in a fraction of the bytes") {
  UnusedClient unused;
  KubeClient& client = unused.client;
  InformerOptions plainOptions, compressedOptions;
  compressedOptions.compressCache = true;
  InformerCore plain(client, ResourceRef::of<Node>(), {}, plainOptions);
  InformerCore compressed(client, ResourceRef::of<Node>(), {}, compressedOptions);
  std::vector<std::string> seen;
  compressed.onAdd([&](const json& obj) { seen.push_back("add " + obj.dump()); });
  compressed.onUpdate([&](const json& old, const json& now) { seen.push_back("update " + old.dump() + " " + now.dump()); });
  compressed.onDelete([&](const json& obj) { seen.push_back("delete " + obj.dump()); });

  std::vector<json> items;
  for (int i = 1; i <= 100; ++i) items.push_back(nodeObject(i, "1"));
  plain.replace(items, "1");
  compressed.replace(items, "1");
  CHECK(compressed.list() == plain.list());
  CHECK(compressed.get("worker-7") == std::optional<json>(nodeObject(7, "1")));
  CHECK(compressed.storedBytes() * 3 < plain.storedBytes());

  compressed.apply({WatchEvent::Type::Modified, nodeObject(7, "2")});
  compressed.apply({WatchEvent::Type::Deleted, nodeObject(8, "3")});
  compressed.replace({nodeObject(1, "4"), nodeObject(2, "1")}, "4");
  CHECK(compressed.get("worker-1") == std::optional<json>(nodeObject(1, "4")));
  CHECK(compressed.size() == 2);
  REQUIRE(seen.size() >= 103);
  CHECK(seen[0] == "add " + nodeObject(1, "1").dump());
  CHECK(seen[100] == "update " + nodeObject(7, "1").dump() + " " + nodeObject(7, "2").dump());
  CHECK(seen[101] == "delete " + nodeObject(8, "3").dump());
  CHECK(seen[102] == "update " + nodeObject(1, "1").dump() + " " + nodeObject(1, "4").dump());
  CHECK(seen.back() == "delete " + nodeObject(99, "1").dump());
}

TEST_CASE("storeTransform: handlers see whole objects on list, relist and watch, the cache keeps the stored form") {
  UnusedClient unused;
  KubeClient& client = unused.client;
  InformerOptions options;
  options.compressCache = true;
  options.storeTransform = [](json& obj) { obj.erase("status"); };
  InformerCore core(client, ResourceRef::of<Node>(), {}, options);
  std::vector<std::string> seen;
  core.onAdd([&](const json& obj) { seen.push_back("add " + obj.dump()); });
  core.onUpdate([&](const json& old, const json& now) { seen.push_back("update " + old.dump() + " " + now.dump()); });
  core.onDelete([&](const json& obj) { seen.push_back("delete " + obj.dump()); });
  const auto stored = [](int i, const std::string& rv) {
    json node = nodeObject(i, rv);
    node.erase("status");
    return node;
  };

  core.replace({nodeObject(1, "1"), nodeObject(2, "1"), nodeObject(3, "1")}, "1");
  CHECK(seen == std::vector<std::string>{"add " + nodeObject(1, "1").dump(), "add " + nodeObject(2, "1").dump(),
                                         "add " + nodeObject(3, "1").dump()});
  CHECK(core.get("worker-2") == std::optional<json>(stored(2, "1")));
  // Nothing but the name and resourceVersion: stored as no bytes, read back the same.
  CHECK(core.storedBytes() == 0);

  seen.clear();
  core.apply({WatchEvent::Type::Modified, nodeObject(2, "2")});
  core.apply({WatchEvent::Type::Added, nodeObject(4, "3")});
  CHECK(seen ==
        std::vector<std::string>{"update " + stored(2, "1").dump() + " " + nodeObject(2, "2").dump(), "add " + nodeObject(4, "3").dump()});
  CHECK(core.get("worker-4") == std::optional<json>(stored(4, "3")));

  // A relist: an unchanged object gets no call, a changed one its update with the whole object,
  // a missing one its delete with the stored form.
  seen.clear();
  core.replace({nodeObject(1, "1"), nodeObject(2, "5"), nodeObject(4, "3")}, "5");
  CHECK(seen ==
        std::vector<std::string>{"update " + stored(2, "2").dump() + " " + nodeObject(2, "5").dump(), "delete " + stored(3, "1").dump()});
  CHECK(core.size() == 3);
  CHECK(core.get("worker-2") == std::optional<json>(stored(2, "5")));

  // What is more than a name and a resourceVersion keeps its bytes.
  json deleting = nodeObject(5, "6");
  deleting["metadata"]["deletionTimestamp"] = "2026-12-03T00:00:00Z";
  core.apply({WatchEvent::Type::Added, deleting});
  deleting.erase("status");
  CHECK(core.get("worker-5") == std::optional<json>(deleting));
  CHECK(core.storedBytes() > 0);
}
