// check-config checks what run checks (issue 16): duplicate keys in the reader itself, every form of
// http.bindAddress, and the CAs as their signers load them (controller/StartChecks.h).
#include "controller/Commands.h"
#include "controller/ConfigLoader.h"
#include "controller/StartChecks.h"
#include "tests/controller/FakeEnvironment.h"
#include "tests/support/TestPki.h"

#include <doctest/doctest.h>

#include <functional>
#include <sstream>

using csrop::ConfigFileError;
using csrop::parseConfigText;

namespace {

std::string errorOf(const std::string& yaml, const std::vector<csrop::ConfigOverride>& overrides = {}) {
  try {
    parseConfigText(yaml, "c.yaml", overrides);
  } catch (const ConfigFileError& e) {
    return e.what();
  }
  return "";
}

// A signer entry of signers.list with the given files.
std::string signerList(const std::string& name, const std::string& cert, const std::string& key, const std::string& extra = "") {
  return "signers:\n  list:\n    - signerName: " + name + "\n      caCertFile: " + cert + "\n      caKeyFile: " + key + "\n" + extra;
}

struct Checked {
  int code;
  std::string out, err;
};

Checked checkConfig(const std::string& file) {
  std::ostringstream out, err;
  const configtest::FakeEnvironment none;
  const int code = csrop::runCommandLine({"check-config", "--config", file}, none, out, err, [](const csrop::CommandLine&) { return 99; });
  return {code, out.str(), err.str()};
}

}  // namespace

TEST_CASE("config checks: a key written twice is an error with both lines, anywhere in the document and in a --set") {
  CHECK(errorOf("workers: 2\nworkers: 3\n") ==
        "c.yaml:2: key 'workers' is written twice in one mapping (first on line 1); YAML would keep only one of them silently: "
        "remove the other");
  CHECK(errorOf("approver:\n  kubeletServing:\n    maxDNSNames: 1\n    checks: {}\n    maxDNSNames: 2\n")
            .rfind("c.yaml:5: key 'maxDNSNames'", 0) == 0);
  CHECK(errorOf("signers:\n  list:\n    - signerName: a/b\n      signerName: c/d\n").rfind("c.yaml:4: key 'signerName'", 0) == 0);
  CHECK(errorOf("client: {qps: 1, qps: 2}\n").rfind("c.yaml:1: key 'qps'", 0) == 0);
  CHECK(
      errorOf("", {{"client", "{qps: 1, qps: 2}"}}) ==
      "--set client={qps: 1, qps: 2}: key 'qps' is written twice in one mapping; YAML would keep only one of them silently: remove the other");
  // The same key in two mappings is not a duplicate; an alias walked once per anchor, not per use.
  CHECK(errorOf("client: {qps: 1}\nleaderElection: {enabled: false}\napprover: {kubeletClient: {enabled: false}}\n") == "");
  std::string bomb = "x0: &a0 [1, 1, 1, 1, 1, 1, 1, 1]\n";
  for (int i = 1; i < 30; ++i)
    bomb += "x" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) + ", *a" + std::to_string(i - 1) +
            ", *a" + std::to_string(i - 1) + "]\n";
  CHECK(errorOf(bomb).find("unknown key 'x0'") != std::string::npos);
}

TEST_CASE("config checks: http.bindAddress is read in every form run binds, and refused at load otherwise") {
  for (const std::string ok : {":8080", "127.0.0.1:8080", "0.0.0.0:0", "[::]:8080", "[::1]:65535", "[fd00::1]:9090"}) {
    CAPTURE(ok);
    CHECK(errorOf("http: {bindAddress: '" + ok + "'}\n") == "");
  }
  CHECK(errorOf("http: {bindAddress: '8080'}\n") ==
        "c.yaml:1: http.bindAddress is '8080', which has no port; write host:port, [ipv6]:port or :port, e.g. :8080 or 127.0.0.1:8080");
  CHECK(errorOf("http:\n  bindAddress: localhost:8080\n") ==
        "c.yaml:2: http.bindAddress is 'localhost:8080', which has the host 'localhost', which is not an IP address; write host:port, "
        "[ipv6]:port or :port, e.g. :8080 or 127.0.0.1:8080");
  for (const std::string bad : {":http", ":65536", "1.2.3.4:", ":-1", ": 80", "[::1]", "10.0.0.300:80", ":+80"}) {
    CAPTURE(bad);
    CHECK(errorOf("http: {bindAddress: '" + bad + "'}\n").rfind("c.yaml:1: http.bindAddress is '" + bad + "', which has ", 0) == 0);
  }
  CHECK(errorOf("", {{"http.bindAddress", "8080", "--http-bind-address", csrop::OverrideForm::Text}})
            .rfind("--http-bind-address: http.bindAddress is '8080', which has no port", 0) == 0);
}

