// Both transports against a real TLS server: verification, client certificates, tokens, incremental
// streaming, idle timeout and prompt cancellation; then the Beast transport's connection pool.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "Fakes.h"
#include "TlsTestServer.h"
#include "k8sclient/HttpTransport.h"
#include "k8sclient/KubeClient.h"
#include "k8sclient/WatchStream.h"

using namespace k8s;
using namespace std::chrono_literals;
using k8stest::TestPki;
using k8stest::TlsTestServer;

namespace {
TestPki& pki() {
  static TestPki p;
  return p;
}

struct BeastClient {
  static constexpr HttpClient kind = HttpClient::Beast;
};
struct CpprestClient {
  static constexpr HttpClient kind = HttpClient::Cpprest;
};

template <typename T = BeastClient>
RestConfig configFor(int port, const std::string& host = "127.0.0.1") {
  RestConfig c;
  c.httpClient = T::kind;
  c.server = "https://" + host + ":" + std::to_string(port);
  c.caPem = TestPki::read(pki().caCrt);
  c.token = "sekret-token";
  return c;
}

HttpRequest get(const std::string& path) { return HttpRequest{"GET", path, {{"Accept", "application/json"}}, ""}; }

TransportError::Kind failureKind(HttpTransport& t, const std::string& path) {
  try {
    t.send(get(path), {});
  } catch (const TransportError& e) {
    return e.kind();
  }
  FAIL("request unexpectedly succeeded");
  return TransportError::Kind::Io;
}
}  // namespace

TYPE_TO_STRING(BeastClient);
TYPE_TO_STRING(CpprestClient);

TEST_CASE_TEMPLATE("TLS: trusted CA bearer token and user agent", T, BeastClient, CpprestClient) {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeTransport(configFor<T>(server.port()));
  HttpResponse r = t->send(get("/ok"), {});
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.body.find("\"/ok\"") != std::string::npos);
  auto seen = server.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].authorization == "Bearer sekret-token");
  CHECK(seen[0].userAgent.rfind("csr-operator/", 0) == 0);

  auto viaName = makeTransport(configFor<T>(server.port(), "localhost"));
  CHECK(viaName->send(get("/ok"), {}).status == 200);
}

TEST_CASE("TLS: with a CA configured, connections do not load the system CA bundle") {
  // cpprest loads OpenSSL's default CA file into every new connection before our callback replaces
  // the store; with a CA configured that file is pointed at nothing (about 140 certificate parses
  // and 2 MB of heap per connection otherwise). Verification itself is covered by the cases around.
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeCpprestTransport(configFor<CpprestClient>(server.port()));
  CHECK(t->send(get("/ok"), {}).status == 200);
  const char* file = std::getenv("SSL_CERT_FILE");
  REQUIRE(file != nullptr);
  CHECK(std::string(file) == "/dev/null");
}

TEST_CASE_TEMPLATE("TLS: a server signed by another CA is refused", T, BeastClient, CpprestClient) {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  RestConfig c = configFor<T>(server.port());
  c.caPem = TestPki::read(pki().otherCaCrt);
  auto t = makeTransport(c);
  CHECK(failureKind(*t, "/ok") == TransportError::Kind::Tls);
  CHECK(server.seen().empty());
}

TEST_CASE_TEMPLATE("TLS: hostname mismatch is refused - tls-server-name selects the expected name", T, BeastClient, CpprestClient) {
  TlsTestServer server(pki().wrongNameCrt, pki().wrongNameKey);
  auto t = makeTransport(configFor<T>(server.port()));
  CHECK(failureKind(*t, "/ok") == TransportError::Kind::Tls);
  RestConfig c = configFor<T>(server.port());
  c.tlsServerName = "other.example";
  CHECK(makeTransport(c)->send(get("/ok"), {}).status == 200);
}

TEST_CASE_TEMPLATE("TLS: client certificate from memory is presented - without one the server refuses", T, BeastClient, CpprestClient) {
  TlsTestServer server(pki().serverCrt, pki().serverKey, pki().caCrt);
  RestConfig c = configFor<T>(server.port());
  c.token.clear();
  c.clientCertPem = TestPki::read(pki().clientCrt);
  c.clientKeyPem = TestPki::read(pki().clientKey);
  auto t = makeTransport(c);
  CHECK(t->send(get("/ok"), {}).status == 200);
  auto seen = server.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].clientCn == "admin");
  CHECK(seen[0].authorization.empty());

  auto anonymous = makeTransport(configFor<T>(server.port()));
  CHECK_THROWS_AS(anonymous->send(get("/ok"), {}), TransportError);
}

TEST_CASE_TEMPLATE("transport: connection refused is a Connect error", T, BeastClient, CpprestClient) {
  int port;
  {
    TlsTestServer s(pki().serverCrt, pki().serverKey);
    port = s.port();
  }
  auto t = makeTransport(configFor<T>(port));
  CHECK(failureKind(*t, "/ok") == TransportError::Kind::Connect);
}

