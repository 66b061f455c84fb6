#include "tests/fakeapi/Protobuf.h"
#include "tests/fakeapi/Router.h"
#include "tests/fakeapi/TestPki.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

using namespace fakeapi;
using fakeapi::testing::csrObject;
using fakeapi::testing::user;

namespace {

const char* kRbac = R"(
kind: ClusterRole
metadata: {name: approver}
rules:
- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], verbs: [get, list, watch]}
- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval, certificatesigningrequests/status], verbs: [update, patch]}
- {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve, sign], resourceNames: [example.com/allowed]}
---
kind: ClusterRoleBinding
metadata: {name: approver}
roleRef: {kind: ClusterRole, name: approver}
subjects: [{kind: User, name: operator}]
)";

struct Fixture {
  Store store;
  WatchHub hub{store, 60};
  Authorizer authz;
  Faults faults;
  Stats stats;
  Router router{store, hub, authz, faults, stats};
  UserInfo admin = user("admin", {"system:masters"});
  UserInfo node = user("system:node:n1", {"system:nodes"});
  UserInfo op = user("operator");

  Fixture() {
    authz.loadFile(std::string(FAKEAPI_SOURCE_DIR) + "/bootstrap-rbac.yaml");
    authz.loadYaml(kRbac);
  }
  RouteResult call(const std::string& method, const std::string& target, const std::optional<UserInfo>& u, const json& body = nullptr,
                   const std::string& contentType = "application/json", const std::string& accept = "") {
    Request r{method, target, body.is_null() ? "" : body.dump(), contentType, accept, u};
    return router.handle(r);
  }
  json ok(const std::string& method, const std::string& target, const std::optional<UserInfo>& u, const json& body = nullptr,
          int want = 200) {
    auto res = call(method, target, u, body);
    INFO(res.response.body);
    CHECK(res.response.status == want);
    return json::parse(res.response.body);
  }
};

const std::string kCsrs = "/apis/certificates.k8s.io/v1/certificatesigningrequests";

json approval(json obj, const std::string& type) {
  obj["status"]["conditions"].push_back({{"type", type}, {"status", "True"}, {"reason", "Test"}, {"message", "m"}});
  return obj;
}

}  // namespace

TEST_CASE("anonymous requests get 401 - discovery works for any authenticated user") {
  Fixture f;
  auto r = f.call("GET", "/api/v1", std::nullopt);
  CHECK(r.response.status == 401);
  CHECK(json::parse(r.response.body)["reason"] == "Unauthorized");
  json core = f.ok("GET", "/api/v1", f.node);
  bool nodeStatus = false;
  for (const auto& res : core["resources"]) nodeStatus |= res["name"] == "nodes/status";
  CHECK(nodeStatus);
  json certs = f.ok("GET", "/apis/certificates.k8s.io/v1", f.node);
  CHECK(certs["resources"][0]["name"] == "certificatesigningrequests");
  CHECK(certs["resources"][0]["shortNames"] == json({"csr"}));
  CHECK(certs["resources"][1]["name"] == "certificatesigningrequests/approval");
  CHECK(f.ok("GET", "/apis", f.node)["groups"].size() == 6);
  CHECK(f.ok("GET", "/version", f.node)["major"] == "1");
  CHECK(f.call("GET", "/openapi/v2", f.node).response.status == 404);
  CHECK(f.call("GET", "/openapi/v3", f.node).response.status == 404);
  CHECK(f.call("GET", "/apis/certificates.k8s.io/v1/widgets", f.admin).response.status == 404);
}

