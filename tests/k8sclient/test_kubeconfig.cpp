#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <fstream>
#include <thread>

#include "k8sclient/Base64.h"
#include "k8sclient/KubeConfigLoader.h"
#include "k8sclient/TokenSource.h"

using namespace k8s;
namespace fs = std::filesystem;

namespace {
const std::string kCa = "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n";
const std::string kCert = "-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n";
const std::string kKey = "-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n";

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "k8sclient-test-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path, fs::perms::owner_all, ec);
    fs::remove_all(path, ec);
  }
  fs::path write(const std::string& name, const std::string& content) const {
    fs::path p = path / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
};

std::string dataConfig() {
  return "apiVersion: v1\nkind: Config\ncurrent-context: main\n"
         "clusters:\n"
         "- name: c1\n  cluster:\n    server: https://10.0.0.1:6443/\n    certificate-authority-data: " +
         base64Encode(kCa) +
         "\n    tls-server-name: api.internal\n"
         "- name: c2\n  cluster:\n    server: https://other:443\n    certificate-authority: pki/ca.crt\n"
         "contexts:\n"
         "- name: main\n  context:\n    cluster: c1\n    user: admin\n    namespace: ops\n"
         "- name: files\n  context:\n    cluster: c2\n    user: filer\n"
         "- name: tok\n  context:\n    cluster: c2\n    user: tokens\n"
         "users:\n"
         "- name: admin\n  user:\n    client-certificate-data: " +
         base64Encode(kCert) + "\n    client-key-data: " + base64Encode(kKey) +
         "\n"
         "- name: filer\n  user:\n    client-certificate: pki/admin.crt\n    client-key: pki/admin.key\n"
         "- name: tokens\n  user:\n    token: abc123\n    tokenFile: pki/token\n";
}

void requireConfigError(const std::function<void()>& f, const std::string& fieldPart, const std::string& problemPart) {
  try {
    f();
    FAIL("expected ConfigError");
  } catch (const ConfigError& e) {
    INFO(std::string(e.what()));
    CHECK(e.field().find(fieldPart) != std::string::npos);
    CHECK(e.problem().find(problemPart) != std::string::npos);
    CHECK_FALSE(e.file().empty());
    CHECK_FALSE(e.fix().empty());
  }
}

struct EnvGuard {
  std::string name;
  std::optional<std::string> old;
  EnvGuard(std::string n, const char* value) : name(std::move(n)) {
    if (const char* o = std::getenv(name.c_str())) old = o;
    if (value)
      setenv(name.c_str(), value, 1);
    else
      unsetenv(name.c_str());
  }
  ~EnvGuard() {
    if (old)
      setenv(name.c_str(), old->c_str(), 1);
    else
      unsetenv(name.c_str());
  }
};
}  // namespace

TEST_CASE("kubeconfig: current context with -data forms") {
  TempDir d;
  auto p = d.write("kubeconfig", dataConfig());
  RestConfig c = loadKubeConfig(p.string());
  CHECK(c.server == "https://10.0.0.1:6443");
  CHECK(c.caPem == kCa);
  CHECK(c.tlsServerName == "api.internal");
  CHECK(c.clientCertPem == kCert);
  CHECK(c.clientKeyPem == kKey);
  CHECK(c.namespace_ == "ops");
  CHECK_FALSE(c.insecureSkipTlsVerify);
  CHECK(c.userAgent.rfind("csr-operator/", 0) == 0);
  CHECK(c.source.find("main") != std::string::npos);
}

TEST_CASE("kubeconfig: explicit context with files relative to the kubeconfig folder") {
  TempDir d;
  d.write("pki/ca.crt", kCa);
  d.write("pki/admin.crt", kCert);
  d.write("pki/admin.key", kKey);
  d.write("pki/token", "filetoken\n");
  auto p = d.write("sub/../kubeconfig", dataConfig());
  RestConfig c = loadKubeConfig(p.string(), "files");
  CHECK(c.server == "https://other:443");
  CHECK(c.caPem == kCa);
  CHECK(c.clientCertPem == kCert);
  CHECK(c.clientKeyPem == kKey);

  RestConfig t = loadKubeConfig(p.string(), "tok");
  CHECK(t.token == "abc123");
  CHECK(fs::path(t.tokenFile) == d.path / "pki/token");
  TokenSource ts(t.token, t.tokenFile);
  CHECK(ts.token() == "filetoken");
}

