#include <doctest/doctest.h>

#include "Fakes.h"
#include "k8sclient/KubeClient.h"

using namespace k8s;
using namespace std::chrono_literals;
using k8stest::FakeClock;
using k8stest::FakeTransport;
using nlohmann::json;

namespace {
struct Fixture {
  std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();
  std::vector<std::pair<std::string, int>> calls;
  KubeClient client{transport, options()};
  ClientOptions options() {
    ClientOptions o;
    o.qps = 0;
    o.maxRetries = 3;
    o.backoff = {100ms, 1000ms, 0.0};
    o.clock = clock;
    o.onRequest = [this](std::string verb, int code) { calls.emplace_back(std::move(verb), code); };
    return o;
  }
};

std::string csrBody(const std::string& name, const std::string& rv) {
  return json{{"apiVersion", "certificates.k8s.io/v1"},
              {"kind", "CertificateSigningRequest"},
              {"metadata", {{"name", name}, {"resourceVersion", rv}}},
              {"spec", {{"signerName", "example.com/s"}}}}
      .dump();
}
const char* kNotFound = R"({"kind":"Status","code":404,"reason":"NotFound","message":"nope"})";
const char* kConflict = R"({"kind":"Status","code":409,"reason":"Conflict","message":"the object has been modified"})";

// A 409 answer to the write fails it as an ApiError that names Conflict.
template <class Write>
void checkConflictFails(Fixture& f, Write write) {
  f.transport->queueSend(409, kConflict);
  try {
    write();
    FAIL("expected ApiError");
  } catch (const ApiError& e) {
    CHECK(e.status().reason == "Conflict");
  }
}
}  // namespace

TEST_CASE("resource paths") {
  auto csr = ResourceRef::of<CertificateSigningRequest>();
  CHECK(KubeClient::resourcePath(csr) == "/apis/certificates.k8s.io/v1/certificatesigningrequests");
  CHECK(KubeClient::resourcePath(csr, "ignored", "a", "approval") == "/apis/certificates.k8s.io/v1/certificatesigningrequests/a/approval");
  CHECK(KubeClient::resourcePath(ResourceRef::of<Node>(), "", "n1") == "/api/v1/nodes/n1");
  CHECK(KubeClient::resourcePath(ResourceRef::of<Lease>(), "kube-system", "l") ==
        "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/l");
  CHECK(KubeClient::resourcePath(ResourceRef::of<Event>()) == "/api/v1/events");
  CHECK(KubeClient::urlEncode("spec.signerName=kubernetes.io/kubelet-serving") == "spec.signerName%3Dkubernetes.io%2Fkubelet-serving");
}

TEST_CASE("get decodes the object - 404 is a typed NotFound") {
  Fixture f;
  f.transport->queueSend(200, csrBody("a", "5"));
  auto csr = f.client.get<CertificateSigningRequest>("a");
  CHECK(csr.metadata.resourceVersion == "5");
  CHECK(f.transport->requests[0].method == "GET");
  CHECK(f.transport->requests[0].path == "/apis/certificates.k8s.io/v1/certificatesigningrequests/a");

  f.transport->queueSend(404, kNotFound);
  try {
    f.client.get<CertificateSigningRequest>("b");
    FAIL("expected ApiError");
  } catch (const ApiError& e) {
    CHECK(isNotFound(e));
    CHECK(e.status().message == "nope");
  }
  CHECK(f.calls == std::vector<std::pair<std::string, int>>{{"get", 200}, {"get", 404}});
}

TEST_CASE("list sends selectors and pagination - listAll follows continue") {
  Fixture f;
  f.transport->queueSend(200, R"({"kind":"CertificateSigningRequestList","metadata":{"resourceVersion":"10","continue":"tok1"},"items":[)" +
                                  csrBody("a", "3") + "]}");
  f.transport->queueSend(200, R"({"metadata":{"resourceVersion":"10"},"items":[)" + csrBody("b", "4") + "," + csrBody("c", "5") + "]}");
  ListOptions o;
  o.fieldSelector = "spec.signerName=kubernetes.io/kubelet-serving";
  o.labelSelector = "a=b";
  o.limit = 1;
  std::string rv;
  auto all = f.client.listAll<CertificateSigningRequest>(o, "", &rv);
  REQUIRE(all.size() == 3);
  CHECK(all[2].metadata.name == "c");
  CHECK(rv == "10");
  CHECK(
      f.transport->requests[0].path ==
      "/apis/certificates.k8s.io/v1/certificatesigningrequests?labelSelector=a%3Db&fieldSelector=spec.signerName%3Dkubernetes.io%2Fkubelet-serving&limit=1");
  CHECK(f.transport->requests[1].path.find("continue=tok1") != std::string::npos);

  f.transport->queueSend(200, R"({"metadata":{"resourceVersion":"11","continue":"x"},"items":[]})");
  auto page = f.client.list<Node>();
  CHECK(page.continueToken == "x");
  CHECK(page.resourceVersion == "11");
  CHECK(page.items.empty());
}