TEST_CASE("CSR lifecycle through the API: create, forbidden approve, approve, sign, delete") {
  Fixture f;
  json body = csrObject("node-csr", "kubernetes.io/kube-apiserver-client-kubelet", "system:node:n1", {"system:nodes"});
  body["spec"]["username"] = "someone-else";
  json created = f.ok("POST", kCsrs, f.node, body, 201);
  CHECK(created["spec"]["username"] == "system:node:n1");
  CHECK(created["spec"]["groups"] == json({"system:nodes", "system:authenticated"}));

  auto denied = f.call("PUT", kCsrs + "/node-csr/approval", f.node, approval(created, "Approved"));
  CHECK(denied.response.status == 403);
  CHECK(json::parse(denied.response.body)["message"] ==
        "certificatesigningrequests.certificates.k8s.io \"node-csr\" is forbidden: User \"system:node:n1\" cannot update "
        "resource \"certificatesigningrequests/approval\" in API group \"certificates.k8s.io\" at the cluster scope");

  auto noSigner = f.call("PUT", kCsrs + "/node-csr/approval", f.op, approval(created, "Approved"));
  CHECK(noSigner.response.status == 403);
  CHECK(json::parse(noSigner.response.body)["message"] ==
        "certificatesigningrequests.certificates.k8s.io \"node-csr\" is forbidden: user not permitted to approve requests "
        "with signerName \"kubernetes.io/kube-apiserver-client-kubelet\"");

  json approved = f.ok("PUT", kCsrs + "/node-csr/approval", f.admin, approval(created, "Approved"));
  CHECK(approved["status"]["conditions"][0]["lastUpdateTime"].is_string());

  auto stale = f.call("PUT", kCsrs + "/node-csr/approval", f.admin, approval(created, "Approved"));
  CHECK(stale.response.status == 409);
  CHECK(json::parse(stale.response.body)["reason"] == "Conflict");

  auto both = f.call("PUT", kCsrs + "/node-csr/approval", f.admin, approval(approved, "Denied"));
  CHECK(both.response.status == 422);
  json st = json::parse(both.response.body);
  CHECK(st["reason"] == "Invalid");
  CHECK(st["details"]["causes"][0]["field"] == "status.conditions[1].type");

  json withCert = approved;
  withCert["status"]["certificate"] = base64Encode(fakeapi::testing::selfSignedCertPem("system:node:n1"));
  json issued = f.ok("PUT", kCsrs + "/node-csr/status", f.admin, withCert);
  CHECK(issued["status"]["certificate"] == withCert["status"]["certificate"]);
  withCert["metadata"]["resourceVersion"] = issued["metadata"]["resourceVersion"];
  withCert["status"]["certificate"] = base64Encode(fakeapi::testing::selfSignedCertPem("other"));
  CHECK(f.call("PUT", kCsrs + "/node-csr/status", f.admin, withCert).response.status == 422);

  f.ok("DELETE", kCsrs + "/node-csr", f.admin);
  CHECK(f.call("GET", kCsrs + "/node-csr", f.admin).response.status == 404);
}

TEST_CASE("sign admission and main-resource PUT") {
  Fixture f;
  json created = f.ok("POST", kCsrs, f.admin, csrObject("c1", "example.com/other", "x"), 201);
  json a = f.ok("PUT", kCsrs + "/c1/approval", f.admin, approval(created, "Approved"));
  a["status"]["certificate"] = base64Encode(fakeapi::testing::selfSignedCertPem("x"));
  auto r = f.call("PUT", kCsrs + "/c1/status", f.op, a);
  CHECK(r.response.status == 403);
  CHECK(json::parse(r.response.body)["message"].get<std::string>().find(
            "user not permitted to sign requests with signerName \"example.com/other\"") != std::string::npos);

  json changed = a;
  changed["spec"]["signerName"] = "evil.io/x";
  changed["status"] = json::object();
  changed["metadata"]["labels"] = {{"team", "a"}};
  json put = f.ok("PUT", kCsrs + "/c1", f.admin, changed);
  CHECK(put["spec"]["signerName"] == "example.com/other");
  CHECK(put["status"]["conditions"][0]["type"] == "Approved");
  CHECK(put["metadata"]["labels"]["team"] == "a");

  json allowed = f.ok("POST", kCsrs, f.admin, csrObject("c2", "example.com/allowed", "x"), 201);
  json ap = f.ok("PUT", kCsrs + "/c2/approval", f.op, approval(allowed, "Approved"));
  ap["status"]["certificate"] = base64Encode(fakeapi::testing::selfSignedCertPem("x"));
  f.ok("PUT", kCsrs + "/c2/status", f.op, ap);
  CHECK(f.call("POST", kCsrs, f.op, csrObject("c3", "example.com/allowed", "x")).response.status == 403);
}

