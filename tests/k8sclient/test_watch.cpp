#include <doctest/doctest.h>

#include <thread>

#include "Fakes.h"
#include "k8sclient/WatchStream.h"

using namespace k8s;
using namespace std::chrono_literals;
using k8stest::FakeTransport;
using nlohmann::json;

namespace {
std::string ev(const std::string& type, const std::string& name, const std::string& rv) {
  return json{{"type", type}, {"object", {{"metadata", {{"name", name}, {"resourceVersion", rv}}}}}}.dump() + "\n";
}

struct WatchFixture {
  std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
  KubeClient client{transport, [] {
                      ClientOptions o;
                      o.qps = 0;
                      return o;
                    }()};
  WatchStream stream{client, ResourceRef::of<CertificateSigningRequest>(), {"", "spec.signerName=a/b", "", "", 0}};
  std::vector<std::pair<WatchEvent::Type, std::string>> seen;
  WatchResult run(const std::string& rv = "5", std::stop_token stop = {}) {
    return stream.run(
        rv, 300s, 30s, [this](const WatchEvent& e) { seen.emplace_back(e.type, e.object["metadata"].value("name", std::string())); }, stop);
  }
};
}  // namespace

TEST_CASE("decoder assembles lines from arbitrary pieces") {
  WatchDecoder d;
  std::vector<WatchEvent> out;
  auto sink = [&](WatchEvent&& e) { out.push_back(std::move(e)); };
  std::string two = ev("ADDED", "a", "1") + ev("MODIFIED", "a", "2");
  std::string line3 = ev("DELETED", "a", "3");
  d.feed(two, sink);
  CHECK(out.size() == 2);
  d.feed(line3.substr(0, 5), sink);
  d.feed(line3.substr(5, 10), sink);
  CHECK(out.size() == 2);
  d.feed(line3.substr(15), sink);
  REQUIRE(out.size() == 3);
  CHECK(out[2].type == WatchEvent::Type::Deleted);
  d.feed("\n\r\n", sink);
  CHECK(out.size() == 3);
  std::string last = ev("BOOKMARK", "", "9");
  d.feed(last.substr(0, last.size() - 1), sink);
  CHECK(out.size() == 3);
  d.finish(sink);
  REQUIRE(out.size() == 4);
  CHECK(out[3].type == WatchEvent::Type::Bookmark);
  CHECK_THROWS(d.feed("{\"type\":\"WHAT\",\"object\":{}}\n", sink));
  CHECK_THROWS(WatchDecoder::decodeLine("not json"));
  CHECK_THROWS(WatchDecoder::decodeLine("{\"object\":{}}"));
}

TEST_CASE("watch request path carries resourceVersion bookmarks timeout and selectors") {
  WatchFixture f;
  f.transport->onStream = [](const HttpRequest&, const std::function<void(std::string_view)>&, std::stop_token) {
    return k8stest::respond(200, "");
  };
  auto r = f.run("17");
  CHECK(r.end == WatchResult::End::Closed);
  CHECK(r.lastResourceVersion == "17");
  std::string p = f.transport->streams.at(0).path;
  CHECK(p.rfind("/apis/certificates.k8s.io/v1/certificatesigningrequests?", 0) == 0);
  CHECK(p.find("watch=1") != std::string::npos);
  CHECK(p.find("allowWatchBookmarks=true") != std::string::npos);
  CHECK(p.find("timeoutSeconds=300") != std::string::npos);
  CHECK(p.find("resourceVersion=17") != std::string::npos);
  CHECK(p.find("fieldSelector=spec.signerName%3Da%2Fb") != std::string::npos);
  CHECK(f.transport->lastIdle == 30s);
}

TEST_CASE("events are delivered as each piece arrives before the stream ends") {
  WatchFixture f;
  size_t seenWhenSecondPieceSent = 99;
  f.transport->onStream = [&](const HttpRequest&, const std::function<void(std::string_view)>& onLine, std::stop_token) {
    std::string a = ev("ADDED", "a", "6");
    onLine(a.substr(0, 7));
    onLine(a.substr(7));
    seenWhenSecondPieceSent = f.seen.size();
    std::string b = ev("MODIFIED", "a", "7") + ev("BOOKMARK", "", "8");
    onLine(b);
    return k8stest::respond(200, "");
  };
  auto r = f.run();
  CHECK(seenWhenSecondPieceSent == 1);
  REQUIRE(f.seen.size() == 3);
  CHECK(f.seen[2].first == WatchEvent::Type::Bookmark);
  CHECK(r.end == WatchResult::End::Closed);
  CHECK(r.lastResourceVersion == "8");
  CHECK(r.events == 3);
}