TEST_CASE("create update updateSubresource remove use the right verbs and paths") {
  Fixture f;
  Lease l;
  l.metadata.name = "lock";
  l.metadata.namespace_ = "kube-system";
  l.holderIdentity = "me";
  f.transport->onSend = [](const HttpRequest& r) {
    if (r.method == "DELETE") return k8stest::respond(200, R"({"kind":"Status","status":"Success"})");
    json b = json::parse(r.body);
    b["metadata"]["resourceVersion"] = "2";
    return k8stest::respond(r.method == "POST" ? 201 : 200, b.dump());
  };
  Lease created = f.client.create(l);
  CHECK(created.metadata.resourceVersion == "2");
  CHECK(f.transport->requests[0].method == "POST");
  CHECK(f.transport->requests[0].path == "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases");
  CHECK(json::parse(f.transport->requests[0].body)["spec"]["holderIdentity"] == "me");
  bool hasJson = false;
  for (auto& [k, v] : f.transport->requests[0].headers)
    if (k == "Content-Type" && v == "application/json") hasJson = true;
  CHECK(hasJson);

  f.client.update(created);
  CHECK(f.transport->requests[1].method == "PUT");
  CHECK(f.transport->requests[1].path == "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/lock");

  CertificateSigningRequest csr = json::parse(csrBody("c1", "7")).get<CertificateSigningRequest>();
  f.client.updateSubresource(csr, "approval");
  CHECK(f.transport->requests[2].path == "/apis/certificates.k8s.io/v1/certificatesigningrequests/c1/approval");
  CHECK(json::parse(f.transport->requests[2].body)["metadata"]["resourceVersion"] == "7");

  f.client.remove<CertificateSigningRequest>("c1");
  CHECK(f.transport->requests[3].method == "DELETE");
}

TEST_CASE("writeSubresource PUTs like updateSubresource, takes a 2xx answer undecoded and throws ApiError on a refusal") {
  Fixture f;
  CertificateSigningRequest csr = json::parse(csrBody("c1", "7")).get<CertificateSigningRequest>();
  csr.status.certificate = "PEM";
  // An answer updateSubresource could not decode: writeSubresource does not read it.
  f.transport->queueSend(200, "not json");
  f.client.writeSubresource(csr, "status");
  REQUIRE(f.transport->requests.size() == 1);
  CHECK(f.transport->requests[0].method == "PUT");
  CHECK(f.transport->requests[0].path == "/apis/certificates.k8s.io/v1/certificatesigningrequests/c1/status");
  CHECK(json::parse(f.transport->requests[0].body)["metadata"]["resourceVersion"] == "7");
  f.transport->queueSend(200, "not json");
  CHECK_THROWS_AS(f.client.updateSubresource(csr, "status"), ApiError);

  checkConflictFails(f, [&] { f.client.writeSubresource(csr, "status"); });
}

TEST_CASE("writeSubresourceVersion PUTs like updateSubresource and returns only the answer's top-level metadata.resourceVersion") {
  Fixture f;
  CertificateSigningRequest csr = json::parse(csrBody("c1", "7")).get<CertificateSigningRequest>();
  // What comes after the version is not read: not even the broken end of this answer.
  f.transport->queueSend(200, R"({"kind":"CertificateSigningRequest","metadata":{"name":"c1","annotations":{"resourceVersion":"1"},)"
                              R"("managedFields":[{"resourceVersion":"2"}],"resourceVersion":"8"},"spec":{"resourceVersion":"3")");
  CHECK(f.client.writeSubresourceVersion(csr, "approval") == "8");
  REQUIRE(f.transport->requests.size() == 1);
  CHECK(f.transport->requests[0].method == "PUT");
  CHECK(f.transport->requests[0].path == "/apis/certificates.k8s.io/v1/certificatesigningrequests/c1/approval");
  CHECK(json::parse(f.transport->requests[0].body)["metadata"]["resourceVersion"] == "7");

  // A version anywhere but directly in the top-level metadata is not the object's.
  for (const char* answer :
       {R"({"spec":{"metadata":{"resourceVersion":"9"}}})", R"({"metadata":{"resourceVersion":9}})", R"({"metadata":"resourceVersion"})",
        R"({"metadata":{"resourceVersion":""}})", R"([{"metadata":{"resourceVersion":"9"}}])", "not json", ""}) {
    CAPTURE(answer);
    f.transport->queueSend(200, answer);
    CHECK_THROWS_AS(f.client.writeSubresourceVersion(csr, "approval"), ApiError);
  }
  checkConflictFails(f, [&] { f.client.writeSubresourceVersion(csr, "approval"); });
}

