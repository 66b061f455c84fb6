// The client against the fake API server: kubeconfig, TLS, CRUD, and an informer that must end up
// equal to the server after dropped watches, 500s, 429s, compaction (410), silence and a restart.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "FakeCluster.h"
#include "Fakes.h"
#include "k8sclient/Informer.h"
#include "k8sclient/KubeConfigLoader.h"
#include "tests/support/TestPki.h"

using namespace k8s;
using namespace std::chrono_literals;
using itest::FakeCluster;
using nlohmann::json;

namespace {
std::string readFile(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One real PKCS#10 request (the fake validates it).
const std::string& requestPem() {
  static const std::string pem = testpki::makeCsr({.subject = {{"CN", "test"}}});
  return pem;
}

CertificateSigningRequest newCsr(const std::string& name) {
  CertificateSigningRequest c;
  c.metadata.name = name;
  c.spec.request = requestPem();
  c.spec.signerName = "example.com/test";
  c.spec.usages = {"client auth"};
  return c;
}

KubeClient adminClient(const FakeCluster& s, ClientOptions o = {}) {
  RestConfig cfg = loadKubeConfig(s.adminKubeconfig());
  o.qps = 0;
  return KubeClient(makeTransport(cfg), o);
}

ClientOptions noRetry() {
  ClientOptions o;
  o.qps = 0;
  o.maxRetries = 0;
  return o;
}

void fault(KubeClient& c, const json& f) { c.requestJson("POST", "/fake/faults", f); }

// Writes from the test retry injected failures so that the server state stays what the test expects.
template <class F>
auto retrying(F&& f) {
  for (int i = 0;; ++i) {
    try {
      return f();
    } catch (const ApiError& e) {
      if (i > 20 || !(isServerError(e) || isTooManyRequests(e))) throw;
    } catch (const TransportError&) {
      if (i > 20) throw;
    }
    std::this_thread::sleep_for(200ms);
  }
}
}  // namespace

TEST_CASE("fake-apiserver: kubeconfig CRUD selectors approval conflict delete") {
  FakeCluster server;
  KubeClient client = adminClient(server);
  auto created = client.create(newCsr("crud-1"));
  CHECK_FALSE(created.metadata.uid.empty());
  CHECK(created.spec.username == "admin");
  CHECK(created.spec.request == requestPem());

  auto got = client.get<CertificateSigningRequest>("crud-1");
  CHECK(got.metadata.resourceVersion == created.metadata.resourceVersion);

  ListOptions bySigner;
  bySigner.fieldSelector = "spec.signerName=example.com/test";
  CHECK(client.listAll<CertificateSigningRequest>(bySigner).size() == 1);
  bySigner.fieldSelector = "spec.signerName=example.com/other";
  CHECK(client.listAll<CertificateSigningRequest>(bySigner).empty());

  got.status.conditions.push_back({"Approved", "True", "Test", "approved by test", nowRfc3339(), nowRfc3339()});
  auto approved = client.updateSubresource(got, "approval");
  CHECK(hasCondition(approved, "Approved"));

  // got still carries the old resourceVersion.
  got.metadata.labels["x"] = "y";
  try {
    client.update(got);
    FAIL("stale update must conflict");
  } catch (const ApiError& e) {
    CHECK(isConflict(e));
  }

  client.remove<CertificateSigningRequest>("crud-1");
  try {
    client.get<CertificateSigningRequest>("crud-1");
    FAIL("expected NotFound");
  } catch (const ApiError& e) {
    CHECK(isNotFound(e));
  }

  for (int i = 0; i < 7; ++i) client.create(newCsr("page-" + std::to_string(i)));
  ListOptions paged;
  paged.limit = 3;
  auto first = client.list<CertificateSigningRequest>(paged);
  CHECK(first.items.size() == 3);
  CHECK_FALSE(first.continueToken.empty());
  CHECK(client.listAll<CertificateSigningRequest>(paged).size() == 7);
}

TEST_CASE("fake-apiserver: TLS verification and authentication") {
  std::string tokens = (std::filesystem::temp_directory_path() / ("k8sclient-tokens-" + std::to_string(getpid()))).string();
  std::ofstream(tokens) << "tok-alice-123,alice,uid-alice,\"system:masters\"\n";
  itest::ClusterOptions withTokens;
  withTokens.extraArgs = {"--tokens", tokens};
  FakeCluster server(withTokens);
  RestConfig admin = loadKubeConfig(server.adminKubeconfig());

  SUBCASE("client certificate") { CHECK(KubeClient(makeTransport(admin)).listAll<Node>().empty()); }
  SUBCASE("bearer token from a minted kubeconfig") {
    std::string kc = (server.dir() / "alice.kubeconfig").string();
    server.mint({"--token", "tok-alice-123", "--out", kc});
    RestConfig c = loadKubeConfig(kc);
    CHECK(c.clientCertPem.empty());
    CHECK(c.token == "tok-alice-123");
    KubeClient client(makeTransport(c));
    CHECK(client.create(newCsr("by-token")).spec.username == "alice");
  }
  SUBCASE("wrong token is Unauthorized") {
    RestConfig c = admin;
    c.clientCertPem.clear();
    c.clientKeyPem.clear();
    c.token = "nope";
    try {
      KubeClient(makeTransport(c)).listAll<Node>();
      FAIL("expected 401");
    } catch (const ApiError& e) {
      CHECK(isUnauthorized(e));
    }
  }
  SUBCASE("server signed by another CA is refused") {
    FakeCluster other;
    RestConfig c = admin;
    c.caPem = readFile((other.dir() / "pki" / "ca.crt").string());
    REQUIRE(c.caPem.find("BEGIN CERTIFICATE") != std::string::npos);
    REQUIRE(c.caPem != admin.caPem);
    try {
      KubeClient(makeTransport(c), noRetry()).listAll<Node>();
      FAIL("expected a TLS failure");
    } catch (const TransportError& e) {
      CHECK(e.kind() == TransportError::Kind::Tls);
    }
  }
  SUBCASE("hostname mismatch is refused") {
    RestConfig c = admin;
    c.tlsServerName = "not-the-server.example";
    try {
      KubeClient(makeTransport(c), noRetry()).listAll<Node>();
      FAIL("expected a TLS failure");
    } catch (const TransportError& e) {
      CHECK(e.kind() == TransportError::Kind::Tls);
    }
  }
  std::filesystem::remove(tokens);
}

TEST_CASE("fake-apiserver: informer stays equal to the server across faults exactly once and in order") {
  itest::ClusterOptions fastBookmarks;
  fastBookmarks.bookmarkIntervalSeconds = 1;
  FakeCluster server(fastBookmarks);
  KubeClient writer = adminClient(server);
  ClientOptions readerOpts;
  readerOpts.backoff = {50ms, 1000ms, 0.2};
  KubeClient reader = adminClient(server, readerOpts);

  InformerOptions io;
  io.watchTimeout = 20s;
  io.idleDeadline = 3s;
  io.backoff = {50ms, 1000ms, 0.2};
  Informer<CertificateSigningRequest> informer(reader, {}, io);
  std::mutex mu;
  std::map<std::string, std::vector<long long>> delivered;  // name -> resourceVersions seen, in order
  std::map<std::string, int> deletes;
  std::vector<std::string> problems;
  auto record = [&](const CertificateSigningRequest& c) {
    std::lock_guard l(mu);
    auto& v = delivered[c.metadata.name];
    long long rv = std::stoll(c.metadata.resourceVersion);
    if (!v.empty() && rv <= v.back())
      problems.push_back(c.metadata.name + " went from " + std::to_string(v.back()) + " to " + std::to_string(rv));
    v.push_back(rv);
  };
  informer.onAdd(record);
  informer.onUpdate([&](const CertificateSigningRequest& old, const CertificateSigningRequest& now) {
    if (old.metadata.resourceVersion == now.metadata.resourceVersion) {
      std::lock_guard l(mu);
      problems.push_back("update without change for " + now.metadata.name);
    }
    record(now);
  });
  informer.onDelete([&](const CertificateSigningRequest& c) {
    std::lock_guard l(mu);
    ++deletes[c.metadata.name];
  });

  for (int i = 0; i < 3; ++i) writer.create(newCsr("pre-" + std::to_string(i)));
  // The jthread's own stop source: leaving the test early (a failed REQUIRE) still stops and joins it.
  std::jthread runner([&](std::stop_token st) { informer.run(st); });
  for (int i = 0; i < 3000 && !informer.hasSynced(); ++i) std::this_thread::sleep_for(10ms);
  REQUIRE(informer.hasSynced());

  auto approve = [&](const std::string& name) {
    retrying([&] {
      auto c = writer.get<CertificateSigningRequest>(name);
      c.status.conditions.push_back({"Approved", "True", "Test", "ok", nowRfc3339(), nowRfc3339()});
      return writer.updateSubresource(c, "approval");
    });
  };
  auto create = [&](const std::string& name) { retrying([&] { return writer.create(newCsr(name)); }); };
  auto remove = [&](const std::string& name) {
    retrying([&] {
      writer.remove<CertificateSigningRequest>(name);
      return 0;
    });
  };

  for (int i = 0; i < 5; ++i) create("a-" + std::to_string(i));
  fault(writer, {{"dropWatches", true}});
  create("b-0");
  approve("a-0");
  fault(writer, {{"failNext", {{"count", 3}, {"code", 500}}}, {"dropWatches", true}});
  std::this_thread::sleep_for(1500ms);
  create("b-1");
  approve("a-1");
  fault(writer, {{"throttleNext", {{"count", 2}, {"retryAfter", 1}}}, {"dropWatches", true}});
  std::this_thread::sleep_for(1500ms);
  remove("pre-0");
  // Changes made while the watch is down and history is compacted: only a relist can see them.
  fault(writer, {{"failNext", {{"count", 2}, {"code", 503}}}, {"dropWatches", true}});
  remove("pre-1");
  create("c-0");
  fault(writer, {{"compact", true}});
  std::this_thread::sleep_for(2s);
  approve("a-2");
  uint64_t restartsBeforeSilence = informer.watchRestarts();
  fault(writer, {{"silenceWatches", 5}});
  create("d-0");
  std::this_thread::sleep_for(4500ms);
  CHECK(informer.watchRestarts() > restartsBeforeSilence);
  server.restart();
  create("e-0");
  remove("a-3");
  approve("a-4");

  std::map<std::string, std::string> expected;
  bool equal = false;
  for (int i = 0; i < 200 && !equal; ++i) {
    expected.clear();
    for (const auto& c : retrying([&] { return writer.listAll<CertificateSigningRequest>(); }))
      expected[c.metadata.name] = c.metadata.resourceVersion;
    std::map<std::string, std::string> cached;
    for (const auto& c : informer.list()) cached[c.metadata.name] = c.metadata.resourceVersion;
    equal = cached == expected;
    if (!equal) std::this_thread::sleep_for(100ms);
  }
  CHECK(equal);
  CHECK(expected.size() == 3 + 5 + 2 + 1 + 1 + 1 - 3);

  auto start = std::chrono::steady_clock::now();
  runner.request_stop();
  runner.join();
  CHECK(std::chrono::steady_clock::now() - start < 1s);

  std::lock_guard l(mu);
  for (const auto& p : problems) FAIL_CHECK(p);
  for (const auto& [name, rv] : expected) {
    INFO(name);
    REQUIRE(delivered.count(name));
    CHECK(std::to_string(delivered[name].back()) == rv);
    CHECK(deletes.count(name) == 0);
  }
  for (const char* gone : {"pre-0", "pre-1", "a-3"}) {
    INFO(gone);
    CHECK(deletes[gone] == 1);
  }
  CHECK(informer.watchRestarts() >= 5);
}

TEST_CASE("fake-apiserver: a restart keeps every create it acknowledged, even one answered while it stops") {
  // Found by the soak: the stop signal's snapshot raced the HTTP threads, and a create answered
  // after it was lost with the process.
  FakeCluster server;
  std::mutex mu;
  std::vector<std::string> acknowledged;
  std::atomic<bool> done{false};
  std::vector<std::jthread> writers;
  for (int w = 0; w < 4; ++w)
    writers.emplace_back([&, w] {
      KubeClient c = adminClient(server, noRetry());
      for (int i = 0; !done.load(); ++i) {
        const std::string name = "w" + std::to_string(w) + "-" + std::to_string(i);
        try {
          c.create(newCsr(name));
          std::lock_guard lock(mu);
          acknowledged.push_back(name);
        } catch (const std::exception&) {
          // Refused or cut off by the stop: not acknowledged, so not expected to survive.
        }
      }
    });
  const auto enough = [&] {
    std::lock_guard lock(mu);
    return acknowledged.size() >= 40;
  };
  REQUIRE(itest::eventually(enough, 10s));
  server.restart();  // while the writers keep creating
  done = true;
  writers.clear();
  KubeClient admin = adminClient(server);
  std::set<std::string> stored;
  for (const auto& c : retrying([&] { return admin.listAll<CertificateSigningRequest>(); })) stored.insert(c.metadata.name);
  std::vector<std::string> lost;
  for (const auto& name : acknowledged)
    if (!stored.count(name)) lost.push_back(name);
  CHECK_MESSAGE(lost.empty(), lost.size() << " acknowledged creates lost, first " << (lost.empty() ? "" : lost.front()));
}