TEST_CASE("kubeconfig: errors name file field and problem") {
  TempDir d;
  auto write = [&](const std::string& text) { return d.write("kc", text).string(); };
  std::string base = dataConfig();

  requireConfigError([&] { loadKubeConfig((d.path / "missing").string()); }, "(file)", "does not exist");
  requireConfigError([&] { loadKubeConfig(write("clusters: [\n  - {name: x\n")); }, "(yaml)", "line");
  requireConfigError([&] { loadKubeConfig(write("just a string\n")); }, "(document)", "not a YAML mapping");
  requireConfigError([&] { loadKubeConfig(write("apiVersion: v1\nclusters: []\n")); }, "current-context", "not set");
  requireConfigError([&] { loadKubeConfig(write(base), "nope"); }, "contexts", "no entry named 'nope'");

  std::string noServer = base;
  noServer.replace(noServer.find("server: https://10.0.0.1:6443/"), 30, "insecure-skip-tls-verify: false");
  requireConfigError([&] { loadKubeConfig(write(noServer)); }, "clusters[name=c1].cluster.server", "missing");

  std::string badServer = base;
  badServer.replace(badServer.find("https://10.0.0.1:6443/"), 22, "ftp://x");
  requireConfigError([&] { loadKubeConfig(write(badServer)); }, "server", "not an http(s) URL");

  std::string badB64 = base;
  badB64.replace(badB64.find("certificate-authority-data: ") + 28, 4, "ab.-");
  requireConfigError([&] { loadKubeConfig(write(badB64)); }, "certificate-authority-data", "not valid base64");

  std::string notPem = base;
  std::string caB64 = base64Encode(kCa);
  notPem.replace(notPem.find(caB64), caB64.size(), base64Encode("hello"));
  requireConfigError([&] { loadKubeConfig(write(notPem)); }, "certificate-authority", "PEM");

  requireConfigError([&] { loadKubeConfig(write(base), "files"); }, "certificate-authority", "does not exist");

  std::string halfPair = base;
  halfPair.replace(halfPair.find("    client-key: pki/admin.key\n"), 30, "");
  d.write("pki/ca.crt", kCa);
  d.write("pki/admin.crt", kCert);
  requireConfigError([&] { loadKubeConfig(write(halfPair), "files"); }, "client-key", "missing");

  std::string exec =
      "apiVersion: v1\ncurrent-context: x\nclusters:\n- name: c\n  cluster:\n    server: https://a\n"
      "contexts:\n- name: x\n  context:\n    cluster: c\n    user: u\n"
      "users:\n- name: u\n  user:\n    exec:\n      command: aws\n";
  requireConfigError([&] { loadKubeConfig(write(exec)); }, "users[name=u].user.exec", "not supported");

  std::string noUser = exec.substr(0, exec.find("users:"));
  requireConfigError([&] { loadKubeConfig(write(noUser)); }, "users", "no entry named 'u'");

  std::string badBool =
      "apiVersion: v1\ncurrent-context: x\nclusters:\n- name: c\n  cluster:\n    server: https://a\n"
      "    insecure-skip-tls-verify: maybe\ncontexts:\n- name: x\n  context:\n    cluster: c\n";
  requireConfigError([&] { loadKubeConfig(write(badBool)); }, "insecure-skip-tls-verify", "not a boolean");

  std::string both = badBool;
  both.replace(both.find("maybe"), 5, "true\n    certificate-authority-data: " + base64Encode(kCa));
  requireConfigError([&] { loadKubeConfig(write(both)); }, "insecure-skip-tls-verify", "together");

  std::string missingTokenFile = base;
  requireConfigError(
      [&] {
        fs::remove(d.path / "pki/token");
        loadKubeConfig(write(missingTokenFile), "tok");
      },
      "tokenFile", "cannot be read");
}

TEST_CASE("kubeconfig: insecure-skip-tls-verify is honoured when set") {
  TempDir d;
  std::string text =
      "apiVersion: v1\ncurrent-context: x\nclusters:\n- name: c\n  cluster:\n    server: https://a:1\n"
      "    insecure-skip-tls-verify: true\ncontexts:\n- name: x\n  context:\n    cluster: c\n";
  RestConfig c = loadKubeConfig(d.write("kc", text).string());
  CHECK(c.insecureSkipTlsVerify);
  CHECK(c.caPem.empty());
}