TEST_CASE("410 response and ERROR events end the watch as Gone or Error") {
  WatchFixture f;
  f.transport->queueStream([](const HttpRequest&, const std::function<void(std::string_view)>&, std::stop_token) {
    return k8stest::respond(410, R"({"kind":"Status","code":410,"reason":"Expired","message":"too old"})");
  });
  auto r = f.run();
  CHECK(r.end == WatchResult::End::Gone);
  CHECK(r.httpStatus == 410);
  CHECK_FALSE(r.errorEvent);

  f.transport->queueStream([](const HttpRequest&, const std::function<void(std::string_view)>& onLine, std::stop_token) {
    onLine(ev("ADDED", "x", "6"));
    onLine(R"j({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old resource version: 5 (9)"}})j"
           "\n");
    onLine(ev("ADDED", "never", "7"));
    return k8stest::respond(200, "");
  });
  r = f.run();
  CHECK(r.end == WatchResult::End::Gone);
  CHECK(r.errorEvent);
  CHECK(r.lastResourceVersion == "6");
  CHECK(f.seen.back().second == "x");

  f.transport->queueStream([](const HttpRequest&, const std::function<void(std::string_view)>& onLine, std::stop_token) {
    onLine(R"({"type":"ERROR","object":{"kind":"Status","code":500,"reason":"InternalError","message":"etcd"}})"
           "\n");
    return k8stest::respond(200, "");
  });
  r = f.run();
  CHECK(r.end == WatchResult::End::Error);
  CHECK(r.errorEvent);
  CHECK(r.httpStatus == 500);

  f.transport->queueStream([](const HttpRequest&, const std::function<void(std::string_view)>&, std::stop_token) {
    return k8stest::respond(429, R"({"kind":"Status","code":429})", {{"retry-after", "2"}});
  });
  r = f.run();
  CHECK(r.end == WatchResult::End::Error);
  CHECK(r.retryAfter == std::chrono::seconds(2));
}

TEST_CASE("idle timeout transport failure garbage and cancellation") {
  WatchFixture f;
  f.transport->queueStream([](const HttpRequest&, const std::function<void(std::string_view)>&, std::stop_token) -> HttpResponse {
    throw TransportError(TransportError::Kind::Timeout, "idle");
  });
  CHECK(f.run().end == WatchResult::End::IdleTimeout);

  f.transport->queueStream([](const HttpRequest&, const std::function<void(std::string_view)>&, std::stop_token) -> HttpResponse {
    throw TransportError(TransportError::Kind::Io, "reset");
  });
  CHECK(f.run().end == WatchResult::End::Error);

  f.transport->queueStream([](const HttpRequest&, const std::function<void(std::string_view)>& onLine, std::stop_token) {
    onLine("<html>\n");
    return k8stest::respond(200, "");
  });
  CHECK(f.run().end == WatchResult::End::Error);

  std::stop_source ss;
  f.transport->queueStream([&](const HttpRequest&, const std::function<void(std::string_view)>&, std::stop_token stop) -> HttpResponse {
    while (!stop.stop_requested()) std::this_thread::sleep_for(1ms);
    throw TransportError(TransportError::Kind::Cancelled, "cancelled");
  });
  std::jthread stopper([&] {
    std::this_thread::sleep_for(20ms);
    ss.request_stop();
  });
  CHECK(f.run("5", ss.get_token()).end == WatchResult::End::Cancelled);
}

TEST_CASE("decoder refuses a line longer than its limit whole or in pieces") {
  std::vector<WatchEvent> out;
  auto sink = [&](WatchEvent&& e) { out.push_back(std::move(e)); };
  std::string fits = ev("ADDED", "a", "1");
  WatchDecoder d(fits.size() - 1);
  d.feed(fits, sink);
  REQUIRE(out.size() == 1);
  CHECK_THROWS_WITH(d.feed(std::string(fits.size(), ' ') + "x\n", sink), doctest::Contains("longer than"));

  WatchDecoder pieces(fits.size() - 1);
  pieces.feed(fits.substr(0, 10), sink);
  pieces.feed(fits.substr(10, fits.size() - 11), sink);
  CHECK_THROWS_WITH(pieces.feed("xx", sink), doctest::Contains("kMaxStreamLineBytes"));
  CHECK(out.size() == 1);
}

TEST_CASE("a watch line past kMaxStreamLineBytes without a newline ends the watch as Error at once") {
  WatchFixture f;
  const std::string mib(1024 * 1024, 'x');
  size_t delivered = 0;
  f.transport->queueStream([&](const HttpRequest&, const std::function<void(std::string_view)>& onLine, std::stop_token) {
    onLine(ev("ADDED", "a", "6"));
    for (size_t i = 0; i < 64; ++i) {
      onLine(mib);
      ++delivered;
    }
    return k8stest::respond(200, "");
  });
  auto r = f.run();
  CHECK(r.end == WatchResult::End::Error);
  CHECK(r.message.find("kMaxStreamLineBytes") != std::string::npos);
  CHECK(delivered == kMaxStreamLineBytes / mib.size());
  CHECK(r.lastResourceVersion == "6");
}
