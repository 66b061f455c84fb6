// PodCertificateRequests, ClusterTrustBundles, pods and service accounts through the fake API
// server's router: discovery per served version, NodeRestriction at create, the /status write rules
// (resourceVersion, `sign`), field selectors, Tables, the clock endpoint, CTB validation and `attest`.
#include "tests/fakeapi/PcrStrategy.h"
#include "tests/fakeapi/Router.h"
#include "tests/fakeapi/TestPki.h"
#include "tests/support/TestPki.h"

#include <doctest/doctest.h>

using namespace fakeapi;
using fakeapi::testing::user;
using testpki::KeyKind;

namespace {

const char* kRbac = R"(
kind: ClusterRole
metadata: {name: pod-signer}
rules:
- {apiGroups: [certificates.k8s.io], resources: [podcertificaterequests], verbs: [get, list, watch]}
- {apiGroups: [certificates.k8s.io], resources: [podcertificaterequests/status], verbs: [update]}
- {apiGroups: [certificates.k8s.io], resources: [clustertrustbundles], verbs: [get, list, watch, create, update, delete]}
- {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [sign, attest], resourceNames: [example.com/pods]}
- {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [sign], resourceNames: ["wild.example.com/*"]}
---
kind: ClusterRoleBinding
metadata: {name: pod-signer}
roleRef: {kind: ClusterRole, name: pod-signer}
subjects: [{kind: User, name: signer}]
---
kind: ClusterRole
metadata: {name: bundle-writer}
rules:
- {apiGroups: [certificates.k8s.io], resources: [clustertrustbundles], verbs: [create, update, delete]}
---
kind: ClusterRoleBinding
metadata: {name: bundle-writer}
roleRef: {kind: ClusterRole, name: bundle-writer}
subjects: [{kind: User, name: unattested}]
)";

struct Fixture {
  Store store;
  WatchHub hub{store, 60};
  Authorizer authz;
  Faults faults;
  Stats stats;
  Router router{store, hub, authz, faults, stats};
  UserInfo admin = user("admin", {"system:masters"});
  UserInfo nodeA = user("system:node:node-a", {"system:nodes"});
  UserInfo nodeB = user("system:node:node-b", {"system:nodes"});
  UserInfo signer = user("signer");
  signers::EvpPkeyPtr key = testpki::sharedKey(KeyKind::P256, "pcr-api");
  json pod, sa, node;

  Fixture() {
    authz.loadFile(std::string(FAKEAPI_SOURCE_DIR) + "/bootstrap-rbac.yaml");
    authz.loadYaml(kRbac);
    node = ok("POST", "/api/v1/nodes", admin, {{"metadata", {{"name", "node-a"}}}}, 201);
    ok("POST", "/api/v1/nodes", admin, {{"metadata", {{"name", "node-b"}}}}, 201);
    sa = ok("POST", "/api/v1/namespaces/team-a/serviceaccounts", admin, {{"metadata", {{"name", "app"}}}}, 201);
    pod = ok("POST", "/api/v1/namespaces/team-a/pods", admin,
             {{"metadata", {{"name", "app-1"}}}, {"spec", {{"nodeName", "node-a"}, {"serviceAccountName", "app"}}}}, 201);
  }
  RouteResult call(const std::string& method, const std::string& target, const std::optional<UserInfo>& u, const json& body = nullptr,
                   const std::string& accept = "") {
    Request r{method, target, body.is_null() ? "" : body.dump(), "application/json", accept, u};
    return router.handle(r);
  }
  json ok(const std::string& method, const std::string& target, const std::optional<UserInfo>& u, const json& body = nullptr,
          int want = 200) {
    auto res = call(method, target, u, body);
    INFO(res.response.body);
    CHECK(res.response.status == want);
    return json::parse(res.response.body);
  }
  // The refused request's status and message.
  std::pair<int, std::string> refused(const std::string& method, const std::string& target, const UserInfo& u, const json& body) {
    auto res = call(method, target, u, body);
    json st = json::parse(res.response.body);
    return {res.response.status, st.value("message", "")};
  }

  json pcrBody(const std::string& name = "app-1-x") const {
    return {{"apiVersion", "certificates.k8s.io/v1"},
            {"kind", "PodCertificateRequest"},
            {"metadata", {{"name", name}}},
            {"spec",
             {{"signerName", "example.com/pods"},
              {"podName", "app-1"},
              {"podUID", pod["metadata"]["uid"]},
              {"serviceAccountName", "app"},
              {"serviceAccountUID", sa["metadata"]["uid"]},
              {"nodeName", "node-a"},
              {"nodeUID", node["metadata"]["uid"]},
              {"stubPKCS10Request", base64Encode(testpki::stubPkcs10Der(key.get()))}}}};
  }

