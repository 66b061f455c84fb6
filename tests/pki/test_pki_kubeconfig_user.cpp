// `pki kubeconfig user` against the project's fake API server, signed with that server's own CA
// (its pki dir), and used by the real kubectl: the API server must see the CN as the user and the
// O as its groups, and RBAC must decide by them.
#include <doctest/doctest.h>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "FakeCluster.h"
#include "pki/CertificateFacts.h"
#include "signers/Base64.h"
#include "signers/OpenSslPem.h"
#include "tests/support/TestPki.h"

namespace fs = std::filesystem;

namespace {

std::string q(const std::string& s) { return "'" + s + "'"; }

std::pair<int, std::string> sh(const std::string& command) { return testpki::runCommand(command); }

std::string pkiCommand(const std::string& args) { return q(itest::operatorBinary()) + " pki " + args; }

// The pinned kubectl (scripts/install-kubectl.sh), never /usr/bin's.
const std::string& kubectl() {
  static const std::string path = [] {
    auto [code, out] = sh("{ " + q(INSTALL_KUBECTL) + " 2>/dev/null; }");
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    if (code != 0 || out.empty()) throw std::runtime_error("scripts/install-kubectl.sh failed: " + out);
    return out.substr(out.rfind('\n') + 1) + "/kubectl/kubectl";
  }();
  return path;
}

// A reader role for nodes, bound to the group appdevs only.
constexpr const char* kRbac = R"(apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: node-reader}
rules:
- {apiGroups: [""], resources: [nodes], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: appdevs-read-nodes}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: node-reader}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: appdevs}]
)";

itest::ClusterOptions clusterOptions(const std::string& rbacFile) {
  itest::ClusterOptions o;
  o.rbacFiles = {rbacFile};
  return o;
}

struct Fixture {
  testpki::TempDir work;
  std::string rbacFile = work.write("rbac.yaml", kRbac);
  itest::FakeCluster cluster{clusterOptions(rbacFile)};
  std::string pkiDir = (cluster.dir() / "pki").string();
  std::string server = "https://127.0.0.1:" + std::to_string(cluster.port());

  Fixture() { cluster.addNode("worker-1", {{"InternalIP", "10.0.0.11"}}); }

  std::string caFlags() const { return " --ca-cert " + q(pkiDir + "/ca.crt") + " --ca-key " + q(pkiDir + "/ca.key"); }

  std::pair<int, std::string> kube(const std::string& kubeconfig, const std::string& args) const {
    // kubectl's discovery cache goes under $HOME/.kube: not in work, whose files are checked.
    return sh("HOME=" + q((cluster.dir() / "home").string()) + " " + q(kubectl()) + " --kubeconfig " + q(kubeconfig) +
              " --request-timeout=20s " + args);
  }
};

