#include "tests/fakeapi/Authenticator.h"
#include "tests/fakeapi/Authorizer.h"
#include "tests/fakeapi/Pki.h"
#include "tests/fakeapi/TestPki.h"

#include <openssl/pem.h>

#include <doctest/doctest.h>
#include <filesystem>

using namespace fakeapi;
using fakeapi::testing::user;

namespace {

Attributes attrs(const UserInfo& u, const std::string& verb, const std::string& group, const std::string& resource,
                 const std::string& sub = "", const std::string& name = "", const std::string& ns = "") {
  Attributes a;
  a.user = u;
  a.verb = verb;
  a.group = group;
  a.resource = resource;
  a.subresource = sub;
  a.name = name;
  a.ns = ns;
  return a;
}

const char* kRbac = R"(
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: csr-reader}
rules:
- apiGroups: [certificates.k8s.io]
  resources: [certificatesigningrequests]
  verbs: [get, list, watch]
- apiGroups: [certificates.k8s.io]
  resources: [certificatesigningrequests/approval]
  verbs: [update]
  resourceNames: [only-this]
- nonResourceURLs: ["/metrics", "/debug/*"]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: readers}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: csr-reader}
subjects:
- {kind: Group, name: readers}
- {kind: User, name: carol}
- {kind: ServiceAccount, name: op, namespace: csr-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: lease-rw, namespace: csr-system}
rules:
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: lease-rw, namespace: csr-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: lease-rw}
subjects: [{kind: ServiceAccount, name: op}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: events, namespace: csr-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: event-writer}
subjects: [{kind: User, name: carol}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: event-writer}
rules: [{apiGroups: [""], resources: [events], verbs: [create, patch]}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ignored}
)";

}  // namespace

TEST_CASE("RBAC: bindings, subjects, verbs, subresources, resourceNames, namespaces") {
  Authorizer a;
  a.loadYaml(kRbac);
  auto carol = user("carol"), reader = user("dave", {"readers"}), nobody = user("eve");
  auto sa = user("system:serviceaccount:csr-system:op");
  const std::string g = "certificates.k8s.io", csrs = "certificatesigningrequests";
  CHECK(a.authorize(attrs(carol, "list", g, csrs)));
  CHECK(a.authorize(attrs(reader, "watch", g, csrs)));
  CHECK(a.authorize(attrs(sa, "get", g, csrs, "", "x")));
  CHECK_FALSE(a.authorize(attrs(nobody, "list", g, csrs)));
  CHECK_FALSE(a.authorize(attrs(carol, "delete", g, csrs, "", "x")));
  CHECK_FALSE(a.authorize(attrs(carol, "get", g, csrs, "status", "x")));  // a resource rule does not cover subresources
  CHECK_FALSE(a.authorize(attrs(carol, "list", "", csrs)));               // wrong group
  CHECK(a.authorize(attrs(carol, "update", g, csrs, "approval", "only-this")));
  CHECK_FALSE(a.authorize(attrs(carol, "update", g, csrs, "approval", "another")));
  CHECK(a.authorize(attrs(sa, "update", "coordination.k8s.io", "leases", "", "l", "csr-system")));
  CHECK_FALSE(a.authorize(attrs(sa, "update", "coordination.k8s.io", "leases", "", "l", "default")));
  CHECK_FALSE(a.authorize(attrs(sa, "update", "coordination.k8s.io", "leases", "", "l")));
  CHECK(a.authorize(attrs(carol, "create", "", "events", "", "", "csr-system")));  // RoleBinding -> ClusterRole
  CHECK_FALSE(a.authorize(attrs(carol, "create", "", "events", "", "", "kube-system")));
  Attributes nr;
  nr.user = carol;
  nr.verb = "get";
  nr.resourceRequest = false;
  nr.path = "/debug/pprof";
  CHECK(a.authorize(nr));
  nr.path = "/healthz";
  CHECK_FALSE(a.authorize(nr));
  CHECK(a.authorize(attrs(user("root", {"system:masters"}), "delete", "x", "y")));
}

