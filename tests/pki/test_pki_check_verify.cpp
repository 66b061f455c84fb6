#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "pki/PkiCheckExpiration.h"
#include "tests/pki/KubeadmTree.h"
#include "tests/support/TestPki.h"

using pkitest::KubeadmTree;
using pkitest::pki;
using pkitest::pkiStdout;
using pkitest::run;

namespace {

std::string q(const std::string& s) { return "'" + s + "'"; }

}  // namespace

TEST_CASE("residual time is printed like kubeadm") {
  using std::chrono::hours;
  using std::chrono::seconds;
  CHECK(csrop::pki::shortHumanDuration(seconds(-5)) == "<invalid>");
  CHECK(csrop::pki::shortHumanDuration(seconds(42)) == "42s");
  CHECK(csrop::pki::shortHumanDuration(seconds(3599)) == "59m");
  CHECK(csrop::pki::shortHumanDuration(hours(23)) == "23h");
  CHECK(csrop::pki::shortHumanDuration(hours(24 * 364)) == "364d");
  CHECK(csrop::pki::shortHumanDuration(hours(24 * 3649)) == "9y");
}

TEST_CASE("check-expiration prints kubeadm's tables and fails within the threshold") {
  KubeadmTree t;
  const std::string dir = q(t.root().string());
  // Nothing signed yet: every certificate is missing, shown as kubeadm's "!MISSING! %s\t\t\t\t"
  // row (padded through the empty cells), and that fails the check.
  auto before = pki("check-expiration --dir " + dir);
  INFO(before.output);
  CHECK(before.exitCode == 1);
  CHECK(before.output.find("\n!MISSING! apiserver     ") != std::string::npos);
  CHECK(before.output.find("missing: apiserver (pki/apiserver.crt)") != std::string::npos);
  CHECK(before.output.find("missing: ca ") == std::string::npos);

  REQUIRE(pki("sign --dir " + dir + " --days 365").exitCode == 0);
  auto table = pki("check-expiration --dir " + dir);
  INFO(table.output);
  CHECK(table.exitCode == 0);
  // Column widths as Go's tabwriter(10, 4, 3, ' ', 0) gives them: the longest name
  // (apiserver-kubelet-client, 24) + 3, the date (22) + 3, "RESIDUAL TIME" (13) + 3, "CERTIFICATE
  // AUTHORITY" (21) + 3; then kubeadm's "%-8v" yes/no.
  CHECK(table.output.rfind("CERTIFICATE" + std::string(16, ' ') + "EXPIRES" + std::string(18, ' ') +
                               "RESIDUAL TIME   CERTIFICATE AUTHORITY   EXTERNALLY MANAGED\n",
                           0) == 0);
  CHECK(table.output.find("364d            ca                      no      \n") != std::string::npos);
  CHECK(table.output.find("\nfront-proxy-client         ") != std::string::npos);
  CHECK(table.output.find("front-proxy-ca          no      \n") != std::string::npos);
  CHECK(table.output.find("super-admin.conf") != std::string::npos);
  CHECK(table.output.find(" UTC   ") != std::string::npos);
  CHECK(table.output.find("9y") != std::string::npos);
  CHECK(table.output.find("MISSING") == std::string::npos);
  // Alphabetical like kubeadm: admin.conf first, the CA table after a blank line.
  CHECK(table.output.find("admin.conf") < table.output.find("apiserver "));
  CHECK(table.output.find("\n\nCERTIFICATE AUTHORITY   EXPIRES                  RESIDUAL TIME   EXTERNALLY MANAGED\n") !=
        std::string::npos);

  auto soon = pki("check-expiration --dir " + dir + " --warn-within 400d");
  CHECK(soon.exitCode == 1);
  CHECK(soon.output.find("expiring soon: apiserver") != std::string::npos);
  CHECK(soon.output.find("expiring soon: ca ") == std::string::npos);

  std::string crt = t.read("pki/apiserver.crt");
  t.write("pki/apiserver.crt", crt.substr(0, crt.size() / 3));
  auto broken = pki("check-expiration --dir " + dir);
  CHECK(broken.exitCode == 1);
  CHECK(broken.output.find("!INVALID! apiserver") != std::string::npos);
  CHECK(broken.output.find("pki/apiserver.crt does not hold a PEM certificate (truncated or corrupt?)") != std::string::npos);
}