signers::X509Ptr clientCertificate(const std::string& kubeconfigText) {
  YAML::Node doc = YAML::Load(kubeconfigText);
  std::string pem;
  REQUIRE_FALSE(signers::base64Decode(doc["users"][0]["user"]["client-certificate-data"].as<std::string>(), {}, pem));
  return testpki::parseCertPem(pem);
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("kubeconfig user: kubectl authenticates as the client name with the --org groups, and RBAC decides by them") {
  Fixture f;
  const std::string out = (f.work.path() / "johndoe.conf").string();
  auto [code, text] = sh(pkiCommand("kubeconfig user --client-name johndoe --org appdevs --validity-period 24h --server " + f.server +
                                    " --cluster-name fake" + f.caFlags() + " --out " + q(out)));
  INFO(text);
  REQUIRE(code == 0);
  CHECK(text.find("issued a kubeconfig " + out + " (0600) for CN=johndoe, O=[appdevs], cluster fake at " + f.server) != std::string::npos);
  CHECK(fs::status(out).permissions() == (fs::perms::owner_read | fs::perms::owner_write));

  auto nodes = f.kube(out, "get nodes -o name");
  INFO(nodes.second);
  CHECK(nodes.first == 0);
  CHECK(nodes.second.find("node/worker-1") != std::string::npos);
  // The group grants nodes only: anything else is refused, and the refusal names the user.
  auto csrs = f.kube(out, "get csr");
  INFO(csrs.second);
  CHECK(csrs.first != 0);
  CHECK(csrs.second.find("User \"johndoe\" cannot list resource \"certificatesigningrequests\"") != std::string::npos);
  auto context = f.kube(out, "config current-context");
  CHECK(context.second == "johndoe@fake\n");

  // kubeadm's kubeconfig shape, with the certificate the profile allows: client auth, this CN and O, 24h.
  const std::string kubeconfig = readFile(out);
  YAML::Node doc = YAML::Load(kubeconfig);
  CHECK(doc["clusters"][0]["cluster"]["server"].as<std::string>() == f.server);
  CHECK(doc["users"][0]["name"].as<std::string>() == "johndoe");
  auto cert = clientCertificate(kubeconfig);
  auto facts = csrop::pki::certificateFacts(cert.get());
  CHECK(facts.commonName == "johndoe");
  CHECK(facts.organizations == std::vector<std::string>{"appdevs"});
  CHECK(facts.clientAuth);
  CHECK_FALSE(facts.serverAuth);
  CHECK_FALSE(facts.isCa);
  CHECK(facts.dnsNames.empty());
  CHECK(facts.notAfter - std::chrono::system_clock::now() <= std::chrono::hours(24));
  CHECK(facts.notAfter - std::chrono::system_clock::now() > std::chrono::hours(23));
  // The key was written nowhere but into the kubeconfig.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(f.work.path())) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"johndoe.conf", "rbac.yaml"});
  const std::string certFile = (f.cluster.dir() / "johndoe.pem").string();
  std::ofstream(certFile) << signers::certificatePem(cert.get());
  auto verified = sh("openssl verify -CAfile " + q(f.pkiDir + "/ca.crt") + " " + q(certFile));
  INFO(verified.second);
  CHECK(verified.first == 0);
  // And --out never overwrites.
  auto again = sh(pkiCommand("kubeconfig user --client-name johndoe --server " + f.server + f.caFlags() + " --out " + q(out)));
  CHECK(again.first == 1);
  CHECK(again.second.find("exists; pki kubeconfig user never overwrites a kubeconfig") != std::string::npos);
}

TEST_CASE("kubeconfig user: to stdout, other groups get other rights, --config reads kubeadm's ClusterConfiguration") {
  Fixture f;
  const std::string jane = (f.work.path() / "jane.conf").string();
  auto [code, text] = sh("{ " + pkiCommand("kubeconfig user --client-name janedoe --org viewers --server " + f.server + f.caFlags()) +
                         " 2>/dev/null; } > " + q(jane));
  REQUIRE(code == 0);
  auto denied = f.kube(jane, "get nodes");
  INFO(denied.second);
  CHECK(denied.first != 0);
  CHECK(denied.second.find("User \"janedoe\" cannot list resource \"nodes\"") != std::string::npos);

  const std::string config = f.work.write("kubeadm.yaml",
                                          "apiVersion: kubeadm.k8s.io/v1beta3\n"
                                          "kind: ClusterConfiguration\n"
                                          "clusterName: from-config\n"
                                          "controlPlaneEndpoint: 127.0.0.1:" +
                                              std::to_string(f.cluster.port()) + "\ncertificatesDir: " + f.pkiDir + "\n");
  const std::string alice = (f.work.path() / "alice.conf").string();
  auto viaConfig = sh(pkiCommand("kubeconfig user --config " + q(config) + " --client-name alice --org appdevs,viewers --out " + q(alice)));
  INFO(viaConfig.second);
  REQUIRE(viaConfig.first == 0);
  CHECK(f.kube(alice, "config current-context").second == "alice@from-config\n");
  auto nodes = f.kube(alice, "get nodes -o name");
  INFO(nodes.second);
  CHECK(nodes.first == 0);
  CHECK(nodes.second.find("node/worker-1") != std::string::npos);
}

TEST_CASE("kubeconfig user: O=system:masters is refused with the break-glass warning unless --allow-system-masters") {
  Fixture f;
  const std::string out = (f.work.path() / "root.conf").string();
  auto refused =
      sh(pkiCommand("kubeconfig user --client-name root --org system:masters --server " + f.server + f.caFlags() + " --out " + q(out)));
  INFO(refused.second);
  CHECK(refused.first == 1);
  CHECK(refused.second.find("refused: --org system:masters. system:masters is a break-glass, super user group that bypasses the "
                            "authorization layer (for example, RBAC)") != std::string::npos);
  CHECK(refused.second.find("--allow-system-masters") != std::string::npos);
  CHECK_FALSE(fs::exists(out));

  auto allowed = sh(pkiCommand("kubeconfig user --client-name root --org system:masters --allow-system-masters --server " + f.server +
                               f.caFlags() + " --out " + q(out)));
  INFO(allowed.second);
  REQUIRE(allowed.first == 0);
  CHECK(allowed.second.find("warning: system:masters is a break-glass, super user group") != std::string::npos);
  auto csrs = f.kube(out, "get csr");
  INFO(csrs.second);
  CHECK(csrs.first == 0);

  // Bad input: exit 2 with the reason, never a kubeconfig.
  CHECK(sh(pkiCommand("kubeconfig user --client-name x --server http://127.0.0.1:1" + f.caFlags())).first == 2);
  CHECK(sh(pkiCommand("kubeconfig user --client-name x" + f.caFlags())).first == 2);
  CHECK(sh(pkiCommand("kubeconfig user --org a --server " + f.server + f.caFlags())).first == 2);
  CHECK(sh(pkiCommand("kubeconfig user --client-name x --server " + f.server)).first == 2);
  auto wrongKey = sh(pkiCommand("kubeconfig user --client-name x --server " + f.server + " --ca-cert " + q(f.pkiDir + "/ca.crt") +
                                " --ca-key " + q(f.pkiDir + "/server.key")));
  CHECK(wrongKey.first == 1);
  CHECK(wrongKey.second.find("cannot sign with") != std::string::npos);
}
