// `pki renew` on trees made by `pki init` + `pki sign`: every NotAfter moves, nothing else does.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <openssl/x509v3.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "pki/CertificateFacts.h"
#include "signers/OpenSslPem.h"
#include "tests/pki/KubeadmTree.h"
#include "tests/support/TestPki.h"

using pkitest::KubeadmTree;
using pkitest::pki;
using pkitest::pkiStdout;
using pkitest::run;

namespace fs = std::filesystem;

namespace {

std::string q(const std::string& s) { return "'" + s + "'"; }

struct Installed {
  std::string name;
  std::string file;  // pki/*.crt, or the kubeconfig
  std::string caFile;
};

// kubeadm's `certs renew` names (plus kubelet.conf), where each certificate lives, and its CA.
const std::vector<Installed>& installed() {
  static const std::vector<Installed> list = {
      {"apiserver", "pki/apiserver.crt", "pki/ca.crt"},
      {"apiserver-kubelet-client", "pki/apiserver-kubelet-client.crt", "pki/ca.crt"},
      {"apiserver-etcd-client", "pki/apiserver-etcd-client.crt", "pki/etcd/ca.crt"},
      {"front-proxy-client", "pki/front-proxy-client.crt", "pki/front-proxy-ca.crt"},
      {"etcd-server", "pki/etcd/server.crt", "pki/etcd/ca.crt"},
      {"etcd-peer", "pki/etcd/peer.crt", "pki/etcd/ca.crt"},
      {"etcd-healthcheck-client", "pki/etcd/healthcheck-client.crt", "pki/etcd/ca.crt"},
      {"admin.conf", "admin.conf", "pki/ca.crt"},
      {"super-admin.conf", "super-admin.conf", "pki/ca.crt"},
      {"kubelet.conf", "kubelet.conf", "pki/ca.crt"},
      {"controller-manager.conf", "controller-manager.conf", "pki/ca.crt"},
      {"scheduler.conf", "scheduler.conf", "pki/ca.crt"},
  };
  return list;
}

// Everything a renewal may not change, and what it must.
struct Snapshot {
  std::string subject, issuer;
  std::vector<std::string> dns, ips, otherEku;
  bool ca, ku, ds, ke, certSign, serverAuth, clientAuth;
  std::string publicKey;
  std::chrono::system_clock::time_point notAfter;
  std::string serial;
  std::string pemPath;  // the certificate as a file, for openssl
};

Snapshot snapshot(const KubeadmTree& t, const Installed& i) {
  std::string pemPath = i.file.ends_with(".conf") ? t.extractClientCertificate(i.file) : t.path(i.file);
  REQUIRE_MESSAGE(!pemPath.empty(), i.name);
  auto cert = testpki::parseCertPem(t.read(fs::path(pemPath).lexically_relative(t.root()).string()));
  auto f = csrop::pki::certificateFacts(cert.get());
  signers::BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  signers::OpenSslStringPtr hex(BN_bn2hex(serial.get()));
  return {f.subject,
          f.issuer,
          f.dnsNames,
          f.ipAddresses,
          f.otherExtKeyUsages,
          f.isCa,
          f.hasKeyUsage,
          f.digitalSignature,
          f.keyEncipherment,
          f.certSign,
          f.serverAuth,
          f.clientAuth,
          testpki::publicKeyPem(X509_get0_pubkey(cert.get())),
          f.notAfter,
          hex.get(),
          pemPath};
}

std::map<std::string, Snapshot> snapshotAll(const KubeadmTree& t) {
  std::map<std::string, Snapshot> out;
  for (const auto& i : installed()) out.emplace(i.name, snapshot(t, i));
  return out;
}

void checkOnlyValidityChanged(const Snapshot& before, const Snapshot& after, bool sameKey) {
  CHECK(after.subject == before.subject);
  CHECK(after.issuer == before.issuer);
  CHECK(after.dns == before.dns);
  CHECK(after.ips == before.ips);
  CHECK(after.otherEku == before.otherEku);
  CHECK(after.ca == before.ca);
  CHECK(after.ku == before.ku);
  CHECK(after.ds == before.ds);
  CHECK(after.ke == before.ke);
  CHECK(after.certSign == before.certSign);
  CHECK(after.serverAuth == before.serverAuth);
  CHECK(after.clientAuth == before.clientAuth);
  CHECK((after.publicKey == before.publicKey) == sameKey);
  CHECK(after.notAfter != before.notAfter);
  CHECK(after.serial != before.serial);
}

// Every file of the tree, to prove that nothing was written.
std::map<std::string, std::string> files(const KubeadmTree& t) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(t.root())) {
    if (e.is_regular_file() && e.path().extension() != ".pem") {
      out[e.path().lexically_relative(t.root()).string()] = t.read(e.path().lexically_relative(t.root()).string());
    }
  }
  return out;
}