TEST_CASE("remove with preconditions sends DeleteOptions with the uid and resourceVersion, 409 is not retried") {
  Fixture f;
  f.transport->queueSend(
      409,
      R"({"kind":"Status","code":409,"reason":"Conflict","message":"Precondition failed: UID in precondition: u1, UID in object meta: u2"})");
  CHECK_THROWS_AS(f.client.remove<CertificateSigningRequest>("c1", DeletePreconditions{"u1", "42"}), ApiError);
  REQUIRE(f.transport->requests.size() == 1);
  const auto& sent = f.transport->requests[0];
  CHECK(sent.method == "DELETE");
  CHECK(sent.path == "/apis/certificates.k8s.io/v1/certificatesigningrequests/c1");
  const json body = json::parse(sent.body);
  CHECK(body["kind"] == "DeleteOptions");
  CHECK(body["preconditions"] == json{{"uid", "u1"}, {"resourceVersion", "42"}});
}

TEST_CASE("forEachListPage with maxPageBytes probes with a small page, then sizes pages by the objects' average size") {
  Fixture f;
  auto page = [](int items, std::size_t itemBytes, const std::string& cont) {
    json list = {{"metadata", {{"resourceVersion", "5"}, {"continue", cont}}}, {"items", json::array()}};
    for (int i = 0; i < items; ++i)
      list["items"].push_back({{"metadata", {{"name", "c" + std::to_string(i)}}}, {"pad", std::string(itemBytes, 'x')}});
    return list.dump();
  };
  f.transport->queueSend(200, page(4, 100 * 1000, "a"));  // ~100 kB objects: 10 fit in a megabyte
  f.transport->queueSend(200, page(10, 100 * 1000, "b"));
  f.transport->queueSend(200, page(1, 100 * 1000, ""));
  ListOptions o;
  o.limit = 500;
  o.maxPageBytes = 1000 * 1000;
  std::size_t seen = 0;
  f.client.forEachListPage(ResourceRef::of<CertificateSigningRequest>(), o, "", [&](JsonList&& p) { seen += p.items.size(); });
  CHECK(seen == 15);
  REQUIRE(f.transport->requests.size() == 3);
  CHECK(f.transport->requests[0].path.find("limit=4") != std::string::npos);
  CHECK(f.transport->requests[1].path.find("limit=9") != std::string::npos);  // 1 MB / ~100 kB, rounded down
  CHECK(f.transport->requests[2].path.find("limit=9") != std::string::npos);

  // Small objects go back to full pages at once.
  f.transport->requests.clear();
  f.transport->queueSend(200, page(4, 10, "a"));
  f.transport->queueSend(200, page(1, 10, ""));
  f.client.forEachListPage(ResourceRef::of<CertificateSigningRequest>(), o, "", [](JsonList&&) {});
  REQUIRE(f.transport->requests.size() == 2);
  CHECK(f.transport->requests[1].path.find("limit=500") != std::string::npos);
}

TEST_CASE("409 on update is a Conflict and is not retried") {
  Fixture f;
  f.transport->queueSend(409, kConflict);
  auto csr = json::parse(csrBody("c1", "1")).get<CertificateSigningRequest>();
  CHECK_THROWS_AS(f.client.update(csr), ApiError);
  CHECK(f.transport->requests.size() == 1);
}

TEST_CASE("GET retries 5xx and transport errors with backoff then succeeds") {
  Fixture f;
  f.transport->queueSend(500, "oops");
  f.transport->queueSend([](const HttpRequest&) -> HttpResponse { throw TransportError(TransportError::Kind::Io, "connection reset"); });
  f.transport->queueSend(503, "busy");
  f.transport->queueSend(200, csrBody("a", "1"));
  CHECK(f.client.get<CertificateSigningRequest>("a").metadata.name == "a");
  CHECK(f.transport->requests.size() == 4);
  REQUIRE(f.clock->sleeps.size() == 3);
  CHECK(f.clock->sleeps[0] == std::chrono::duration_cast<Clock::duration>(100ms));
  CHECK(f.clock->sleeps[1] == std::chrono::duration_cast<Clock::duration>(200ms));
  CHECK(f.clock->sleeps[2] == std::chrono::duration_cast<Clock::duration>(400ms));
  CHECK(f.calls[1] == std::pair<std::string, int>{"get", 0});
}