TEST_CASE_TEMPLATE("transport: non-2xx answers are returned with headers and the client retries 429", T, BeastClient, CpprestClient) {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeTransport(configFor<T>(server.port()));
  HttpResponse r = t->send(get("/status/429"), {});
  CHECK(r.status == 429);
  CHECK(r.header("retry-after") == "1");
  ClientOptions o;
  o.maxRetries = 1;
  KubeClient client(t, o);
  auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(client.requestJson("GET", "/status/429"), ApiError);
  CHECK(std::chrono::steady_clock::now() - start >= 900ms);
}

TEST_CASE_TEMPLATE("transport: a body over kMaxResponseBodyBytes fails the request - with or without Content-Length", T, BeastClient,
                   CpprestClient) {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeTransport(configFor<T>(server.port()));
  const std::string mib = std::to_string(kMaxResponseBodyBytes / (1024 * 1024));
  CHECK(t->send(get("/big?mib=1&chunked=1"), {}).body.size() == 1024 * 1024 + 1);
  for (const std::string& path : {"/big?mib=" + mib, "/big?chunked=1&mib=" + mib}) {
    CAPTURE(path);
    try {
      t->send(get(path), {});
      FAIL("an oversized body was accepted");
    } catch (const TransportError& e) {
      CHECK(e.kind() == TransportError::Kind::Io);
      CHECK(std::string(e.what()).find("kMaxResponseBodyBytes") != std::string::npos);
    }
  }
  CHECK(t->send(get("/ok"), {}).status == 200);
}

TEST_CASE_TEMPLATE("stream: a line over kMaxStreamLineBytes without a newline drops the stream", T, BeastClient, CpprestClient) {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeTransport(configFor<T>(server.port()));
  int n = 0;
  try {
    // The server goes silent after the line: without the bound this would end only as Timeout.
    t->stream(get("/longline?mib=" + std::to_string(kMaxStreamLineBytes / (1024 * 1024))), [&](std::string_view) { ++n; }, 20s, {});
    FAIL("an endless line was accepted");
  } catch (const TransportError& e) {
    CHECK(e.kind() == TransportError::Kind::Io);
    CHECK(std::string(e.what()).find("kMaxStreamLineBytes") != std::string::npos);
  }
  CHECK(n == 0);
  CHECK(t->send(get("/ok"), {}).status == 200);
}

TEST_CASE_TEMPLATE("stream: lines arrive as they are sent", T, BeastClient, CpprestClient) {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeTransport(configFor<T>(server.port()));
  std::vector<std::chrono::steady_clock::duration> at;
  std::vector<std::string> lines;
  auto start = std::chrono::steady_clock::now();
  HttpResponse r = t->stream(get("/stream?n=3&ms=400"),
                             [&](std::string_view l) {
                               at.push_back(std::chrono::steady_clock::now() - start);
                               lines.emplace_back(l);
                             },
                             10s, {});
  CHECK(r.status == 200);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].back() == '\n');
  CHECK(lines[2].find("\"o2\"") != std::string::npos);
  CHECK(at[0] < 350ms);
  CHECK(at[2] >= 700ms);
}

TEST_CASE_TEMPLATE("stream: a silent stream ends with Timeout after the idle deadline", T, BeastClient, CpprestClient) {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeTransport(configFor<T>(server.port()));
  int n = 0;
  auto start = std::chrono::steady_clock::now();
  try {
    t->stream(get("/stall"), [&](std::string_view) { ++n; }, 1s, {});
    FAIL("stream should not end normally");
  } catch (const TransportError& e) {
    CHECK(e.kind() == TransportError::Kind::Timeout);
  }
  CHECK(n == 1);
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= 900ms);
  CHECK(took < 5s);
}

TEST_CASE_TEMPLATE("stream: stop_token cancels an open stream within one second", T, BeastClient, CpprestClient) {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeTransport(configFor<T>(server.port()));
  std::stop_source ss;
  std::atomic<int> n{0};
  std::chrono::steady_clock::time_point stoppedAt;
  std::jthread stopper([&] {
    while (n.load() == 0) std::this_thread::sleep_for(5ms);
    std::this_thread::sleep_for(200ms);
    stoppedAt = std::chrono::steady_clock::now();
    ss.request_stop();
  });
  try {
    t->stream(
        get("/stall"), [&](std::string_view) { ++n; }, 60s, ss.get_token());
    FAIL("stream should have been cancelled");
  } catch (const TransportError& e) {
    CHECK(e.kind() == TransportError::Kind::Cancelled);
  }
  CHECK(std::chrono::steady_clock::now() - stoppedAt < 1s);
  // The transport stays usable after a cancelled stream.
  CHECK(t->send(get("/ok"), {}).status == 200);
}