namespace {

// kubeadm's output.kubeadm.k8s.io/v1alpha3 types (cmd/kubeadm/app/apis/output/v1alpha3/types.go):
// CertificateExpirationInfo{TypeMeta; certificates; certificateAuthorities} and Certificate{name,
// expirationDate, residualTime (seconds), externallyManaged, caName,omitempty, missing}.
const std::vector<std::string> kInfoFields = {"kind", "apiVersion", "certificates", "certificateAuthorities"};
const std::vector<std::string> kCertificateFields = {"name", "expirationDate", "residualTime", "externallyManaged", "caName", "missing"};
const std::vector<std::string> kCaFields = {"name", "expirationDate", "residualTime", "externallyManaged", "missing"};

std::vector<std::string> keysOf(const nlohmann::ordered_json& j) {
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  return keys;
}

}  // namespace

TEST_CASE("check-expiration -o json and -o yaml: kubeadm's CertificateExpirationInfo, field for field") {
  KubeadmTree t;
  const std::string dir = q(t.root().string());
  REQUIRE(pki("sign --dir " + dir + " --days 365").exitCode == 0);
  std::filesystem::remove(t.path("pki/etcd/peer.crt"));

  auto json = pkiStdout("check-expiration --dir " + dir + " -o json");
  INFO(json.output);
  CHECK(json.exitCode == 1);  // etcd-peer is missing
  auto doc = nlohmann::ordered_json::parse(json.output);
  CHECK(keysOf(doc) == kInfoFields);
  CHECK(doc["kind"] == "CertificateExpirationInfo");
  CHECK(doc["apiVersion"] == "output.kubeadm.k8s.io/v1alpha3");
  CHECK(doc["certificates"].size() == 12);  // the 11 of kubeadm plus kubelet.conf once a certificate is embedded
  CHECK(doc["certificateAuthorities"].size() == 3);
  // kubeadm's JSON printer indents with four spaces (cli-runtime's JSONPrinter).
  CHECK(json.output.find("{\n    \"kind\": \"CertificateExpirationInfo\",\n    \"apiVersion\"") == 0);
  bool sawEtcd = false, sawPeer = false;
  for (const auto& c : doc["certificates"]) {
    if (c["name"] == "etcd-peer") {
      sawPeer = true;
      // A missing certificate is kubeadm's zero value with missing: true (metav1.Time zero is null).
      CHECK(c == nlohmann::ordered_json::parse(
                     R"({"name":"etcd-peer","expirationDate":null,"residualTime":0,"externallyManaged":false,"missing":true})"));
      continue;
    }
    CHECK(keysOf(c) == kCertificateFields);
    CHECK(c["missing"] == false);
    CHECK(c["expirationDate"].get<std::string>().size() == std::string("2026-08-19T09:03:38Z").size());
    if (c["name"] == "etcd-server") {
      sawEtcd = true;
      CHECK(c["caName"] == "etcd-ca");
      // Seconds, as ResidualTimeSeconds: 364 days and some hours of a 365-day certificate.
      CHECK(c["residualTime"].get<long long>() > 363LL * 86400);
      CHECK(c["residualTime"].get<long long>() <= 365LL * 86400);
    }
  }
  CHECK(sawEtcd);
  CHECK(sawPeer);
  for (const auto& ca : doc["certificateAuthorities"]) {
    CHECK(keysOf(ca) == kCaFields);
    CHECK(ca["externallyManaged"] == false);
  }

  // sigs.k8s.io/yaml over the same object: keys sorted, the dates quoted, null for the missing one.
  auto yaml = pkiStdout("check-expiration --dir " + dir + " --output yaml");
  INFO(yaml.output);
  CHECK(yaml.exitCode == 1);
  CHECK(yaml.output.rfind("apiVersion: output.kubeadm.k8s.io/v1alpha3\ncertificateAuthorities:\n- expirationDate: \"", 0) == 0);
  CHECK(yaml.output.find("\n  externallyManaged: false\n  missing: false\n  name: ca\n  residualTime: ") != std::string::npos);
  CHECK(yaml.output.find("\ncertificates:\n- caName: ca\n  expirationDate: \"") != std::string::npos);
  CHECK(yaml.output.find("- expirationDate: null\n  externallyManaged: false\n  missing: true\n  name: etcd-peer\n  residualTime: 0\n") !=
        std::string::npos);
  CHECK(yaml.output.find("\nkind: CertificateExpirationInfo\n") != std::string::npos);
  // The same data as the JSON, read back by a YAML parser.
  YAML::Node y = YAML::Load(yaml.output);
  CHECK(y["certificates"].size() == 12);
  CHECK(y["certificates"][0]["name"].as<std::string>() == "admin.conf");
  CHECK(y["certificates"][0]["expirationDate"].as<std::string>() == doc["certificates"][0]["expirationDate"].get<std::string>());
  // residualTime counts from each run's own clock: the YAML run came later, by at most the test's own duration.
  const auto yamlResidual = y["certificates"][0]["residualTime"].as<long long>();
  const auto jsonResidual = doc["certificates"][0]["residualTime"].get<long long>();
  CHECK(yamlResidual <= jsonResidual);
  CHECK(yamlResidual >= jsonResidual - 120);

  CHECK(pki("check-expiration --dir " + dir + " -o wide").exitCode == 2);
  CHECK(pki("check-expiration --dir " + dir + " -o json --output yaml").exitCode == 2);
}