TEST_CASE("config checks: check-config loads every CA as run does, and reports each problem with its signer") {
  testpki::TempDir dir;
  const auto ca = testpki::makeCa({});
  const auto cert = dir.write("ca.crt", ca.certPem());
  const auto key = dir.write("ca.key", testpki::keyPem(ca.key.get()));
  const auto caWith = [](const std::function<void(testpki::CaOptions&)>& set) {
    testpki::CaOptions o;
    set(o);
    return testpki::makeCa(o);
  };
  const auto other = caWith([](auto& o) { o.commonName = "other"; });
  const auto otherKey = dir.write("other.key", testpki::keyPem(other.key.get()));
  const auto expired = caWith([](auto& o) { o.expired = true; });
  const auto expiredCert = dir.write("expired.crt", expired.certPem());
  const auto expiredKey = dir.write("expired.key", testpki::keyPem(expired.key.get()));
  const auto notCa = caWith([](auto& o) { o.basicConstraintsCa = false; });
  const auto notCaCert = dir.write("notca.crt", notCa.certPem());
  const auto notCaKey = dir.write("notca.key", testpki::keyPem(notCa.key.get()));
  const auto garbage = dir.write("garbage.crt", "not a certificate\n");
  const std::string serving = "kubernetes.io/kubelet-serving";

  struct Case {
    std::string yaml;
    std::string problem;  // a part of the one problem reported
  };
  const std::vector<Case> cases = {
      {signerList(serving, dir.path().string() + "/missing.crt", key),
       "cannot read CA certificate file " + dir.path().string() + "/missing.crt"},
      {signerList(serving, garbage, key), "garbage.crt"},
      {signerList(serving, cert, otherKey), "does not match the certificate"},
      {signerList(serving, expiredCert, expiredKey), "has expired"},
      {signerList(serving, notCaCert, notCaKey), "notca.crt"},
      {signerList("example.com/custom", cert, key), "allowedUsages must list at least one usage"},
      {"podCertificates:\n  signers:\n    - signerName: example.com/pods\n      caCertFile: " + garbage + "\n      caKeyFile: " + key +
           "\n      allowedNamespaces: [shop]\n",
       "podCertificates signer example.com/pods cannot start"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.yaml);
    const auto file = dir.write("c.yaml", c.yaml);
    const auto problems = csrop::startProblems(parseConfigText(c.yaml, file));
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].find(c.problem) != std::string::npos);
    const auto checked = checkConfig(file);
    CHECK(checked.code == 1);
    CHECK(checked.err == "csr-operator: " + file + ": " + problems[0] + "\n");
    CHECK(checked.out.empty());
  }
  // --config-only checks the file and flags alone, away from the CA mounts.
  {
    std::ostringstream out, err;
    const configtest::FakeEnvironment none;
    const auto file = dir.write("missing.yaml", signerList(serving, dir.path().string() + "/missing.crt", key));
    CHECK(csrop::runCommandLine({"check-config", "--config-only", "--config", file}, none, out, err,
                                [](const csrop::CommandLine&) { return 99; }) == 0);
    CHECK(err.str().empty());
  }
  // Two broken signers: both reported, not only the first.
  const auto both = signerList(serving, garbage, key) +
                    "    - signerName: kubernetes.io/kube-apiserver-client-kubelet\n      caCertFile: " + expiredCert +
                    "\n      caKeyFile: " + expiredKey + "\n";
  CHECK(csrop::startProblems(parseConfigText(both, "c.yaml")).size() == 2);

  const auto good = dir.write("good.yaml", signerList(serving, cert, key));
  const auto checked = checkConfig(good);
  CHECK(checked.code == 0);
  CHECK(checked.out.rfind("configuration " + good + " is valid\n", 0) == 0);
  CHECK(checked.err.empty());
}
