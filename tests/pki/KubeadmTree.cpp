#include "tests/pki/KubeadmTree.h"

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include <yaml-cpp/yaml.h>

#include "tests/support/TestPki.h"

#include "signers/Base64.h"
#include "signers/OpenSslPem.h"

namespace pkitest {

namespace fs = std::filesystem;

signers::EvpPkeyPtr makeKey(bool rsa, const std::string& role) {
  return testpki::sharedKey(rsa ? testpki::KeyKind::Rsa2048 : testpki::KeyKind::P256, "kubeadm " + role);
}

std::string keyPem(EVP_PKEY* key) { return signers::privateKeyPem(key); }

std::string makeCsrPem(EVP_PKEY* key, const CsrSpec& spec) {
  testpki::CsrOptions options;
  for (const auto& o : spec.organizations) options.subject.emplace_back("O", o);
  options.subject.emplace_back("CN", spec.commonName);
  options.dnsNames = spec.dnsNames;
  options.ips = spec.ips;
  options.emails = spec.emails;
  options.basicConstraintsCa = spec.requestCa;
  options.keyOverride = key;
  return testpki::makeCsr(options);
}

Result run(const std::string& commandLine) {
  auto [exitCode, output] = testpki::runCommand(commandLine);
  return {exitCode, output};
}

Result pki(const std::string& args) { return run(std::string("'") + CSR_OPERATOR_BINARY + "' pki " + args); }

// run() appends 2>&1 to the whole line, so the drop is scoped to a group inside it.
Result pkiStdout(const std::string& args) { return run(std::string("{ '") + CSR_OPERATOR_BINARY + "' pki " + args + " 2>/dev/null; }"); }

namespace {

struct KubeconfigSpec {
  std::string file, user;
  CsrSpec csr;
};

const std::vector<std::pair<std::string, CsrSpec>>& pkiRequests() {
  static const std::vector<std::pair<std::string, CsrSpec>> list = {
      {"apiserver",
       {"kube-apiserver",
        {},
        {"cp-1", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
        {"10.96.0.1", "192.168.10.11"}}},
      {"apiserver-kubelet-client", {"kube-apiserver-kubelet-client", {"kubeadm:cluster-admins"}}},
      {"apiserver-etcd-client", {"kube-apiserver-etcd-client"}},
      {"front-proxy-client", {"front-proxy-client"}},
      {"etcd/server", {"cp-1", {}, {"cp-1", "localhost"}, {"192.168.10.11", "127.0.0.1", "::1"}}},
      {"etcd/peer", {"cp-1", {}, {"cp-1", "localhost"}, {"192.168.10.11", "127.0.0.1", "::1"}}},
      {"etcd/healthcheck-client", {"kube-etcd-healthcheck-client"}},
  };
  return list;
}

const std::vector<KubeconfigSpec>& kubeconfigRequests() {
  static const std::vector<KubeconfigSpec> list = {
      {"admin.conf", "kubernetes-admin", {"kubernetes-admin", {"kubeadm:cluster-admins"}}},
      {"super-admin.conf", "kubernetes-super-admin", {"kubernetes-super-admin", {"system:masters"}}},
      {"kubelet.conf", "system:node:cp-1", {"system:node:cp-1", {"system:nodes"}}},
      {"controller-manager.conf", "system:kube-controller-manager", {"system:kube-controller-manager"}},
      {"scheduler.conf", "system:kube-scheduler", {"system:kube-scheduler"}},
  };
  return list;
}

std::string kubeconfigText(const std::string& user, const std::string& caPem, const std::string& keyPem) {
  std::ostringstream s;
  s << "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: " << signers::base64Encode(caPem)
    << "\n    server: https://192.168.10.11:6443\n  name: kubernetes\ncontexts:\n- context:\n    cluster: kubernetes\n"
    << "    user: " << user << "\n  name: " << user << "@kubernetes\ncurrent-context: " << user
    << "@kubernetes\nkind: Config\npreferences: {}\nusers:\n- name: " << user
    << "\n  user:\n    client-key-data: " << signers::base64Encode(keyPem) << "\n";
  return s.str();
}

}  // namespace

KubeadmTree::KubeadmTree(const std::string& initFlags) {
  std::random_device rd;
  root_ = fs::temp_directory_path() / ("pki-test-" + std::to_string(rd()) + std::to_string(rd()));
  fs::create_directories(root_);
  auto init = pki("init --dir '" + root_.string() + "'" + initFlags);
  if (init.exitCode != 0) throw std::runtime_error("pki init failed: " + init.output);
  for (const auto& [base, spec] : pkiRequests()) writePkiRequest(base, spec, base);
  for (const auto& k : kubeconfigRequests()) {
    auto key = makeKey(false, k.file);
    write(k.file, kubeconfigText(k.user, read("pki/ca.crt"), keyPem(key.get())));
    write(k.file + ".csr", makeCsrPem(key.get(), k.csr));
  }
}

KubeadmTree::~KubeadmTree() {
  std::error_code ec;
  fs::remove_all(root_, ec);
}

std::string KubeadmTree::read(const std::string& relative) const {
  std::ifstream in(root_ / relative, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void KubeadmTree::write(const std::string& relative, const std::string& content) const {
  fs::create_directories((root_ / relative).parent_path());
  std::ofstream out(root_ / relative, std::ios::binary | std::ios::trunc);
  out << content;
}

bool KubeadmTree::exists(const std::string& relative) const { return fs::exists(root_ / relative); }

void KubeadmTree::replacePkiRequest(const std::string& base, const CsrSpec& spec) const {
  writePkiRequest(base, spec, "replacement " + base);
}

void KubeadmTree::writePkiRequest(const std::string& base, const CsrSpec& spec, const std::string& keyRole) const {
  // apiserver gets RSA (kubeadm's default, exercises keyEncipherment); the rest P-256.
  auto key = makeKey(base == "apiserver", keyRole);
  write("pki/" + base + ".key", keyPem(key.get()));
  write("pki/" + base + ".csr", makeCsrPem(key.get(), spec));
}

void KubeadmTree::replaceKubeconfigRequest(const std::string& conf, const CsrSpec& spec) const {
  auto key = makeKey(false, "replacement " + conf);
  YAML::Node doc = YAML::Load(read(conf));
  std::string user = doc["users"][0]["name"].as<std::string>();
  write(conf, kubeconfigText(user, read("pki/ca.crt"), keyPem(key.get())));
  write(conf + ".csr", makeCsrPem(key.get(), spec));
}

std::string KubeadmTree::extractClientCertificate(const std::string& conf) const {
  YAML::Node doc = YAML::Load(read(conf));
  YAML::Node data = doc["users"][0]["user"]["client-certificate-data"];
  if (!data) return "";
  std::string pem;
  if (signers::base64Decode(data.as<std::string>(), signers::Base64Rules{.skipWhitespace = true}, pem)) return "";
  write(conf + ".pem", pem);
  return path(conf + ".pem");
}

}  // namespace pkitest