TEST_CASE("check-expiration --cert-dir and --kubeconfig-dir need not be nested, as in kubeadm") {
  KubeadmTree t;
  REQUIRE(pki("sign --dir " + q(t.root().string())).exitCode == 0);
  const std::filesystem::path certs = t.root() / "elsewhere-pki";
  std::filesystem::rename(t.path("pki"), certs);
  auto split = pkiStdout("check-expiration --kubeconfig-dir " + q(t.root().string()) + " --cert-dir " + q(certs.string()) + " -o json");
  INFO(split.output);
  CHECK(split.exitCode == 0);
  auto doc = nlohmann::json::parse(split.output);
  for (const auto& c : doc["certificates"]) CHECK(c["missing"] == false);
  // The old --dir layout now finds no pki/ below the kubeconfig directory.
  auto nested = pki("check-expiration --dir " + q(t.root().string()));
  CHECK(nested.exitCode == 2);
  CHECK(nested.output.find("is not a directory (set --kubeconfig-dir and --cert-dir, or --dir for both)") != std::string::npos);
  CHECK(pki("check-expiration --dir " + q(t.root().string()) + " --cert-dir " + q(certs.string())).exitCode == 2);
}

TEST_CASE("verify accepts a signed tree and reports every deviation") {
  KubeadmTree t;
  const std::string dir = q(t.root().string());
  REQUIRE(pki("sign --dir " + dir).exitCode == 0);
  auto ok = pki("verify --dir " + dir);
  INFO(ok.output);
  REQUIRE(ok.exitCode == 0);
  CHECK(ok.output.find("ok: 16 item(s)") != std::string::npos);

  // A certificate from the wrong CA under the front-proxy name, and a client certificate signed
  // with openssl's default (no profile: no EKU, SANs copied blindly) under the etcd client's name.
  t.write("pki/front-proxy-client.crt", t.read("pki/apiserver-kubelet-client.crt"));
  t.write("pki/front-proxy-client.key", t.read("pki/apiserver-kubelet-client.key"));
  auto raw =
      run("openssl x509 -req -days 30 -in " + q(t.path("pki/apiserver.csr")) + " -CA " + q(t.path("pki/etcd/ca.crt")) + " -CAkey " +
          q(t.path("pki/etcd/ca.key")) + " -CAcreateserial -copy_extensions copyall -out " + q(t.path("pki/apiserver-etcd-client.crt")));
  REQUIRE(raw.exitCode == 0);
  t.write("pki/sa.pub", testpki::publicKeyPem(testpki::parseKeyPem(t.read("pki/front-proxy-ca.key")).get()));

  auto bad = pki("verify --dir " + dir);
  INFO(bad.output);
  CHECK(bad.exitCode == 1);
  CHECK(bad.output.find("DEVIATION front-proxy-client: issued by \"CN=kubernetes-ca\", expected front-proxy-ca") != std::string::npos);
  CHECK(bad.output.find("DEVIATION front-proxy-client: chain does not verify") != std::string::npos);
  CHECK(bad.output.find("DEVIATION front-proxy-client: CN is \"kube-apiserver-kubelet-client\", expected \"front-proxy-client\"") !=
        std::string::npos);
  CHECK(bad.output.find("DEVIATION front-proxy-client: subject has O=\"kubeadm:cluster-admins\", expected no O") != std::string::npos);
  CHECK(bad.output.find("DEVIATION apiserver-etcd-client: CN is \"kube-apiserver\"") != std::string::npos);
  CHECK(bad.output.find("DEVIATION apiserver-etcd-client: asks for DNS SANs") != std::string::npos);
  CHECK(bad.output.find("DEVIATION apiserver-etcd-client: ExtKeyUsage lacks clientAuth") != std::string::npos);
  CHECK(bad.output.find("DEVIATION apiserver-etcd-client: pki/apiserver-etcd-client.key does not belong") != std::string::npos);
  CHECK(bad.output.find("DEVIATION sa: pki/sa.pub is not the public half of pki/sa.key") != std::string::npos);

  std::filesystem::remove(t.path("pki/etcd/peer.crt"));
  auto missing = pki("verify --dir " + dir + " --allow-missing");
  CHECK(missing.output.find("missing   etcd-peer: pki/etcd/peer.crt is missing") != std::string::npos);
}