TEST_CASE("GET gives up after maxRetries") {
  Fixture f;
  f.transport->onSend = [](const HttpRequest&) { return k8stest::respond(500, "down"); };
  try {
    f.client.get<Node>("n");
    FAIL("expected ApiError");
  } catch (const ApiError& e) {
    CHECK(isServerError(e));
  }
  CHECK(f.transport->requests.size() == 4);
}

TEST_CASE("writes are not retried on 5xx or after the request may have been sent") {
  Fixture f;
  f.transport->queueSend(500, "oops");
  CertificateSigningRequest csr;
  csr.metadata.name = "x";
  CHECK_THROWS_AS(f.client.create(csr), ApiError);
  CHECK(f.transport->requests.size() == 1);

  f.transport->queueSend([](const HttpRequest&) -> HttpResponse { throw TransportError(TransportError::Kind::Io, "broken pipe"); });
  CHECK_THROWS_AS(f.client.create(csr), TransportError);
  CHECK(f.transport->requests.size() == 2);
}

TEST_CASE("writes are retried when the connection was never made") {
  Fixture f;
  f.transport->queueSend(
      [](const HttpRequest&) -> HttpResponse { throw TransportError(TransportError::Kind::Connect, "connection refused"); });
  f.transport->queueSend(201, csrBody("x", "1"));
  CertificateSigningRequest csr;
  csr.metadata.name = "x";
  CHECK(f.client.create(csr).metadata.resourceVersion == "1");
  CHECK(f.transport->requests.size() == 2);
}

TEST_CASE("429 honours Retry-After for every verb") {
  Fixture f;
  f.transport->queueSend(429, R"({"kind":"Status","code":429,"reason":"TooManyRequests"})", {{"retry-after", "3"}});
  f.transport->queueSend(201, csrBody("x", "1"));
  CertificateSigningRequest csr;
  csr.metadata.name = "x";
  f.client.create(csr);
  REQUIRE(f.clock->sleeps.size() == 1);
  CHECK(f.clock->sleeps[0] == std::chrono::duration_cast<Clock::duration>(3s));
}

TEST_CASE("requestJson escape hatch") {
  Fixture f;
  f.transport->queueSend(200, R"({"major":"1","minor":"33"})");
  json v = f.client.requestJson("GET", "/version");
  CHECK(v["minor"] == "33");
  f.transport->queueSend(200, "not json");
  CHECK_THROWS_AS(f.client.requestJson("GET", "/version"), ApiError);
}

TEST_CASE("stop token aborts retry sleeps") {
  auto transport = std::make_shared<FakeTransport>();
  auto clock = std::make_shared<FakeClock>();
  std::stop_source ss;
  ClientOptions o;
  o.qps = 0;
  o.clock = clock;
  o.stop = ss.get_token();
  KubeClient client(transport, o);
  transport->onSend = [&](const HttpRequest&) {
    ss.request_stop();
    return k8stest::respond(500, "x");
  };
  CHECK_THROWS_AS(client.get<Node>("n"), TransportError);
  CHECK(transport->requests.size() == 1);
}

TEST_CASE("client rate limiter delays requests beyond the burst") {
  auto transport = std::make_shared<FakeTransport>();
  auto clock = std::make_shared<FakeClock>();
  ClientOptions o;
  o.qps = 5;
  o.burst = 2;
  o.clock = clock;
  KubeClient client(transport, o);
  transport->onSend = [](const HttpRequest&) { return k8stest::respond(200, "{}"); };
  for (int i = 0; i < 4; ++i) client.requestJson("GET", "/x");
  REQUIRE(clock->sleeps.size() == 2);
  CHECK(clock->sleeps[0] == std::chrono::duration_cast<Clock::duration>(200ms));
}

TEST_CASE("client options from a RestConfig") {
  RestConfig c;
  c.qps = 7;
  c.burst = 9;
  ClientOptions o = clientOptionsFor(c);
  CHECK(o.qps == 7);
  CHECK(o.burst == 9);
  CHECK(o.maxRetries == 5);
}
