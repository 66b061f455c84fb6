// The fake API server's side of node identity (issue 11): NodeRestriction for Nodes, and the
// objects an identity source reads (Machines of both API groups, Services, EndpointSlices).
#include "tests/fakeapi/NodeRestriction.h"
#include "tests/fakeapi/Router.h"
#include "tests/fakeapi/TestPki.h"

#include <doctest/doctest.h>

#include <chrono>
#include <mutex>
#include <thread>

using namespace fakeapi;
using fakeapi::testing::user;

namespace {

struct Fixture {
  Store store;
  WatchHub hub{store, 60};
  Authorizer authz;
  Faults faults;
  Stats stats;
  Router router{store, hub, authz, faults, stats};
  UserInfo admin = user("admin", {"system:masters"});
  UserInfo n1 = user("system:node:n1", {"system:nodes"});

  Fixture() {
    authz.loadFile(std::string(FAKEAPI_SOURCE_DIR) + "/bootstrap-rbac.yaml");
    ok("POST", "/api/v1/nodes", admin, node("n2", "10.0.0.2"), 201);
  }
  static json node(const std::string& name, const std::string& ip) {
    return {{"apiVersion", "v1"},
            {"kind", "Node"},
            {"metadata", {{"name", name}}},
            {"status", {{"addresses", {{{"type", "InternalIP"}, {"address", ip}}}}}}};
  }
  RouteResult call(const std::string& method, const std::string& target, const UserInfo& u, const json& body = nullptr,
                   const std::string& contentType = "application/json") {
    return router.handle(Request{method, target, body.is_null() ? "" : body.dump(), contentType, "", u});
  }
  json ok(const std::string& method, const std::string& target, const UserInfo& u, const json& body = nullptr, int want = 200,
          const std::string& contentType = "application/json") {
    auto res = call(method, target, u, body, contentType);
    INFO(method << " " << target << ": " << res.response.body);
    CHECK(res.response.status == want);
    return json::parse(res.response.body);
  }
  json merge(const std::string& target, const UserInfo& u, const json& patch, int want = 200) {
    return ok("PATCH", target, u, patch, want, "application/merge-patch+json");
  }
};

json addresses(std::initializer_list<std::pair<const char*, const char*>> list) {
  json out = json::array();
  for (const auto& [type, address] : list) out.push_back({{"type", type}, {"address", address}});
  return {{"status", {{"addresses", out}}}};
}

json machine(const std::string& apiVersion, const std::string& name, const std::string& nodeRef) {
  return {{"apiVersion", apiVersion},
          {"kind", "Machine"},
          {"metadata", {{"name", name}, {"namespace", "machines"}}},
          {"spec", {{"clusterName", "c1"}}},
          {"status", {{"nodeRef", {{"kind", "Node"}, {"name", nodeRef}}}}}};
}

const std::string kCapi = "/apis/cluster.x-k8s.io/v1beta1/namespaces/machines/machines";
const std::string kOpenShift = "/apis/machine.openshift.io/v1beta1/namespaces/machines/machines";

class Lines : public WatchSink {
 public:
  explicit Lines(size_t max) : max_(max) {}
  void begin() override {}
  bool write(const std::string& line) override {
    std::lock_guard g(mu_);
    lines_.push_back(json::parse(line));
    return lines_.size() < max_;
  }
  bool clientGone() override { return false; }
  std::vector<json> lines() {
    std::lock_guard g(mu_);
    return lines_;
  }

 private:
  size_t max_;
  std::mutex mu_;
  std::vector<json> lines_;
};

}  // namespace

TEST_CASE("NodeRestriction: a node may write its own Node, status.addresses included") {
  Fixture f;
  f.ok("POST", "/api/v1/nodes", f.n1, Fixture::node("n1", "10.0.0.1"), 201);
  // The half that makes status.addresses worthless as proof: n1 may list n2's IP and the API
  // server's name as its own.
  auto patched = f.merge("/api/v1/nodes/n1/status", f.n1,
                         addresses({{"InternalIP", "10.0.0.1"}, {"InternalIP", "10.0.0.2"}, {"InternalDNS", "kubernetes.default.svc"}}));
  CHECK(patched["status"]["addresses"].size() == 3);
  f.merge("/api/v1/nodes/n1", f.n1, {{"metadata", {{"labels", {{"example.com/team", "a"}, {"kubernetes.io/hostname", "n1"}}}}}});
  auto current = f.ok("GET", "/api/v1/nodes/n1", f.n1);
  f.ok("PUT", "/api/v1/nodes/n1/status", f.n1, current);
}