// A stop can come between two asynchronous steps of a call (connect, handshake, write, read): the
// cancel it posts then finds nothing to cancel, and the next step must not start. The delays sweep
// the whole call, so some stops land in those gaps; each call must end as Cancelled, at once.
TEST_CASE_TEMPLATE("stream: a stop requested at any moment of a call ends it as Cancelled, never as a hang", T, BeastClient,
                   CpprestClient) {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeTransport(configFor<T>(server.port()));
  int cancelled = 0;
  constexpr int kCalls = 300;
  for (int i = 0; i < kCalls; ++i) {
    CAPTURE(i);
    std::stop_source ss;
    std::chrono::steady_clock::time_point stoppedAt;
    std::jthread stopper([&] {
      std::this_thread::sleep_for(std::chrono::microseconds(13 * i));
      stoppedAt = std::chrono::steady_clock::now();
      ss.request_stop();
    });
    try {
      t->stream(
          get("/stall"), [](std::string_view) {}, 5s, ss.get_token());
      FAIL("stream should have been cancelled");
    } catch (const TransportError& e) {
      CHECK(e.kind() == TransportError::Kind::Cancelled);
      cancelled += e.kind() == TransportError::Kind::Cancelled;
    }
    stopper.join();
    REQUIRE(std::chrono::steady_clock::now() - stoppedAt < 2s);
  }
  CHECK(cancelled == kCalls);
}

TEST_CASE_TEMPLATE("transport: a stop ends a write the server does not read, within one second", T, BeastClient, CpprestClient) {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeTransport(configFor<T>(server.port()));
  // Far more than the sockets on both sides buffer: the writer has to wait for the server.
  const HttpRequest put{"PUT", "/unread", {{"Content-Type", "application/json"}}, std::string(64 * 1024 * 1024, ' ')};
  std::stop_source ss;
  std::chrono::steady_clock::time_point stoppedAt;
  // The stop comes once the server has read the request's head, so the body is being written.
  std::jthread stopper([&] {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (server.seen().empty() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    stoppedAt = std::chrono::steady_clock::now();
    ss.request_stop();
  });
  try {
    t->send(put, ss.get_token());
    FAIL("the write should have been cancelled");
  } catch (const TransportError& e) {
    CHECK_MESSAGE(e.kind() == TransportError::Kind::Cancelled, std::string(e.what()));
  }
  stopper.join();
  CHECK(std::chrono::steady_clock::now() - stoppedAt < 1s);
  const auto seen = server.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].requestLine == "PUT /unread HTTP/1.1");
}

TEST_CASE_TEMPLATE("watch over TLS: events decoded as they arrive ERROR 410 drops the open stream at once", T, BeastClient, CpprestClient) {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeTransport(configFor<T>(server.port()));
  ClientOptions o;
  KubeClient client(t, o);
  WatchStream ws(client, ResourceRef::of<CertificateSigningRequest>(), {});
  std::vector<std::string> names;
  auto start = std::chrono::steady_clock::now();
  WatchResult r = ws.run("1", 60s, 30s, [&](const WatchEvent& e) { names.push_back(e.object["metadata"]["name"].get<std::string>()); }, {});
  CHECK(std::chrono::steady_clock::now() - start < 3s);
  CHECK(r.end == WatchResult::End::Gone);
  CHECK(r.errorEvent);
  CHECK(r.lastResourceVersion == "2");
  CHECK(names == std::vector<std::string>{"o0", "o1"});
  auto seen = server.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].requestLine.find("watch=1") != std::string::npos);
  CHECK(seen[0].requestLine.find("resourceVersion=1") != std::string::npos);
  CHECK(t->send(get("/ok"), {}).status == 200);
}

TEST_CASE_TEMPLATE("transport: plain http is spoken when the server URL says http", T, BeastClient, CpprestClient) {
  TlsTestServer server{TlsTestServer::PlainHttp{}};
  RestConfig c = configFor<T>(server.port());
  c.server = "http://127.0.0.1:" + std::to_string(server.port());
  c.caPem.clear();
  HttpResponse r = makeTransport(c)->send(get("/ok"), {});
  CHECK(r.status == 200);
  CHECK(r.body.find("\"/ok\"") != std::string::npos);
}

TEST_CASE_TEMPLATE("transport: a server URL with a path sends every request below it", T, BeastClient, CpprestClient) {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  RestConfig c = configFor<T>(server.port());
  c.server += "/k8s/clusters/c-1";
  CHECK(makeTransport(c)->send(get("/ok"), {}).status == 200);
  auto seen = server.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].requestLine == "GET /k8s/clusters/c-1/ok HTTP/1.1");
}