TEST_CASE("forbidden messages have kube's shape") {
  auto a = attrs(user("system:node:n1"), "update", "certificates.k8s.io", "certificatesigningrequests", "approval", "x");
  ApiError e = Authorizer::forbiddenError(a);
  CHECK(e.code() == 403);
  CHECK(e.reason() == "Forbidden");
  CHECK(std::string(e.what()) ==
        "certificatesigningrequests.certificates.k8s.io \"x\" is forbidden: User \"system:node:n1\" cannot update resource "
        "\"certificatesigningrequests/approval\" in API group \"certificates.k8s.io\" at the cluster scope");
  CHECK(e.status()["details"]["kind"] == "certificatesigningrequests");
  auto l = attrs(user("bob"), "list", "coordination.k8s.io", "leases", "", "", "ns1");
  CHECK(std::string(Authorizer::forbiddenError(l).what()) ==
        "leases.coordination.k8s.io is forbidden: User \"bob\" cannot list resource \"leases\" in API group "
        "\"coordination.k8s.io\" in the namespace \"ns1\"");
  auto n = attrs(user("bob"), "get", "", "nodes", "", "n1");
  CHECK(std::string(Authorizer::forbiddenError(n).what()) ==
        "nodes \"n1\" is forbidden: User \"bob\" cannot get resource \"nodes\" in API group \"\" at the cluster scope");
}

TEST_CASE("bootstrap-rbac.yaml grants what kubeadm clusters grant") {
  Authorizer a;
  a.loadFile(std::string(FAKEAPI_SOURCE_DIR) + "/bootstrap-rbac.yaml");
  auto node = user("system:node:n1", {"system:nodes"});
  auto boot = user("system:bootstrap:abc", {"system:bootstrappers", "system:bootstrappers:kubeadm:default-node-token"});
  const std::string g = "certificates.k8s.io", csrs = "certificatesigningrequests";
  for (const char* v : {"create", "get", "list", "watch"}) {
    CHECK(a.authorize(attrs(node, v, g, csrs)));
    CHECK(a.authorize(attrs(boot, v, g, csrs)));
  }
  CHECK_FALSE(a.authorize(attrs(node, "update", g, csrs, "approval", "x")));
  CHECK_FALSE(a.authorize(attrs(node, "delete", g, csrs, "", "x")));
  CHECK(a.authorize(attrs(node, "create", g, csrs, "selfnodeclient")));
  CHECK_FALSE(a.authorize(attrs(node, "create", g, csrs, "nodeclient")));
  CHECK(a.authorize(attrs(boot, "create", g, csrs, "nodeclient")));
  CHECK_FALSE(a.authorize(attrs(boot, "create", g, csrs, "selfnodeclient")));
}

TEST_CASE("token file authentication") {
  Authenticator au;
  au.loadTokenCsv("# comment\nt0k3n,alice,uid-1,\"dev,ops\"\nother,bob,uid-2\n");
  auto u = au.fromBearer("Bearer t0k3n");
  REQUIRE(u);
  CHECK(u->name == "alice");
  CHECK(u->uid == "uid-1");
  CHECK(u->groups == std::vector<std::string>{"dev", "ops", "system:authenticated"});
  CHECK(au.fromBearer("Bearer other")->groups == std::vector<std::string>{"system:authenticated"});
  CHECK_FALSE(au.fromBearer("Bearer wrong"));
  CHECK_FALSE(au.fromBearer("Basic t0k3n"));
  CHECK_THROWS(au.loadTokenCsv("onlytoken\n"));
}

TEST_CASE("client certificate authentication: CN is the user, O the groups") {
  auto dir = std::filesystem::temp_directory_path() / ("fakeapi-pki-" + newUid());
  pki::ensure(dir.string());
  auto issued = pki::issueClient(dir.string(), "system:node:n1", {"system:nodes", "extra"});
  BioPtr b(BIO_new_mem_buf(issued.certPem.data(), static_cast<int>(issued.certPem.size())));
  X509Ptr cert(PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr));
  REQUIRE(cert);
  auto u = Authenticator::fromCertificate(cert.get(), true);
  REQUIRE(u);
  CHECK(u->name == "system:node:n1");
  CHECK(u->groups == std::vector<std::string>{"system:nodes", "extra", "system:authenticated"});
  CHECK_FALSE(Authenticator::fromCertificate(cert.get(), false));
  CHECK_FALSE(Authenticator::fromCertificate(nullptr, true));
  std::string kc = pki::kubeconfig("https://127.0.0.1:1", pki::readFile((dir / "ca.crt").string()), "u", &issued, "");
  CHECK(kc.find("client-certificate-data: ") != std::string::npos);
  CHECK(pki::kubeconfig("https://127.0.0.1:1", "ca", "u", nullptr, "tok").find("token: \"tok\"") != std::string::npos);
  std::filesystem::remove_all(dir);
}
