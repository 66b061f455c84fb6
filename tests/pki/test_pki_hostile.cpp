#include <doctest/doctest.h>

#include "tests/pki/KubeadmTree.h"

using pkitest::CsrSpec;
using pkitest::KubeadmTree;
using pkitest::pki;

namespace {

std::string q(const std::string& s) { return "'" + s + "'"; }

// Refused requests leave the whole tree untouched.
void checkNothingWritten(const KubeadmTree& t) {
  CHECK_FALSE(t.exists("pki/apiserver.crt"));
  CHECK_FALSE(t.exists("pki/etcd/server.crt"));
  CHECK(t.read("admin.conf").find("client-certificate-data") == std::string::npos);
}

pkitest::Result sign(const KubeadmTree& t, const std::string& extra = "") { return pki("sign --dir " + q(t.root().string()) + extra); }

}  // namespace

TEST_CASE("a client certificate asking for SANs is refused, naming the file") {
  KubeadmTree t;
  t.replacePkiRequest("front-proxy-client", CsrSpec{"front-proxy-client", {}, {"evil.example.com"}});
  auto r = sign(t);
  INFO(r.output);
  CHECK(r.exitCode == 1);
  CHECK(r.output.find("refused: pki/front-proxy-client.csr: asks for DNS SANs \"evil.example.com\"") != std::string::npos);
  CHECK(r.output.find("nothing was written: 1 request(s) refused") != std::string::npos);
  checkNothingWritten(t);
}

TEST_CASE("email SANs and wildcards on server certificates are refused") {
  KubeadmTree t;
  t.replacePkiRequest("apiserver", CsrSpec{"kube-apiserver", {}, {"kubernetes", "*.example.com"}, {"10.96.0.1"}});
  t.replacePkiRequest("etcd/peer", CsrSpec{"cp-1", {}, {"localhost"}, {"127.0.0.1"}, {"root@example.com"}});
  auto r = sign(t);
  INFO(r.output);
  CHECK(r.exitCode == 1);
  CHECK(r.output.find("pki/apiserver.csr: asks for the wildcard DNS SAN \"*.example.com\"") != std::string::npos);
  CHECK(r.output.find("pki/etcd/peer.csr: asks for email SANs") != std::string::npos);
  checkNothingWritten(t);
}

TEST_CASE("system:masters on the controller-manager or kubelet kubeconfig is refused") {
  KubeadmTree t;
  t.replaceKubeconfigRequest("controller-manager.conf", CsrSpec{"system:kube-controller-manager", {"system:masters"}});
  t.replaceKubeconfigRequest("kubelet.conf", CsrSpec{"system:node:cp-1", {"system:nodes", "system:masters"}});
  t.replaceKubeconfigRequest("admin.conf", CsrSpec{"kubernetes-admin", {"system:masters"}});
  auto r = sign(t);
  INFO(r.output);
  CHECK(r.exitCode == 1);
  CHECK(r.output.find("refused: controller-manager.conf.csr: subject has O=\"system:masters\", expected no O") != std::string::npos);
  CHECK(r.output.find("refused: kubelet.conf.csr: subject has O=\"system:masters\", \"system:nodes\", expected O=system:nodes") !=
        std::string::npos);
  CHECK(r.output.find("refused: admin.conf.csr: subject has O=\"system:masters\", expected O=kubeadm:cluster-admins") != std::string::npos);
  CHECK(r.output.find("bypasses RBAC") != std::string::npos);
  checkNothingWritten(t);
}

TEST_CASE("a wrong CN, a missing O and a CA request are refused") {
  KubeadmTree t;
  t.replacePkiRequest("apiserver-etcd-client", CsrSpec{"kube-apiserver"});
  t.replaceKubeconfigRequest("kubelet.conf", CsrSpec{"system:node:cp-1"});
  t.replacePkiRequest("apiserver-kubelet-client", CsrSpec{"kube-apiserver-kubelet-client", {"system:masters"}, {}, {}, {}, true});
  t.write("pki/ca.csr", t.read("pki/front-proxy-client.csr"));
  auto r = sign(t);
  INFO(r.output);
  CHECK(r.exitCode == 1);
  CHECK(r.output.find("pki/apiserver-etcd-client.csr: CN is \"kube-apiserver\", expected \"kube-apiserver-etcd-client\"") !=
        std::string::npos);
  CHECK(r.output.find("kubelet.conf.csr: subject has no O, expected O=system:nodes") != std::string::npos);
  CHECK(r.output.find("pki/apiserver-kubelet-client.csr: asks for a CA certificate") != std::string::npos);
  CHECK(r.output.find("pki/ca.csr: a request for a CA certificate; pki sign never signs a CA") != std::string::npos);
  checkNothingWritten(t);
}