  json issuedStatus(json pcr) const {
    const int64_t now = unixNow();
    testpki::LeafOptions o;
    o.keyOverride = key.get();
    o.notBefore = std::chrono::system_clock::time_point(std::chrono::seconds(now));
    o.notAfter = std::chrono::system_clock::time_point(std::chrono::seconds(now + 7200));
    static const testpki::TestCa ca = testpki::makeCa({});
    pcr["status"] = {
        {"conditions",
         {{{"type", "Issued"}, {"status", "True"}, {"reason", "Issued"}, {"message", "ok"}, {"lastTransitionTime", formatRfc3339(now)}}}},
        {"certificateChain", testpki::issueCert(ca, o).certPem()},
        {"notBefore", formatRfc3339(now)},
        {"notAfter", formatRfc3339(now + 7200)},
        {"beginRefreshAt", formatRfc3339(now + 3600)}};
    return pcr;
  }
};

const std::string kPcrs = "/apis/certificates.k8s.io/v1/namespaces/team-a/podcertificaterequests";
const std::string kAllPcrs = "/apis/certificates.k8s.io/v1/podcertificaterequests";
const std::string kCtbs = "/apis/certificates.k8s.io/v1/clustertrustbundles";

std::vector<std::string> names(const json& resourceList) {
  std::vector<std::string> out;
  for (const auto& r : resourceList["resources"]) out.push_back(r["name"]);
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

json bundle(const std::string& name, const std::string& signerName, const std::string& pem) {
  json b = {{"apiVersion", "certificates.k8s.io/v1"},
            {"kind", "ClusterTrustBundle"},
            {"metadata", {{"name", name}}},
            {"spec", {{"trustBundle", pem}}}};
  if (!signerName.empty()) b["spec"]["signerName"] = signerName;
  return b;
}

}  // namespace

TEST_CASE("discovery: v1 serves PodCertificateRequests and ClusterTrustBundles, --pcr-version v1beta1 moves PCRs to v1beta1 only") {
  Fixture f;
  auto v1 = names(f.ok("GET", "/apis/certificates.k8s.io/v1", f.nodeA));
  CHECK(has(v1, "podcertificaterequests"));
  CHECK(has(v1, "podcertificaterequests/status"));
  CHECK(has(v1, "clustertrustbundles"));
  CHECK(has(v1, "certificatesigningrequests"));
  CHECK(f.call("GET", "/apis/certificates.k8s.io/v1beta1", f.nodeA).response.status == 404);
  CHECK(f.ok("GET", "/apis/certificates.k8s.io", f.nodeA)["versions"].size() == 1);
  auto core = names(f.ok("GET", "/api/v1", f.nodeA));
  CHECK(has(core, "pods"));
  CHECK(has(core, "serviceaccounts"));

  f.router.pcrVersion = "v1beta1";
  v1 = names(f.ok("GET", "/apis/certificates.k8s.io/v1", f.nodeA));
  CHECK_FALSE(has(v1, "podcertificaterequests"));
  CHECK(has(v1, "clustertrustbundles"));
  CHECK(names(f.ok("GET", "/apis/certificates.k8s.io/v1beta1", f.nodeA)) ==
        std::vector<std::string>{"podcertificaterequests", "podcertificaterequests/status"});
  json group = f.ok("GET", "/apis/certificates.k8s.io", f.nodeA);
  REQUIRE(group["versions"].size() == 2);
  CHECK(group["preferredVersion"]["version"] == "v1");
  CHECK(f.call("GET", kAllPcrs, f.admin).response.status == 404);
  CHECK(f.ok("GET", "/apis/certificates.k8s.io/v1beta1/podcertificaterequests", f.admin)["apiVersion"] == "certificates.k8s.io/v1beta1");
}

