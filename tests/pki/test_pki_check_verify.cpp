#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "pki/PkiCheckExpiration.h"
#include "tests/pki/KubeadmTree.h"
#include "tests/support/TestPki.h"

using pkitest::KubeadmTree;
using pkitest::pki;
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
  auto before = pki("check-expiration --dir " + dir);
  INFO(before.output);
  CHECK(before.exitCode == 0);
  CHECK(before.output.find("!MISSING! apiserver\n") != std::string::npos);

  REQUIRE(pki("sign --dir " + dir + " --days 365").exitCode == 0);
  auto table = pki("check-expiration --dir " + dir);
  INFO(table.output);
  CHECK(table.exitCode == 0);
  CHECK(table.output.rfind("CERTIFICATE", 0) == 0);
  CHECK(table.output.find("EXPIRES") != std::string::npos);
  CHECK(table.output.find("RESIDUAL TIME") != std::string::npos);
  CHECK(table.output.find("EXTERNALLY MANAGED") != std::string::npos);
  CHECK(table.output.find("364d") != std::string::npos);
  CHECK(table.output.find("front-proxy-client") != std::string::npos);
  CHECK(table.output.find("front-proxy-ca") != std::string::npos);
  CHECK(table.output.find("super-admin.conf") != std::string::npos);
  CHECK(table.output.find("UTC") != std::string::npos);
  CHECK(table.output.find("9y") != std::string::npos);
  CHECK(table.output.find("MISSING") == std::string::npos);
  // Alphabetical like kubeadm: admin.conf first, the CA table after a blank line.
  CHECK(table.output.find("admin.conf") < table.output.find("apiserver "));
  CHECK(table.output.find("\n\nCERTIFICATE AUTHORITY") != std::string::npos);

  auto soon = pki("check-expiration --dir " + dir + " --warn-within 400d");
  CHECK(soon.exitCode == 1);
  CHECK(soon.output.find("expiring soon: apiserver") != std::string::npos);
  CHECK(soon.output.find("expiring soon: ca ") == std::string::npos);

  auto json = pki("check-expiration --dir " + dir + " --output json --warn-within 11y 2>/dev/null");
  REQUIRE(json.exitCode == 1);
  auto doc = nlohmann::json::parse(json.output.substr(0, json.output.rfind('}') + 1));
  CHECK(doc["kind"] == "CertificateExpirationInfo");
  CHECK(doc["certificates"].size() == 12);  // the 11 of kubeadm plus kubelet.conf once a certificate is embedded
  CHECK(doc["certificateAuthorities"].size() == 3);
  bool sawEtcd = false;
  for (const auto& c : doc["certificates"]) {
    CHECK(c["missing"] == false);
    CHECK(c["expiringWithinThreshold"] == true);
    if (c["name"] == "etcd-server") {
      sawEtcd = true;
      CHECK(c["caName"] == "etcd-ca");
      CHECK(c["residualTime"].get<long long>() > 363LL * 86400 * 1000000000LL);
    }
  }
  CHECK(sawEtcd);

  std::string crt = t.read("pki/apiserver.crt");
  t.write("pki/apiserver.crt", crt.substr(0, crt.size() / 3));
  auto broken = pki("check-expiration --dir " + dir);
  CHECK(broken.exitCode == 1);
  CHECK(broken.output.find("!INVALID! apiserver") != std::string::npos);
  CHECK(broken.output.find("pki/apiserver.crt does not hold a PEM certificate (truncated or corrupt?)") != std::string::npos);
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