void requireSignedTree(const KubeadmTree& t, int days) {
  auto sign = pki("sign --dir " + q(t.root().string()) + " --days " + std::to_string(days));
  INFO(sign.output);
  REQUIRE(sign.exitCode == 0);
}

}  // namespace

TEST_CASE("renew all: every NotAfter moves, subject, SANs, usages, key and issuer stay, verify, openssl and check-expiration agree") {
  KubeadmTree t;
  const std::string dir = q(t.root().string());
  requireSignedTree(t, 30);
  const auto before = snapshotAll(t);
  const auto keysBefore = files(t);
  auto expirationBefore = nlohmann::json::parse(pkiStdout("check-expiration --dir " + dir + " -o json").output);

  auto renew = pki("renew all --dir " + dir);
  INFO(renew.output);
  REQUIRE(renew.exitCode == 0);
  CHECK(renew.output.find("12 certificate(s) renewed") != std::string::npos);
  CHECK(renew.output.find("renewed pki/apiserver.crt (apiserver): CN=kube-apiserver, by ca, same key") != std::string::npos);
  CHECK(renew.output.find("renewed super-admin.conf (super-admin.conf)") != std::string::npos);

  const auto after = snapshotAll(t);
  for (const auto& i : installed()) {
    INFO(i.name);
    checkOnlyValidityChanged(before.at(i.name), after.at(i.name), true);
    // 30 days before, kubeadm's 365 days now.
    CHECK(after.at(i.name).notAfter - before.at(i.name).notAfter > std::chrono::hours(24 * 330));
    auto verified = run("openssl verify -CAfile " + q(t.path(i.caFile)) + " " + q(after.at(i.name).pemPath));
    INFO(verified.output);
    CHECK(verified.exitCode == 0);
  }
  // Same keys: every .key file and every client-key-data is as it was.
  const auto keysAfter = files(t);
  for (const auto& [path, content] : keysBefore) {
    if (path.ends_with(".key")) CHECK_MESSAGE(keysAfter.at(path) == content, path);
  }
  auto verify = pki("verify --dir " + dir);
  INFO(verify.output);
  CHECK(verify.exitCode == 0);

  auto expirationAfter = nlohmann::json::parse(pkiStdout("check-expiration --dir " + dir + " -o json").output);
  REQUIRE(expirationAfter["certificates"].size() == expirationBefore["certificates"].size());
  for (std::size_t n = 0; n < expirationAfter["certificates"].size(); ++n) {
    const auto& a = expirationAfter["certificates"][n];
    const auto& b = expirationBefore["certificates"][n];
    INFO(a["name"]);
    CHECK(a["name"] == b["name"]);
    CHECK(a["expirationDate"] != b["expirationDate"]);
    CHECK(a["residualTime"].get<long long>() > 363LL * 86400);
  }
  CHECK(expirationAfter["certificateAuthorities"] != nlohmann::json());
}

TEST_CASE("renew --new-key: a new key of the same kind, written with its certificate, the rest as before") {
  KubeadmTree t;
  const std::string dir = q(t.root().string());
  requireSignedTree(t, 30);
  const auto before = snapshotAll(t);
  const std::string apiserverKey = t.read("pki/apiserver.key");
  for (const std::string name : {"apiserver", "admin.conf", "etcd-peer"}) {
    auto renew = pki("renew " + name + " --new-key --dir " + dir);
    INFO(renew.output);
    REQUIRE(renew.exitCode == 0);
    CHECK(renew.output.find("new key") != std::string::npos);
  }
  const auto after = snapshotAll(t);
  for (const auto& i : installed()) {
    INFO(i.name);
    const bool renewed = i.name == "apiserver" || i.name == "admin.conf" || i.name == "etcd-peer";
    if (renewed)
      checkOnlyValidityChanged(before.at(i.name), after.at(i.name), false);
    else
      CHECK(after.at(i.name).serial == before.at(i.name).serial);
  }
  CHECK(t.read("pki/apiserver.key") != apiserverKey);
  auto key = testpki::parseKeyPem(t.read("pki/apiserver.key"));
  CHECK(EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_RSA);  // the tree's apiserver key is RSA 2048
  CHECK(EVP_PKEY_get_bits(key.get()) == 2048);
  CHECK(fs::status(t.path("pki/apiserver.key")).permissions() == (fs::perms::owner_read | fs::perms::owner_write));
  auto verify = pki("verify --dir " + dir);
  INFO(verify.output);
  CHECK(verify.exitCode == 0);
}