TEST_CASE("PCR create by the pod's node: stored with defaults and an empty status, listed, field-selected, watched") {
  Fixture f;
  json body = f.pcrBody();
  body["status"] = {{"certificateChain", "forged"}};
  json created = f.ok("POST", kPcrs, f.nodeA, body, 201);
  CHECK(created["spec"]["maxExpirationSeconds"] == 86400);
  CHECK(created["status"] == json::object());
  CHECK(created["metadata"]["namespace"] == "team-a");
  f.ok("GET", kPcrs + "/app-1-x", f.nodeA);
  CHECK(f.ok("GET", kAllPcrs + "?fieldSelector=spec.signerName%3Dexample.com%2Fpods", f.signer)["items"].size() == 1);
  CHECK(f.ok("GET", kAllPcrs + "?fieldSelector=spec.signerName%3Dexample.com%2Fother", f.signer)["items"].empty());
  auto w = f.call("GET", kAllPcrs + "?watch=1&fieldSelector=spec.signerName%3Dexample.com%2Fpods", f.signer);
  REQUIRE(w.watch);
  CHECK(w.watch->resource->resource == "podcertificaterequests");
  CHECK(w.watch->ns.empty());
  // The signer reads; it cannot create requests in the pods' name.
  CHECK(f.call("POST", kPcrs, f.signer, f.pcrBody("y")).response.status == 403);
}

TEST_CASE("PCR create: NodeRestriction ties the request to a pod bound to the requesting node, with its UIDs") {
  Fixture f;
  auto [code, msg] = f.refused("POST", kPcrs, f.nodeB, f.pcrBody());
  CHECK(code == 403);
  CHECK(msg ==
        "podcertificaterequests.certificates.k8s.io \"app-1-x\" is forbidden: node \"node-b\" can only create PodCertificateRequests "
        "with spec.nodeName set to itself, not \"node-a\"");

  json onB = f.pcrBody();
  onB["spec"]["nodeName"] = "node-b";
  std::tie(code, msg) = f.refused("POST", kPcrs, f.nodeB, onB);
  CHECK(code == 403);
  CHECK(msg.find("pod team-a/app-1 is not bound to node \"node-b\"") != std::string::npos);

  for (const char* field : {"podUID", "serviceAccountUID", "nodeUID"}) {
    CAPTURE(field);
    json body = f.pcrBody();
    body["spec"][field] = "0000-forged";
    std::tie(code, msg) = f.refused("POST", kPcrs, f.nodeA, body);
    CHECK(code == 403);
    CHECK(msg.find(std::string("spec.") + field + " \"0000-forged\" is not the UID of") != std::string::npos);
  }
  json otherSa = f.pcrBody();
  otherSa["spec"]["serviceAccountName"] = "default";
  std::tie(code, msg) = f.refused("POST", kPcrs, f.nodeA, otherSa);
  CHECK(code == 403);
  CHECK(msg.find("spec.serviceAccountName \"default\" is not the service account of pod team-a/app-1 (\"app\")") != std::string::npos);
  json noPod = f.pcrBody();
  noPod["spec"]["podName"] = "ghost";
  std::tie(code, msg) = f.refused("POST", kPcrs, f.nodeA, noPod);
  CHECK(code == 403);
  CHECK(msg.find("pod team-a/ghost does not exist") != std::string::npos);
  // NodeRestriction is mutating admission, so it answers before validation; the right node then
  // meets validation.
  json invalid = f.pcrBody();
  invalid["spec"]["maxExpirationSeconds"] = 60;
  CHECK(f.call("POST", kPcrs, f.nodeB, invalid).response.status == 403);
  CHECK(f.call("POST", kPcrs, f.nodeA, invalid).response.status == 422);
  f.ok("POST", kPcrs, f.nodeA, f.pcrBody(), 201);
}

TEST_CASE("PCR /status: needs a resourceVersion (stale: 409) and `sign` on the signer, the spec stays") {
  Fixture f;
  json created = f.ok("POST", kPcrs, f.nodeA, f.pcrBody(), 201);
  json issued = f.issuedStatus(created);

  json noRv = issued;
  noRv["metadata"].erase("resourceVersion");
  auto [code, msg] = f.refused("PUT", kPcrs + "/app-1-x/status", f.signer, noRv);
  CHECK(code == 422);
  CHECK(msg.find("metadata.resourceVersion: Invalid value: 0x0: must be specified for an update") != std::string::npos);

  // The node may read its request but not sign it: RBAC stops it before the strategy.
  CHECK(f.call("PUT", kPcrs + "/app-1-x/status", f.nodeA, issued).response.status == 403);

  json tampered = issued;
  tampered["spec"]["signerName"] = "example.com/other";
  json stored = f.ok("PUT", kPcrs + "/app-1-x/status", f.signer, tampered);
  CHECK(stored["spec"]["signerName"] == "example.com/pods");
  CHECK(stored["status"]["conditions"][0]["type"] == "Issued");

  std::tie(code, msg) = f.refused("PUT", kPcrs + "/app-1-x/status", f.signer, issued);
  CHECK(code == 409);
  CHECK(msg.find("the object has been modified") != std::string::npos);

  // Issued is terminal: even the admin cannot rewrite it.
  json again = f.issuedStatus(stored);
  std::tie(code, msg) = f.refused("PUT", kPcrs + "/app-1-x/status", f.admin, again);
  CHECK(code == 422);
  CHECK(msg.find("status: Invalid value: immutable after PodCertificateRequest is issued, denied, or failed") != std::string::npos);
}