TEST_CASE("NodeRestriction: a node may not create, modify or delete another Node") {
  Fixture f;
  struct Row {
    const char* story;
    const char* method;
    std::string target;
    json body;
    const char* contentType;
  };
  const Row rows[] = {
      {"create another", "POST", "/api/v1/nodes", Fixture::node("n3", "10.0.0.3"), "application/json"},
      {"patch another's status", "PATCH", "/api/v1/nodes/n2/status", addresses({{"InternalIP", "10.0.0.9"}}),
       "application/merge-patch+json"},
      {"patch another", "PATCH", "/api/v1/nodes/n2", json{{"metadata", {{"labels", {{"a", "b"}}}}}}, "application/merge-patch+json"},
      {"update another", "PUT", "/api/v1/nodes/n2", Fixture::node("n2", "10.0.0.9"), "application/json"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.story);
    auto res = f.call(row.method, row.target, f.n1, row.body, row.contentType);
    INFO(res.response.body);
    CHECK(res.response.status == 403);
    CHECK(res.response.body.find("is not allowed to modify node") != std::string::npos);
  }
  auto n2 = f.ok("GET", "/api/v1/nodes/n2", f.admin);
  CHECK(n2["status"]["addresses"][0]["address"] == "10.0.0.2");
}

TEST_CASE("NodeRestriction: deletes are confined to the node's own Node (RBAC decides whether at all)") {
  const auto n1 = user("system:node:n1", {"system:nodes"});
  CHECK_NOTHROW(noderestriction::admitNodeRequest(n1, "delete", "n1"));
  CHECK_THROWS_AS(noderestriction::admitNodeRequest(n1, "delete", "n2"), ApiError);
  CHECK_NOTHROW(noderestriction::admitNodeRequest(n1, "get", "n2"));
  CHECK_NOTHROW(noderestriction::admitNodeRequest(user("system:node:n1"), "delete", "n2"));  // not in system:nodes
  CHECK_THROWS_AS(noderestriction::nodeOf(user("system:node:", {"system:nodes"})), ApiError);
}

TEST_CASE("NodeRestriction: a node may not change its taints or set restricted labels") {
  Fixture f;
  f.ok("POST", "/api/v1/nodes", f.n1, Fixture::node("n1", "10.0.0.1"), 201);
  auto taints = f.call("PATCH", "/api/v1/nodes/n1", f.n1, {{"spec", {{"taints", {{{"key", "k"}, {"effect", "NoSchedule"}}}}}}},
                       "application/merge-patch+json");
  CHECK(taints.response.status == 403);
  CHECK(taints.response.body.find("not allowed to modify taints") != std::string::npos);
  auto label = f.call("PATCH", "/api/v1/nodes/n1", f.n1, {{"metadata", {{"labels", {{"node-restriction.kubernetes.io/pool", "secure"}}}}}},
                      "application/merge-patch+json");
  CHECK(label.response.status == 403);
  auto created = f.call("POST", "/api/v1/nodes", user("system:node:n4", {"system:nodes"}),
                        {{"metadata", {{"name", "n4"}, {"labels", {{"node-role.kubernetes.io/control-plane", ""}}}}}});
  CHECK(created.response.status == 403);
  CHECK(created.response.body.find("not allowed to set the following labels") != std::string::npos);
  // An administrator is not a node.
  f.merge("/api/v1/nodes/n1", f.admin, {{"spec", {{"taints", {{{"key", "k"}, {"effect", "NoSchedule"}}}}}}});
}

TEST_CASE("Machines: cluster.x-k8s.io and machine.openshift.io are separate resources with a status subresource") {
  Fixture f;
  f.ok("POST", kCapi, f.admin, machine("cluster.x-k8s.io/v1beta1", "m-1", "n1"), 201);
  f.ok("POST", kOpenShift, f.admin, machine("machine.openshift.io/v1beta1", "m-1", "n9"), 201);
  auto capi = f.ok("GET", kCapi, f.admin);
  REQUIRE(capi["items"].size() == 1);
  CHECK(capi["items"][0]["status"]["nodeRef"]["name"] == "n1");
  CHECK(capi["kind"] == "MachineList");
  auto openshift = f.ok("GET", "/apis/machine.openshift.io/v1beta1/machines", f.admin);
  REQUIRE(openshift["items"].size() == 1);
  CHECK(openshift["items"][0]["status"]["nodeRef"]["name"] == "n9");

  // The main resource keeps the stored status; /status writes it.
  f.merge(kCapi + "/m-1", f.admin, addresses({{"InternalIP", "10.9.9.9"}}));
  CHECK_FALSE(f.ok("GET", kCapi + "/m-1", f.admin)["status"].contains("addresses"));
  f.merge(kCapi + "/m-1/status", f.admin, addresses({{"InternalIP", "10.0.0.1"}}));
  CHECK(f.ok("GET", kCapi + "/m-1", f.admin)["status"]["addresses"][0]["address"] == "10.0.0.1");
  CHECK(f.ok("GET", kOpenShift + "/m-1", f.admin)["status"]["nodeRef"]["name"] == "n9");

  // Nodes cannot write Machines: that is what makes them an identity source.
  CHECK(f.call("PATCH", kCapi + "/m-1/status", f.n1, addresses({{"InternalIP", "10.0.0.2"}}), "application/merge-patch+json")
            .response.status == 403);
}