TEST_CASE("create-time validation and admission through the API") {
  Fixture f;
  json bad = csrObject("bad", "example.com/x", "x", {}, {});
  bad["spec"]["expirationSeconds"] = 10;
  auto r = f.call("POST", kCsrs, f.admin, bad);
  CHECK(r.response.status == 422);
  json st = json::parse(r.response.body);
  CHECK(st["details"]["causes"].size() == 2);
  CHECK(st["message"].get<std::string>().rfind("CertificateSigningRequest.certificates.k8s.io \"bad\" is invalid: [", 0) == 0);
  r = f.call("POST", kCsrs, f.node, csrObject("n", "kubernetes.io/kubelet-serving", "system:node:other"));
  CHECK(r.response.status == 403);
  r = f.call("POST", kCsrs, f.admin, csrObject("m", "kubernetes.io/kube-apiserver-client", "x", {"system:masters"}));
  CHECK(r.response.status == 403);
  json noName = csrObject("", "example.com/x", "x");
  noName["metadata"] = {{"generateName", "gen-"}};
  CHECK(f.ok("POST", kCsrs, f.admin, noName, 201)["metadata"]["name"].get<std::string>().rfind("gen-", 0) == 0);
  noName["metadata"] = json::object();
  CHECK(f.call("POST", kCsrs, f.admin, noName).response.status == 422);
  f.ok("POST", kCsrs, f.admin, csrObject("dup", "example.com/x", "x"), 201);
  r = f.call("POST", kCsrs, f.admin, csrObject("dup", "example.com/x", "x"));
  CHECK(r.response.status == 409);
  CHECK(json::parse(r.response.body)["reason"] == "AlreadyExists");
  CHECK(f.call("POST", kCsrs, f.admin, json{{"kind", "Node"}}).response.status == 400);
}