TEST_CASE("PCR /status: without `sign` on the signer (or its domain/*) the write is refused like kube's status strategy") {
  Fixture f;
  UserInfo stranger = user("stranger");
  f.authz.loadYaml(R"(
kind: ClusterRole
metadata: {name: status-only}
rules:
- {apiGroups: [certificates.k8s.io], resources: [podcertificaterequests/status], verbs: [update]}
---
kind: ClusterRoleBinding
metadata: {name: status-only}
roleRef: {kind: ClusterRole, name: status-only}
subjects: [{kind: User, name: stranger}]
)");
  json created = f.ok("POST", kPcrs, f.nodeA, f.pcrBody(), 201);
  auto [code, msg] = f.refused("PUT", kPcrs + "/app-1-x/status", stranger, f.issuedStatus(created));
  CHECK(code == 422);
  CHECK(msg ==
        "PodCertificateRequest.certificates.k8s.io \"app-1-x\" is invalid: spec.signerName: Forbidden: User \"stranger\" is not "
        "permitted to \"sign\" for signer \"example.com/pods\"");
  // An unchanged status is no signing.
  f.ok("PUT", kPcrs + "/app-1-x/status", stranger, created);

  json wild = f.pcrBody("wild");
  wild["spec"]["signerName"] = "wild.example.com/anything";
  json w = f.ok("POST", kPcrs, f.nodeA, wild, 201);
  f.ok("PUT", kPcrs + "/wild/status", f.signer, f.issuedStatus(w));
}

TEST_CASE("PCR main resource: PUT keeps the status and refuses spec changes") {
  Fixture f;
  json created = f.ok("POST", kPcrs, f.nodeA, f.pcrBody(), 201);
  json labelled = created;
  labelled["metadata"]["labels"] = {{"a", "b"}};
  labelled["status"] = {{"certificateChain", "x"}};
  json stored = f.ok("PUT", kPcrs + "/app-1-x", f.admin, labelled);
  CHECK(stored["status"] == json::object());
  CHECK(stored["metadata"]["labels"]["a"] == "b");
  stored["spec"]["maxExpirationSeconds"] = 3600;
  auto [code, msg] = f.refused("PUT", kPcrs + "/app-1-x", f.admin, stored);
  CHECK(code == 422);
  CHECK(msg.find("spec: Invalid value: field is immutable") != std::string::npos);
}