TEST_CASE("renew --dry-run prints the plan and writes nothing") {
  KubeadmTree t;
  const std::string dir = q(t.root().string());
  requireSignedTree(t, 30);
  const auto before = files(t);
  auto dry = pki("renew all --dry-run --new-key --kubeconfig-dir " + dir + " --cert-dir " + q(t.path("pki")));
  INFO(dry.output);
  CHECK(dry.exitCode == 0);
  CHECK(dry.output.find("would renew pki/etcd/server.crt (etcd-server): CN=cp-1, by etcd-ca, new key, NotAfter ") != std::string::npos);
  CHECK(dry.output.find("dry run: 12 certificate(s) would be renewed, nothing was written") != std::string::npos);
  CHECK(files(t) == before);
}

TEST_CASE("renew refuses a certificate that breaks its profile, and then writes nothing at all") {
  KubeadmTree t;
  const std::string dir = q(t.root().string());
  requireSignedTree(t, 30);

  // The front-proxy client replaced by another certificate of the tree (wrong CA, CN and O).
  t.write("pki/front-proxy-client.crt", t.read("pki/apiserver-kubelet-client.crt"));
  t.write("pki/front-proxy-client.key", t.read("pki/apiserver-kubelet-client.key"));
  auto tampered = files(t);
  auto refused = pki("renew all --dir " + dir);
  INFO(refused.output);
  CHECK(refused.exitCode == 1);
  CHECK(refused.output.find("refused: front-proxy-client (pki/front-proxy-client.crt): breaks kubeadm's front-proxy-client profile, so it "
                            "is not renewed") != std::string::npos);
  CHECK(refused.output.find("issued by \"CN=kubernetes-ca\", expected front-proxy-ca") != std::string::npos);
  CHECK(refused.output.find("nothing was written: 1 certificate(s) refused") != std::string::npos);
  CHECK(files(t) == tampered);
  // Renewing another certificate by name is not held up by it.
  CHECK(pki("renew apiserver --dir " + dir).exitCode == 0);

  // admin.conf carrying super-admin.conf's system:masters certificate.
  KubeadmTree t2;
  requireSignedTree(t2, 30);
  t2.write("admin.conf", t2.read("super-admin.conf"));
  auto beforeMasters = files(t2);
  auto masters = pki("renew admin.conf --dir " + q(t2.root().string()));
  INFO(masters.output);
  CHECK(masters.exitCode == 1);
  CHECK(masters.output.find("refused: admin.conf (admin.conf)") != std::string::npos);
  CHECK(masters.output.find("system:masters bypasses RBAC") != std::string::npos);
  CHECK(files(t2) == beforeMasters);
}