TEST_CASE("truncated, foreign and mismatched files are refused with clear messages") {
  KubeadmTree t;
  std::string csr = t.read("pki/etcd/server.csr");
  t.write("pki/etcd/server.csr", csr.substr(0, csr.size() / 2));
  t.write("pki/extra.csr", t.read("pki/front-proxy-client.csr"));
  t.write("pki/apiserver-etcd-client.key", pkitest::keyPem(pkitest::makeKey(false, "foreign").get()));
  std::string conf = t.read("scheduler.conf");
  t.write("scheduler.conf", conf.substr(0, conf.find("users:")));
  auto r = sign(t);
  INFO(r.output);
  CHECK(r.exitCode == 1);
  CHECK(r.output.find("pki/etcd/server.csr: not a valid certificate request (truncated or corrupt?)") != std::string::npos);
  CHECK(r.output.find("pki/extra.csr: not one of the certificates in kubeadm's tables") != std::string::npos);
  CHECK(r.output.find("pki/apiserver-etcd-client.csr: the request's public key does not match pki/apiserver-etcd-client.key") !=
        std::string::npos);
  CHECK(r.output.find("scheduler.conf.csr: scheduler.conf has no users") != std::string::npos);
  checkNothingWritten(t);
}

TEST_CASE("a CSR file Go would read differently is refused with the parser's reason") {
  // Go's pem.Decode skips a block whose END line is glued to the base64 and reads the next one, so
  // these files show kubeadm and openssl-in-Go tools another request than the first block.
  KubeadmTree t;
  const std::string honest = t.read("pki/apiserver.csr");
  const std::string other = t.read("pki/front-proxy-client.csr");
  std::string glued = honest;
  glued.replace(glued.find("\n-----END"), 1, "");
  t.write("pki/apiserver.csr", glued + other);
  t.write("pki/etcd/server.csr", t.read("pki/etcd/server.csr") + other);
  auto r = sign(t);
  INFO(r.output);
  CHECK(r.exitCode == 1);
  CHECK(r.output.find("refused: pki/apiserver.csr: not a valid certificate request") != std::string::npos);
  CHECK(r.output.find("refused: pki/etcd/server.csr: not a valid certificate request") != std::string::npos);
  CHECK(r.output.find("glued to the base64") != std::string::npos);
  CHECK(r.output.find("continues after its END line") != std::string::npos);
  checkNothingWritten(t);
}

TEST_CASE("an existing certificate for another key is only replaced with --force") {
  KubeadmTree t;
  REQUIRE(sign(t).exitCode == 0);
  std::string before = t.read("pki/apiserver.crt");
  std::string adminBefore = t.read("admin.conf");
  t.replacePkiRequest("apiserver", CsrSpec{"kube-apiserver", {}, {"kubernetes", "kubernetes.default", "kubernetes.default.svc"}});

  auto refused = sign(t);
  INFO(refused.output);
  CHECK(refused.exitCode == 1);
  CHECK(refused.output.find("refused: pki/apiserver.csr: pki/apiserver.crt already holds a certificate for another key; use --force") !=
        std::string::npos);
  CHECK(t.read("pki/apiserver.crt") == before);

  auto forced = sign(t, " --force");
  INFO(forced.output);
  CHECK(forced.exitCode == 0);
  CHECK(t.read("pki/apiserver.crt") != before);
  CHECK(t.read("admin.conf") != adminBefore);
  CHECK(pki("verify --dir " + q(t.root().string())).exitCode == 0);
}

TEST_CASE("usage errors exit 2 with a message") {
  CHECK(pki("sign").exitCode == 2);
  CHECK(pki("sign --dir").output.find("--dir needs a value") != std::string::npos);
  CHECK(pki("sign --dir /nonexistent/kubeadm").output.find("is not a directory") != std::string::npos);
  CHECK(pki("sign --dir /tmp --days zero").output.find("--days must be a positive whole number") != std::string::npos);
  CHECK(pki("check-expiration --dir /tmp --warn-within soon").output.find("invalid duration") != std::string::npos);
  CHECK(pki("frobnicate").output.find("unknown pki command") != std::string::npos);
}