TEST_CASE("PCR Table: name, signer, pod, service account, state, age") {
  Fixture f;
  f.ok("POST", kPcrs, f.nodeA, f.pcrBody(), 201);
  auto t = f.call("GET", kAllPcrs, f.admin, nullptr, "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
  json table = json::parse(t.response.body);
  std::vector<std::string> cols;
  for (const auto& c : table["columnDefinitions"]) cols.push_back(c["name"]);
  CHECK(cols == std::vector<std::string>{"Name", "SignerName", "Pod", "ServiceAccount", "State", "Age"});
  REQUIRE(table["rows"].size() == 1);
  CHECK(table["rows"][0]["cells"][0] == "app-1-x");
  CHECK(table["rows"][0]["cells"][2] == "app-1");
  CHECK(table["rows"][0]["cells"][4] == "Pending");
}

TEST_CASE("/fake/clock: admin-only, moves the fake's clock forward and never back") {
  Fixture f;
  const int64_t before = clockOffset();
  CHECK(f.call("POST", "/fake/clock", f.nodeA, json{{"advanceSeconds", 60}}).response.status == 403);
  CHECK(f.call("POST", "/fake/clock", f.admin, json{{"advanceSeconds", -1}}).response.status == 400);
  json r = f.ok("POST", "/fake/clock", f.admin, json{{"advanceSeconds", 60}});
  CHECK(r["offsetSeconds"] == before + 60);
  CHECK(f.ok("GET", "/fake/clock", f.admin)["offsetSeconds"] == before + 60);
  advanceClock(-60);
}

TEST_CASE("pods: field selector spec.nodeName, and the kubelet may read pods and service accounts") {
  Fixture f;
  f.ok("POST", "/api/v1/namespaces/team-a/pods", f.admin, {{"metadata", {{"name", "app-2"}}}, {"spec", {{"nodeName", "node-b"}}}}, 201);
  CHECK(f.ok("GET", "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a", f.nodeA)["items"].size() == 1);
  f.ok("GET", "/api/v1/namespaces/team-a/serviceaccounts/app", f.nodeA);
  CHECK(f.call("POST", "/api/v1/namespaces/team-a/pods", f.nodeA, {{"metadata", {{"name", "x"}}}}).response.status == 403);
}

TEST_CASE("CTB: a signer-linked bundle is created with `attest` on its signer, read by every service account") {
  Fixture f;
  auto ca = testpki::makeCa({});
  json created = f.ok("POST", kCtbs, f.signer, bundle("example.com:pods:primary", "example.com/pods", ca.certPem()), 201);
  CHECK(created["metadata"].value("namespace", "") == "");
  CHECK(f.ok("GET", kCtbs + "?fieldSelector=spec.signerName%3Dexample.com%2Fpods",
             user("system:serviceaccount:team-a:app", {"system:serviceaccounts"}))["items"]
            .size() == 1);
  CHECK(f.ok("GET", kCtbs + "?fieldSelector=spec.signerName%3Dexample.com%2Fother", f.signer)["items"].empty());

  auto [code, msg] = f.refused("POST", kCtbs, user("unattested"), bundle("example.com:pods:second", "example.com/pods", ca.certPem()));
  CHECK(code == 403);
  CHECK(msg ==
        "clustertrustbundles.certificates.k8s.io \"example.com:pods:second\" is forbidden: user not permitted to attest for signerName "
        "\"example.com/pods\"");
  // Unlinked bundles need no attest.
  f.ok("POST", kCtbs, user("unattested"), bundle("plain", "", ca.certPem()), 201);

  // Update: a changed bundle needs attest again; the signer (with attest) may rotate it.
  auto next = testpki::makeCa({});
  json rotated = created;
  rotated["spec"]["trustBundle"] = ca.certPem() + next.certPem();
  std::tie(code, msg) = f.refused("PUT", kCtbs + "/example.com:pods:primary", user("unattested"), rotated);
  CHECK(code == 403);
  json stored = f.ok("PUT", kCtbs + "/example.com:pods:primary", f.signer, rotated);
  CHECK(stored["spec"]["trustBundle"] == ca.certPem() + next.certPem());
  json resigned = stored;
  resigned["spec"]["signerName"] = "example.com/other";
  std::tie(code, msg) = f.refused("PUT", kCtbs + "/example.com:pods:primary", f.admin, resigned);
  CHECK(code == 422);
  CHECK(msg.find("spec.signerName: Invalid value: \"example.com/other\": field is immutable") != std::string::npos);
  // Delete is not an attest decision (ClusterTrustBundleAttest handles create and update only).
  f.ok("DELETE", kCtbs + "/example.com:pods:primary", user("unattested"));
}

TEST_CASE("CTB validation through the API: names, PEM blocks, CA bit, duplicates") {
  Fixture f;
  auto ca = testpki::makeCa({});
  auto [code, msg] = f.refused("POST", kCtbs, f.admin, bundle("pods-primary", "example.com/pods", ca.certPem()));
  CHECK(code == 422);
  CHECK(msg.find(
            "metadata.name: Invalid value: \"pods-primary\": ClusterTrustBundle for signerName example.com/pods must be named with prefix "
            "example.com:pods:") != std::string::npos);
  std::tie(code, msg) = f.refused("POST", kCtbs, f.admin, bundle("a:b", "", ca.certPem()));
  CHECK(msg.find("ClusterTrustBundle without signer name must not have \":\" in its name") != std::string::npos);
  std::tie(code, msg) = f.refused("POST", kCtbs, f.admin, bundle("dup", "", ca.certPem() + ca.certPem()));
  CHECK(msg.find("spec.trustBundle: Invalid value: \"<value omitted>\": duplicate trust anchor (indices [0 1])") != std::string::npos);
  std::tie(code, msg) = f.refused("POST", kCtbs, f.admin, bundle("none", "", ""));
  CHECK(msg.find("at least one trust anchor must be provided") != std::string::npos);
}