TEST_CASE("renew: an expired certificate is renewed, the CA keys may live offline (--ca-dir), --validity-period, unknown names") {
  KubeadmTree t;
  const std::string dir = q(t.root().string());
  requireSignedTree(t, 30);

  // An expired apiserver-etcd-client, otherwise as kubeadm's table wants it, for the tree's key.
  testpki::TestCa etcd{testpki::parseCertPem(t.read("pki/etcd/ca.crt")), testpki::parseKeyPem(t.read("pki/etcd/ca.key"))};
  testpki::LeafOptions leaf;
  leaf.subject = {{"CN", "kube-apiserver-etcd-client"}};
  leaf.extendedKeyUsages = {"clientAuth"};
  leaf.expired = true;
  leaf.keyRole = "kubeadm apiserver-etcd-client";
  t.write("pki/apiserver-etcd-client.crt", testpki::issueCert(etcd, leaf).certPem());
  auto expired = pki("verify --dir " + dir);
  CHECK(expired.output.find("DEVIATION apiserver-etcd-client: expired") != std::string::npos);

  // External CA mode: the CA keys are somewhere else.
  fs::path offline = t.root().parent_path() / (t.root().filename().string() + "-offline");
  fs::create_directories(offline / "etcd");
  for (const std::string f : {"ca", "front-proxy-ca", "etcd/ca"}) {
    fs::copy_file(t.path("pki/" + f + ".crt"), offline / (f + ".crt"));
    fs::rename(t.path("pki/" + f + ".key"), offline / (f + ".key"));
  }
  auto without = pki("renew apiserver-etcd-client --dir " + dir);
  CHECK(without.exitCode == 1);
  CHECK(without.output.find("cannot sign with etcd-ca: the etcd-ca key") != std::string::npos);
  CHECK(without.output.find("pass --ca-dir") != std::string::npos);

  const auto before = snapshotAll(t);
  auto renew = pki("renew apiserver-etcd-client --validity-period 720h --dir " + dir + " --ca-dir " + q(offline.string()));
  INFO(renew.output);
  REQUIRE(renew.exitCode == 0);
  const auto after = snapshotAll(t);
  checkOnlyValidityChanged(before.at("apiserver-etcd-client"), after.at("apiserver-etcd-client"), true);
  const auto left = after.at("apiserver-etcd-client").notAfter - std::chrono::system_clock::now();
  CHECK(left > std::chrono::hours(24 * 29));
  CHECK(left <= std::chrono::hours(24 * 30));
  for (const auto& i : installed()) {
    if (i.name != "apiserver-etcd-client") CHECK_MESSAGE(after.at(i.name).serial == before.at(i.name).serial, i.name);
  }
  CHECK(pki("verify --dir " + dir).output.find("DEVIATION apiserver-etcd-client") == std::string::npos);

  // A --ca-dir CA that is not the tree's is refused: the cluster would not trust its certificates.
  auto other = testpki::makeCa({});
  fs::path wrong = offline.string() + "-wrong";
  fs::create_directories(wrong);
  std::ofstream(wrong / "ca.crt") << other.certPem();
  std::ofstream(wrong / "ca.key") << testpki::keyPem(other.key.get());
  auto mismatch = pki("renew apiserver --dir " + dir + " --ca-dir " + q(wrong.string()));
  CHECK(mismatch.exitCode == 1);
  CHECK(mismatch.output.find("is not the ca certificate the tree trusts") != std::string::npos);

  CHECK(pki("renew etcd --dir " + dir).exitCode == 2);
  CHECK(pki("renew --dir " + dir).exitCode == 2);
  CHECK(pki("renew all --validity-period 5m --dir " + dir).exitCode == 2);
  fs::remove_all(offline);
  fs::remove_all(wrong);
}

TEST_CASE("renew refuses what a renewal would drop: a subject attribute other than CN and O, an extension kubeadm does not write") {
  KubeadmTree t;
  const std::string dir = q(t.root().string());
  requireSignedTree(t, 30);
  auto caKey = testpki::parseKeyPem(t.read("pki/front-proxy-ca.key"));
  // The tree's own front-proxy client, changed and signed again by its CA: pki verify has nothing
  // against either (its rules do not look at OU or at other extensions), but a renewal would lose them.
  auto resign = [&](const std::function<void(X509*)>& change) {
    auto cert = testpki::parseCertPem(t.read("pki/front-proxy-client.crt"));
    change(cert.get());
    REQUIRE(X509_sign(cert.get(), caKey.get(), EVP_sha256()) > 0);
    t.write("pki/front-proxy-client.crt", signers::certificatePem(cert.get()));
  };
  const std::string original = t.read("pki/front-proxy-client.crt");

  resign([](X509* cert) {
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "OU", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("ops"), -1, -1, 0);
  });
  CHECK(pki("verify --dir " + dir).exitCode == 0);
  auto withOu = pki("renew front-proxy-client --dir " + dir);
  INFO(withOu.output);
  CHECK(withOu.exitCode == 1);
  CHECK(withOu.output.find("refused: front-proxy-client (pki/front-proxy-client.crt): the subject carries OU; kubeadm's certificates carry "
                           "only CN and O") != std::string::npos);

  t.write("pki/front-proxy-client.crt", original);
  resign([](X509* cert) {
    signers::X509ExtensionPtr comment(X509V3_EXT_conf_nid(nullptr, nullptr, NID_netscape_comment, "issued by hand"));
    REQUIRE(comment);
    REQUIRE(X509_add_ext(cert, comment.get(), -1) == 1);
  });
  CHECK(pki("verify --dir " + dir).exitCode == 0);
  const auto before = files(t);
  auto withExtension = pki("renew all --dir " + dir);
  INFO(withExtension.output);
  CHECK(withExtension.exitCode == 1);
  CHECK(withExtension.output.find("it carries the extension nsComment, which kubeadm's certificates do not; a renewal would drop it") !=
        std::string::npos);
  CHECK(files(t) == before);

  t.write("pki/front-proxy-client.crt", original);
  CHECK(pki("renew front-proxy-client --dir " + dir).exitCode == 0);
}