TEST_CASE("Machines: a watch sees only its own API group") {
  Fixture f;
  f.ok("POST", kOpenShift, f.admin, machine("machine.openshift.io/v1beta1", "other", "n9"), 201);
  auto route = f.call("GET", "/apis/cluster.x-k8s.io/v1beta1/machines?watch=true&timeoutSeconds=5", f.admin);
  REQUIRE(route.watch.has_value());
  Lines sink(2);
  std::thread watcher([&] { f.hub.serve(*route.watch, sink); });
  f.ok("POST", kOpenShift, f.admin, machine("machine.openshift.io/v1beta1", "other-2", "n8"), 201);
  f.ok("POST", kCapi, f.admin, machine("cluster.x-k8s.io/v1beta1", "m-1", "n1"), 201);
  f.ok("POST", kCapi, f.admin, machine("cluster.x-k8s.io/v1beta1", "m-2", "n2"), 201);
  watcher.join();
  auto lines = sink.lines();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["object"]["metadata"]["name"] == "m-1");
  CHECK(lines[0]["object"]["apiVersion"] == "cluster.x-k8s.io/v1beta1");
  CHECK(lines[1]["object"]["metadata"]["name"] == "m-2");
}

TEST_CASE("Services and EndpointSlices: list by name and label, and discovery names the new groups") {
  Fixture f;
  f.ok("POST", "/api/v1/namespaces/default/services", f.admin,
       {{"apiVersion", "v1"},
        {"kind", "Service"},
        {"metadata", {{"name", "kubernetes"}}},
        {"spec", {{"clusterIP", "10.96.0.1"}, {"clusterIPs", {"10.96.0.1"}}}}},
       201);
  f.ok("POST", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", f.admin,
       {{"apiVersion", "discovery.k8s.io/v1"},
        {"kind", "EndpointSlice"},
        {"metadata", {{"name", "kubernetes"}, {"labels", {{"kubernetes.io/service-name", "kubernetes"}}}}},
        {"addressType", "IPv4"},
        {"endpoints", {{{"addresses", {"192.168.10.5"}}}}}},
       201);
  f.ok("POST", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", f.admin,
       {{"apiVersion", "discovery.k8s.io/v1"},
        {"kind", "EndpointSlice"},
        {"metadata", {{"name", "web-abc"}, {"labels", {{"kubernetes.io/service-name", "web"}}}}},
        {"addressType", "IPv4"}},
       201);

  auto services = f.ok("GET", "/api/v1/namespaces/default/services?fieldSelector=metadata.name%3Dkubernetes", f.admin);
  REQUIRE(services["items"].size() == 1);
  CHECK(services["items"][0]["spec"]["clusterIPs"][0] == "10.96.0.1");
  auto slices =
      f.ok("GET", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dkubernetes",
           f.admin);
  REQUIRE(slices["items"].size() == 1);
  CHECK(slices["items"][0]["endpoints"][0]["addresses"][0] == "192.168.10.5");
  CHECK(f.call("GET", "/apis/discovery.k8s.io/v1/endpointslices?watch=true", f.admin).watch.has_value());

  auto groups = f.ok("GET", "/apis", f.admin)["groups"];
  std::map<std::string, std::string> preferred;
  for (const auto& g : groups) preferred[g["name"]] = g["preferredVersion"]["groupVersion"];
  CHECK(preferred["cluster.x-k8s.io"] == "cluster.x-k8s.io/v1beta1");
  CHECK(preferred["machine.openshift.io"] == "machine.openshift.io/v1beta1");
  CHECK(preferred["discovery.k8s.io"] == "discovery.k8s.io/v1");
  CHECK(f.ok("GET", "/apis/cluster.x-k8s.io/v1beta1", f.admin)["resources"][0]["name"] == "machines");
}
