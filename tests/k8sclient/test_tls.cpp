// The cpprest transport against a real TLS server: verification, client certificates, tokens,
// incremental streaming, idle timeout and prompt cancellation.
#include <doctest/doctest.h>

#include <cstdlib>
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

RestConfig configFor(int port, const std::string& host = "127.0.0.1") {
  RestConfig c;
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

TEST_CASE("TLS: trusted CA bearer token and user agent") {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeCpprestTransport(configFor(server.port()));
  HttpResponse r = t->send(get("/ok"), {});
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.body.find("\"/ok\"") != std::string::npos);
  auto seen = server.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].authorization == "Bearer sekret-token");
  CHECK(seen[0].userAgent.rfind("csr-operator/", 0) == 0);

  auto viaName = makeCpprestTransport(configFor(server.port(), "localhost"));
  CHECK(viaName->send(get("/ok"), {}).status == 200);
}

TEST_CASE("TLS: with a CA configured, connections do not load the system CA bundle") {
  // cpprest loads OpenSSL's default CA file into every new connection before our callback replaces
  // the store; with a CA configured that file is pointed at nothing (about 140 certificate parses
  // and 2 MB of heap per connection otherwise). Verification itself is covered by the cases around.
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeCpprestTransport(configFor(server.port()));
  CHECK(t->send(get("/ok"), {}).status == 200);
  const char* file = std::getenv("SSL_CERT_FILE");
  REQUIRE(file != nullptr);
  CHECK(std::string(file) == "/dev/null");
}

TEST_CASE("TLS: a server signed by another CA is refused") {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  RestConfig c = configFor(server.port());
  c.caPem = TestPki::read(pki().otherCaCrt);
  auto t = makeCpprestTransport(c);
  CHECK(failureKind(*t, "/ok") == TransportError::Kind::Tls);
  CHECK(server.seen().empty());
}

TEST_CASE("TLS: hostname mismatch is refused - tls-server-name selects the expected name") {
  TlsTestServer server(pki().wrongNameCrt, pki().wrongNameKey);
  auto t = makeCpprestTransport(configFor(server.port()));
  CHECK(failureKind(*t, "/ok") == TransportError::Kind::Tls);
  RestConfig c = configFor(server.port());
  c.tlsServerName = "other.example";
  CHECK(makeCpprestTransport(c)->send(get("/ok"), {}).status == 200);
}

TEST_CASE("TLS: client certificate from memory is presented - without one the server refuses") {
  TlsTestServer server(pki().serverCrt, pki().serverKey, pki().caCrt);
  RestConfig c = configFor(server.port());
  c.token.clear();
  c.clientCertPem = TestPki::read(pki().clientCrt);
  c.clientKeyPem = TestPki::read(pki().clientKey);
  auto t = makeCpprestTransport(c);
  CHECK(t->send(get("/ok"), {}).status == 200);
  auto seen = server.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].clientCn == "admin");
  CHECK(seen[0].authorization.empty());

  auto anonymous = makeCpprestTransport(configFor(server.port()));
  CHECK_THROWS_AS(anonymous->send(get("/ok"), {}), TransportError);
}

TEST_CASE("transport: connection refused is a Connect error") {
  int port;
  {
    TlsTestServer s(pki().serverCrt, pki().serverKey);
    port = s.port();
  }
  auto t = makeCpprestTransport(configFor(port));
  CHECK(failureKind(*t, "/ok") == TransportError::Kind::Connect);
}

TEST_CASE("transport: non-2xx answers are returned with headers and the client retries 429") {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeCpprestTransport(configFor(server.port()));
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

TEST_CASE("transport: a body over kMaxResponseBodyBytes fails the request - with or without Content-Length") {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeCpprestTransport(configFor(server.port()));
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

TEST_CASE("stream: a line over kMaxStreamLineBytes without a newline drops the stream") {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeCpprestTransport(configFor(server.port()));
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

TEST_CASE("stream: lines arrive as they are sent") {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeCpprestTransport(configFor(server.port()));
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

TEST_CASE("stream: a silent stream ends with Timeout after the idle deadline") {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeCpprestTransport(configFor(server.port()));
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

TEST_CASE("stream: stop_token cancels an open stream within one second") {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeCpprestTransport(configFor(server.port()));
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

TEST_CASE("watch over TLS: events decoded as they arrive ERROR 410 drops the open stream at once") {
  TlsTestServer server(pki().serverCrt, pki().serverKey);
  auto t = makeCpprestTransport(configFor(server.port()));
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