namespace {
// The server ends connections in its own threads; waits, with a deadline, until it has ended n.
bool serverClosed(const TlsTestServer& server, int n) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (server.closedConnections() < n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

HttpRequest put(const std::string& path) { return HttpRequest{"PUT", path, {}, R"({"kind":"X"})"}; }
}  // namespace

TEST_CASE("beast transport: kept-alive connections are reused") {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeBeastTransport(configFor(server.port()));
  for (int i = 0; i < 3; ++i) CHECK(t->send(get("/keep"), {}).status == 200);
  CHECK(t->send(put("/keep"), {}).status == 200);
  CHECK(server.seen().size() == 4);
  CHECK(server.connections() == 1);
}

TEST_CASE("beast transport: a connection the server closed while idle is not reused - GET and PUT both succeed") {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeBeastTransport(configFor(server.port()));
  CHECK(t->send(get("/keep?close=1"), {}).status == 200);
  REQUIRE(serverClosed(server, 1));
  CHECK(t->send(put("/keep?close=1"), {}).status == 200);
  REQUIRE(serverClosed(server, 2));
  CHECK(t->send(put("/keep"), {}).status == 200);
  CHECK(server.connections() == 3);
  CHECK(server.seen().size() == 3);
}

TEST_CASE("beast transport: a kept-alive connection closed under a request - a GET is sent again and a PUT fails as Io") {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeBeastTransport(configFor(server.port()));
  CHECK(t->send(get("/keep?dropnext=1"), {}).status == 200);
  HttpResponse again = t->send(get("/keep"), {});
  CHECK(again.status == 200);
  CHECK(server.connections() == 2);

  CHECK(t->send(get("/keep?dropnext=1"), {}).status == 200);
  try {
    t->send(put("/keep"), {});
    FAIL("a PUT the server may have seen was reported as answered");
  } catch (const TransportError& e) {
    CHECK(e.kind() == TransportError::Kind::Io);
    CHECK(std::string(e.what()).find("closed by the server before it answered") != std::string::npos);
  }
  // Only the requests the server answered are in its log: the dropped GET was sent once more.
  CHECK(server.seen().size() == 3);
  CHECK(t->send(put("/keep"), {}).status == 200);
}

TEST_CASE("beast transport: a refused server certificate is explained") {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  RestConfig c = configFor(server.port());
  c.caPem = TestPki::read(pki().otherCaCrt);
  try {
    makeBeastTransport(c)->send(get("/ok"), {});
    FAIL("a server signed by another CA was accepted");
  } catch (const TransportError& e) {
    CHECK(e.kind() == TransportError::Kind::Tls);
    CHECK(std::string(e.what()).find("unable to get local issuer certificate") != std::string::npos);
  }
  TlsTestServer wrongName(pki().wrongNameCrt, pki().wrongNameKey);
  try {
    makeBeastTransport(configFor(wrongName.port()))->send(get("/ok"), {});
    FAIL("a certificate for another name was accepted");
  } catch (const TransportError& e) {
    CHECK(e.kind() == TransportError::Kind::Tls);
    CHECK(std::string(e.what()).find("IP address mismatch") != std::string::npos);
  }
}

TEST_CASE("beast transport: a server URL that is not http(s)://host[:port] is refused when the transport is made") {
  RestConfig c = configFor(443);
  for (const char* bad : {"https://user@host:6443", "https://[::1:6443", "https://host:99999", "https://host:6a", "ftp://host"}) {
    CAPTURE(bad);
    c.server = bad;
    CHECK_THROWS_AS(makeBeastTransport(c), std::invalid_argument);
  }
  c.server = "https://[::1]:6443";
  CHECK_NOTHROW(makeBeastTransport(c));
}

TEST_CASE_TEMPLATE("stream: a refused watch returns its status and body - with a Content-Length", T, BeastClient, CpprestClient) {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeTransport(configFor<T>(server.port()));
  int lines = 0;
  HttpResponse r = t->stream(get("/status/500"), [&](std::string_view) { ++lines; }, 10s, {});
  CHECK(r.status == 500);
  CHECK(r.header("retry-after") == "1");
  CHECK(r.body == R"({"kind":"Status","code":500})");
  CHECK(lines == 0);
}

TEST_CASE("beast transport: a pooled connection to a named server keeps no resolver thread") {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeBeastTransport(configFor(server.port(), "localhost"));
  const auto threads = [] {
    return std::distance(std::filesystem::directory_iterator("/proc/self/task"), std::filesystem::directory_iterator());
  };
  const auto before = threads();
  CHECK(t->send(get("/keep"), {}).status == 200);
  CHECK(t->send(get("/keep"), {}).status == 200);
  CHECK(server.connections() == 1);
  // The one thread more is the test server's, serving the kept-alive connection.
  CHECK(threads() == before + 1);
}