TEST_CASE("kubeconfig: unreadable file") {
  TempDir d;
  fs::create_directories(d.path / "kcdir");
  requireConfigError([&] { loadKubeConfig((d.path / "kcdir").string()); }, "(file)", "cannot be read");
  // Root reads files whatever their mode, so the permission case can only be staged for other users.
  if (geteuid() != 0) {
    auto p = d.write("kc", dataConfig());
    fs::permissions(p, fs::perms::none);
    requireConfigError([&] { loadKubeConfig(p.string()); }, "(file)", "cannot be read");
  }
}

TEST_CASE("kubeconfig: unreadable referenced file (a directory)") {
  TempDir d;
  fs::create_directories(d.path / "pki/ca.crt");
  auto p = d.write("kc", dataConfig());
  requireConfigError([&] { loadKubeConfig(p.string(), "files"); }, "certificate-authority", "cannot be read");
}

TEST_CASE("in-cluster config from environment and service account folder") {
  TempDir d;
  d.write("token", "sa-token-1\n");
  d.write("ca.crt", kCa);
  d.write("namespace", "csr-system\n");
  EnvGuard h("KUBERNETES_SERVICE_HOST", "10.96.0.1"), p("KUBERNETES_SERVICE_PORT", "443");
  RestConfig c = loadInClusterConfig(d.path.string());
  CHECK(c.server == "https://10.96.0.1:443");
  CHECK(c.caPem == kCa);
  CHECK(c.namespace_ == "csr-system");
  CHECK(c.tokenFile == (d.path / "token").string());
  CHECK(c.token.empty());

  EnvGuard h6("KUBERNETES_SERVICE_HOST", "fd00::1");
  CHECK(loadInClusterConfig(d.path.string()).server == "https://[fd00::1]:443");
}

TEST_CASE("in-cluster errors") {
  TempDir d;
  {
    EnvGuard h("KUBERNETES_SERVICE_HOST", nullptr);
    requireConfigError([&] { loadInClusterConfig(d.path.string()); }, "KUBERNETES_SERVICE_HOST", "not set");
  }
  EnvGuard h("KUBERNETES_SERVICE_HOST", "10.96.0.1");
  {
    EnvGuard p("KUBERNETES_SERVICE_PORT", nullptr);
    requireConfigError([&] { loadInClusterConfig(d.path.string()); }, "KUBERNETES_SERVICE_PORT", "not set");
  }
  EnvGuard p("KUBERNETES_SERVICE_PORT", "443");
  requireConfigError([&] { loadInClusterConfig(d.path.string()); }, "token", "cannot be read");
  d.write("token", "\n");
  requireConfigError([&] { loadInClusterConfig(d.path.string()); }, "token", "empty");
  d.write("token", "t");
  requireConfigError([&] { loadInClusterConfig(d.path.string()); }, "ca.crt", "cannot be read");
  d.write("ca.crt", "garbage");
  requireConfigError([&] { loadInClusterConfig(d.path.string()); }, "ca.crt", "PEM");
}

TEST_CASE("default config: flag then KUBECONFIG first entry") {
  TempDir d;
  auto p = d.write("kc", dataConfig());
  {
    EnvGuard k("KUBECONFIG", (p.string() + ":/nonexistent/other").c_str());
    CHECK(loadDefaultConfig(std::nullopt).server == "https://10.0.0.1:6443");
    requireConfigError([&] { loadDefaultConfig((d.path / "nope").string()); }, "(file)", "does not exist");
  }
  EnvGuard k("KUBECONFIG", nullptr);
  EnvGuard h("KUBERNETES_SERVICE_HOST", nullptr);
  EnvGuard home("HOME", d.path.c_str());
  requireConfigError([&] { loadDefaultConfig(std::nullopt); }, "kubeconfig", "no kubeconfig");
  CHECK(loadDefaultConfig(p.string()).namespace_ == "ops");
}

TEST_CASE("token file is re-read after the refresh period") {
  TempDir d;
  auto p = d.write("token", "one\n");
  TokenSource cached("", p.string(), std::chrono::seconds(3600));
  CHECK(cached.token() == "one");
  d.write("token", "two\n");
  CHECK(cached.token() == "one");
  TokenSource fresh("", p.string(), std::chrono::seconds(0));
  CHECK(fresh.token() == "two");
  d.write("token", "three");
  CHECK(fresh.token() == "three");
  fs::remove(p);
  CHECK(fresh.token() == "three");  // keeps the last good token when the file vanishes mid-rotation
  TokenSource fixed("static", "");
  CHECK(fixed.token() == "static");
}