TEST_CASE("list: Table output, field selectors, pagination") {
  Fixture f;
  f.ok("POST", kCsrs, f.admin, csrObject("a", "example.com/one", "x"), 201);
  f.ok("POST", kCsrs, f.admin, csrObject("b", "example.com/two", "x"), 201);
  f.ok("POST", kCsrs, f.admin, csrObject("c", "example.com/two", "x"), 201);
  auto t = f.call("GET", kCsrs, f.admin, nullptr, "", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
  json table = json::parse(t.response.body);
  CHECK(table["kind"] == "Table");
  std::vector<std::string> cols;
  for (const auto& c : table["columnDefinitions"]) cols.push_back(c["name"]);
  CHECK(cols == std::vector<std::string>{"Name", "Age", "SignerName", "Requestor", "RequestedDuration", "Condition"});
  CHECK(table["rows"][0]["cells"][3] == "admin");
  CHECK(table["rows"][0]["cells"][4] == "<none>");
  CHECK(table["rows"][0]["cells"][5] == "Pending");
  CHECK(table["rows"][0]["object"]["kind"] == "PartialObjectMetadata");
  CHECK(f.ok("GET", kCsrs + "?fieldSelector=spec.signerName%3Dexample.com%2Ftwo", f.admin)["items"].size() == 2);
  CHECK(f.ok("GET", kCsrs + "?fieldSelector=metadata.name%3Da", f.admin)["items"].size() == 1);
  json p1 = f.ok("GET", kCsrs + "?limit=2", f.admin);
  CHECK(p1["items"].size() == 2);
  CHECK(p1["metadata"]["remainingItemCount"] == 1);
  json p2 = f.ok("GET", kCsrs + "?limit=2&continue=" + p1["metadata"]["continue"].get<std::string>(), f.admin);
  CHECK(p2["items"].size() == 1);
  CHECK(p2["items"][0]["metadata"]["name"] == "c");
  CHECK(f.call("GET", kCsrs + "?fieldSelector=spec.nope%3D1", f.admin).response.status == 400);
}

TEST_CASE("DELETE honours DeleteOptions preconditions on uid and resourceVersion with 409 Conflict") {
  Fixture f;
  json created = f.ok("POST", kCsrs, f.admin, csrObject("a", "example.com/one", "x"), 201);
  const std::string uid = created["metadata"]["uid"], rv = created["metadata"]["resourceVersion"];
  auto del = [&](const json& pre) {
    return f.call("DELETE", kCsrs + "/a", f.admin, json{{"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"preconditions", pre}});
  };
  auto wrongUid = del({{"uid", "other"}});
  CHECK(wrongUid.response.status == 409);
  CHECK(json::parse(wrongUid.response.body)["message"].get<std::string>().find("Precondition failed: UID in precondition: other") !=
        std::string::npos);
  auto staleRv = del({{"uid", uid}, {"resourceVersion", "1"}});
  CHECK(staleRv.response.status == 409);
  CHECK(json::parse(staleRv.response.body)["reason"] == "Conflict");
  f.ok("GET", kCsrs + "/a", f.admin);  // still there
  CHECK(f.call("DELETE", kCsrs + "/a", f.admin, "not json").response.status == 400);
  CHECK(del({{"uid", uid}, {"resourceVersion", rv}}).response.status == 200);
  CHECK(f.call("GET", kCsrs + "/a", f.admin).response.status == 404);
}

TEST_CASE("watch requests become WatchSpecs - a compacted resourceVersion answers 410") {
  Fixture f;
  auto r = f.call("GET", kCsrs + "?watch=1&resourceVersion=1&allowWatchBookmarks=true&timeoutSeconds=7", f.node);
  REQUIRE(r.watch);
  CHECK(r.watch->resourceVersion == "1");
  CHECK(r.watch->allowBookmarks);
  CHECK(r.watch->timeoutSeconds == 7);
  f.store.compact();
  f.ok("POST", kCsrs, f.admin, csrObject("a", "example.com/one", "x"), 201);
  f.store.compact();
  class Sink : public WatchSink {
    void begin() override {}
    bool write(const std::string&) override { return true; }
    bool clientGone() override { return false; }
  } sink;
  CHECK_THROWS_AS(f.hub.serve(*r.watch, sink), ApiError);
  CHECK(f.call("GET", kCsrs + "?watch=true", user("nobody")).response.status == 403);
}

TEST_CASE("faults: failNext, throttleNext, admin only, stats") {
  Fixture f;
  CHECK(f.call("POST", "/fake/faults", f.node, json{{"dropWatches", true}}).response.status == 403);
  f.ok("POST", "/fake/faults", f.admin, json{{"failNext", {{"count", 2}, {"code", 500}}}});
  CHECK(f.call("GET", kCsrs, f.admin).response.status == 500);
  auto second = f.call("GET", kCsrs, f.admin);
  CHECK(second.response.status == 500);
  CHECK(json::parse(second.response.body)["reason"] == "InternalError");
  CHECK(f.call("GET", kCsrs, f.admin).response.status == 200);
  f.ok("POST", "/fake/faults", f.admin, json{{"throttleNext", {{"count", 1}, {"retryAfter", 3}}}});
  auto t = f.call("GET", kCsrs, f.admin);
  CHECK(t.response.status == 429);
  CHECK(json::parse(t.response.body)["reason"] == "TooManyRequests");
  REQUIRE(t.response.headers.size() == 1);
  CHECK(t.response.headers[0] == std::make_pair(std::string("Retry-After"), std::string("3")));
  CHECK(f.call("POST", "/fake/faults", f.admin, json{{"explode", true}}).response.status == 400);
  f.ok("POST", "/fake/faults", f.admin, json{{"compact", true}, {"silenceWatches", 1}, {"dropWatches", true}});
  json stats = f.ok("GET", "/fake/stats", f.admin);
  CHECK(stats["totalRequests"].get<int>() >= 8);
  bool saw500 = false;
  for (const auto& e : stats["requests"]) saw500 |= e["code"] == 500 && e["verb"] == "list";
  CHECK(saw500);
  CHECK(stats["requestsPerSecond"].contains("lastSecond"));
}

TEST_CASE("faults: a partition fails one resource for a while and nothing else") {
  Fixture f;
  const std::string leases = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases";
  f.ok("POST", "/fake/faults", f.admin, json{{"partition", {{"resource", "leases"}, {"code", 503}, {"milliseconds", 300}}}});
  auto cut = f.call("GET", leases, f.admin);
  CHECK(cut.response.status == 503);
  CHECK(json::parse(cut.response.body)["reason"] == "ServiceUnavailable");
  CHECK(f.call("GET", kCsrs, f.admin).response.status == 200);
  CHECK(f.ok("GET", "/fake/faults", f.admin)["partitions"].size() == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  CHECK(f.call("GET", leases, f.admin).response.status == 200);
  CHECK(f.ok("GET", "/fake/faults", f.admin)["partitions"].empty());
  CHECK(f.call("POST", "/fake/faults", f.admin, json{{"partition", {{"resource", "leases"}}}}).response.status == 400);
}

TEST_CASE("faults: a partition for one user cuts only that user's requests") {
  Fixture f;
  const std::string leases = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases";
  const UserInfo replicaA = user("replica-a", {"system:masters"}), replicaB = user("replica-b", {"system:masters"});
  f.ok("POST", "/fake/faults", f.admin,
       json{{"partition", {{"resource", "leases"}, {"code", 503}, {"milliseconds", 5000}, {"user", "replica-a"}}}});
  CHECK(f.call("GET", leases, replicaA).response.status == 503);
  CHECK(f.call("GET", leases, replicaB).response.status == 200);
  CHECK(f.call("GET", kCsrs, replicaA).response.status == 200);
  json described = f.ok("GET", "/fake/faults", f.admin);
  REQUIRE(described["partitions"].size() == 1);
  CHECK(described["partitions"][0]["user"] == "replica-a");
}

TEST_CASE("faults: expireNextWatches answers 410 to watches from a resourceVersion, once per count") {
  Fixture f;
  f.ok("POST", "/fake/faults", f.admin, json{{"expireNextWatches", {{"count", 1}, {"resource", "certificatesigningrequests"}}}});
  CHECK(f.call("GET", "/api/v1/nodes?watch=1&resourceVersion=1", f.admin).watch);
  CHECK(f.call("GET", kCsrs + "?watch=1", f.admin).watch);  // no resourceVersion: nothing can be too old
  auto expired = f.call("GET", kCsrs + "?watch=1&resourceVersion=1", f.admin);
  CHECK_FALSE(expired.watch);
  CHECK(expired.response.status == 410);
  CHECK(json::parse(expired.response.body)["reason"] == "Expired");
  CHECK(f.call("GET", kCsrs + "?watch=1&resourceVersion=1", f.admin).watch);
}

TEST_CASE("faults: latency holds a request before the store, or after the write before the answer") {
  Fixture f;
  json created = f.ok("POST", kCsrs, f.admin, csrObject("held", "example.com/one", "x"), 201);
  f.ok(
      "POST", "/fake/faults", f.admin,
      json{
          {"latency",
           {{"resource", "certificatesigningrequests/approval"}, {"milliseconds", 400}, {"afterWrite", true}, {"forMilliseconds", 5000}}}});
  const auto start = std::chrono::steady_clock::now();
  std::thread writer([&] { f.ok("PUT", kCsrs + "/held/approval", f.admin, approval(created, "Approved")); });
  // The approval is stored while its writer still waits for the answer.
  bool storedWhileHeld = false;
  for (int i = 0; i < 300 && !storedWhileHeld; ++i) {
    storedWhileHeld = f.ok("GET", "/fake/faults", f.admin)["held"] == 1 &&
                      f.ok("GET", kCsrs + "/held", f.admin)["status"].value("conditions", json::array()).size() == 1;
    if (!storedWhileHeld) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  writer.join();
  CHECK(storedWhileHeld);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(400));
  CHECK(f.ok("GET", "/fake/faults", f.admin)["held"] == 0);

  f.ok("POST", "/fake/faults", f.admin, json{{"latency", {{"milliseconds", 300}, {"forMilliseconds", 5000}}}});
  const auto before = std::chrono::steady_clock::now();
  f.ok("GET", kCsrs, f.admin);
  CHECK(std::chrono::steady_clock::now() - before >= std::chrono::milliseconds(300));
  CHECK(f.call("POST", "/fake/faults", f.admin, json{{"latency", {{"milliseconds", 300}}}}).response.status == 400);
}

TEST_CASE("audit log: every write with who, when, the answer, and for CSRs the conditions and certificate") {
  Fixture f;
  const auto path = std::filesystem::temp_directory_path() / ("fakeapi-audit-" + std::to_string(::getpid()) + ".log");
  std::filesystem::remove(path);
  AuditLog audit;
  audit.open(path.string());
  f.router.audit = &audit;
  json created = f.ok("POST", kCsrs, f.node,
                      csrObject("audited", "kubernetes.io/kube-apiserver-client-kubelet", "system:node:n1", {"system:nodes"}), 201);
  f.ok("GET", kCsrs + "/audited", f.admin);  // reads are not audited
  json approved = f.ok("PUT", kCsrs + "/audited/approval", f.admin, approval(created, "Approved"));
  f.ok("POST", "/fake/faults", f.admin, json{{"failNext", {{"count", 1}, {"code", 500}}}});
  const std::string pem = fakeapi::testing::selfSignedCertPem("system:node:n1");
  json withCert = approved;
  withCert["status"]["certificate"] = base64Encode(pem);
  CHECK(f.call("PUT", kCsrs + "/audited/status", f.admin, withCert).response.status == 500);
  f.ok("PUT", kCsrs + "/audited/status", f.admin, withCert);

  std::vector<json> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  std::filesystem::remove(path);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0]["apiVersion"] == "audit.k8s.io/v1");
  CHECK(lines[0]["verb"] == "create");
  CHECK(lines[0]["user"]["username"] == "system:node:n1");
  CHECK(lines[0]["objectRef"]["uid"] == created["metadata"]["uid"]);
  CHECK(lines[0]["responseStatus"]["code"] == 201);
  CHECK(lines[1]["objectRef"]["subresource"] == "approval");
  CHECK(lines[1]["annotations"]["fake-apiserver/conditions"] == "Approved");
  CHECK(lines[2]["responseStatus"]["code"] == 500);
  CHECK(lines[2]["annotations"]["fake-apiserver/injected-fault"] == "true");
  CHECK(lines[2]["objectRef"]["uid"] == created["metadata"]["uid"]);  // from the request body
  CHECK_FALSE(lines[2]["annotations"].contains("fake-apiserver/certificate-sha256"));
  CHECK(lines[3]["responseStatus"]["code"] == 200);
  CHECK(lines[3]["objectRef"]["subresource"] == "status");
  const std::string sha = lines[3]["annotations"]["fake-apiserver/certificate-sha256"];
  CHECK(sha.size() == 64);
  CHECK(lines[3]["annotations"]["fake-apiserver/request-certificate-sha256"] == sha);
  CHECK(lines[2]["annotations"]["fake-apiserver/request-certificate-sha256"] == sha);
  CHECK(lines[3]["stageTimestamp"].get<std::string>().size() == std::string("2026-01-01T00:00:00.000000Z").size());
}

TEST_CASE("SubjectAccessReview uses the same authorizer") {
  Fixture f;
  json sar = {{"apiVersion", "authorization.k8s.io/v1"},
              {"kind", "SubjectAccessReview"},
              {"spec",
               {{"user", "system:node:n1"},
                {"groups", {"system:nodes"}},
                {"resourceAttributes",
                 {{"group", "certificates.k8s.io"},
                  {"resource", "certificatesigningrequests"},
                  {"verb", "create"},
                  {"subresource", "selfnodeclient"}}}}}};
  CHECK(f.ok("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", f.admin, sar, 201)["status"]["allowed"] == true);
  sar["spec"]["resourceAttributes"]["subresource"] = "nodeclient";
  CHECK(f.ok("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", f.admin, sar, 201)["status"]["allowed"] == false);
  CHECK(f.call("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", f.node, sar).response.status == 403);
  sar["spec"].erase("user");
  sar["spec"].erase("groups");
  CHECK(f.call("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", f.admin, sar).response.status == 422);
}

TEST_CASE("events, leases and nodes") {
  Fixture f;
  json ev = {{"metadata", {{"name", "e1"}}}, {"reason", "Approved"}, {"count", 1}};
  f.ok("POST", "/api/v1/namespaces/ns1/events", f.admin, ev, 201);
  Request patch{"PATCH", "/api/v1/namespaces/ns1/events/e1", json{{"count", 2}}.dump(), "application/strategic-merge-patch+json", "",
                f.admin};
  auto pr = f.router.handle(patch);
  CHECK(pr.response.status == 200);
  CHECK(json::parse(pr.response.body)["count"] == 2);
  CHECK(f.ok("GET", "/api/v1/events", f.admin)["items"].size() == 1);
  CHECK(f.ok("GET", "/api/v1/namespaces/other/events", f.admin)["items"].empty());
  CHECK(f.call("POST", "/api/v1/namespaces/ns2/events", f.admin, ev).response.status == 201);
  json wrongNs = ev;
  wrongNs["metadata"]["namespace"] = "x";
  CHECK(f.call("POST", "/api/v1/namespaces/ns1/events", f.admin, wrongNs).response.status == 400);

  const std::string leases = "/apis/coordination.k8s.io/v1/namespaces/csr-system/leases";
  json l = f.ok("POST", leases, f.admin, json{{"metadata", {{"name", "leader"}}}, {"spec", {{"holderIdentity", "a"}}}}, 201);
  l["spec"]["holderIdentity"] = "b";
  json l2 = f.ok("PUT", leases + "/leader", f.admin, l);
  CHECK(l2["spec"]["holderIdentity"] == "b");
  CHECK(f.call("PUT", leases + "/leader", f.admin, l).response.status == 409);
  json unconditional = l;
  unconditional["metadata"].erase("resourceVersion");
  CHECK(f.call("PUT", leases + "/leader", f.admin, unconditional).response.status == 200);
  CHECK(f.call("PUT", leases + "/other", f.admin, l).response.status == 400);

  json n =
      f.ok("POST", "/api/v1/nodes", f.node,
           json{{"metadata", {{"name", "n1"}}}, {"status", {{"addresses", {{{"type", "InternalIP"}, {"address", "10.0.0.1"}}}}}}}, 201);
  n["status"]["addresses"][0]["address"] = "10.0.0.2";
  CHECK(f.ok("PUT", "/api/v1/nodes/n1", f.node, n)["status"]["addresses"][0]["address"] == "10.0.0.1");
  n = f.ok("GET", "/api/v1/nodes/n1", f.node);
  n["status"]["addresses"][0]["address"] = "10.0.0.2";
  CHECK(f.ok("PUT", "/api/v1/nodes/n1/status", f.node, n)["status"]["addresses"][0]["address"] == "10.0.0.2");
  CHECK(f.call("DELETE", "/api/v1/nodes/n1", f.node).response.status == 403);
}

TEST_CASE("kubectl certificate approve's protobuf body is accepted on /approval") {
  Fixture f;
  json created = f.ok("POST", kCsrs, f.admin, csrObject("pb", "example.com/x", "x"), 201);
  using namespace fakeapi::pb;
  std::string meta = field(1, "pb") + field(6, created["metadata"]["resourceVersion"].get<std::string>());
  std::string cond = field(1, "Denied") + field(6, "True") + field(2, "KubectlDeny") + field(3, "no") + field(4, "") + field(5, "");
  std::string body = envelope("certificates.k8s.io/v1", "CertificateSigningRequest", field(1, meta) + field(3, field(1, cond)));
  Request r{"PUT",  kCsrs + "/pb/approval", body, "application/vnd.kubernetes.protobuf", "application/vnd.kubernetes.protobuf, */*",
            f.admin};
  auto res = f.router.handle(r);
  INFO(res.response.body);
  CHECK(res.response.status == 200);
  json out = json::parse(res.response.body);
  CHECK(out["status"]["conditions"][0]["type"] == "Denied");
  CHECK(out["status"]["conditions"][0]["lastTransitionTime"].is_string());
  CHECK(out["spec"]["request"] == created["spec"]["request"]);
  Request onNodes{"PUT", "/api/v1/nodes/x", body, "application/vnd.kubernetes.protobuf", "", f.admin};
  CHECK(f.router.handle(onNodes).response.status == 415);
}
