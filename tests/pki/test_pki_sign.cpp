#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>

#include "tests/pki/KubeadmTree.h"
#include "tests/support/TestPki.h"

using pkitest::KubeadmTree;
using pkitest::pki;
using pkitest::run;

namespace {

std::string q(const std::string& s) { return "'" + s + "'"; }

void requireVerifies(const KubeadmTree& t, const std::string& caFile, const std::string& certFile) {
  auto r = run("openssl verify -CAfile " + q(t.path(caFile)) + " " + q(certFile));
  INFO(certFile << ": " << r.output);
  CHECK(r.exitCode == 0);
  CHECK(r.output.find(": OK") != std::string::npos);
}

std::string x509Text(const std::string& file) { return run("openssl x509 -text -noout -in '" + file + "'").output; }

}  // namespace

TEST_CASE("pki sign signs every kubeadm CSR with its CA and profile and embeds kubeconfig certificates") {
  KubeadmTree t;
  auto dry = pki("sign --dir " + q(t.root().string()) + " --dry-run");
  INFO(dry.output);
  REQUIRE(dry.exitCode == 0);
  CHECK(dry.output.find("would sign pki/apiserver.csr -> pki/apiserver.crt with ca") != std::string::npos);
  CHECK(dry.output.find("12 certificate(s) would be signed") != std::string::npos);
  CHECK_FALSE(t.exists("pki/apiserver.crt"));

  auto signed_ = pki("sign --dir " + q(t.root().string()) + " --days 200");
  INFO(signed_.output);
  REQUIRE(signed_.exitCode == 0);
  CHECK(signed_.output.find("12 certificate(s) signed") != std::string::npos);

  requireVerifies(t, "pki/ca.crt", t.path("pki/apiserver.crt"));
  requireVerifies(t, "pki/ca.crt", t.path("pki/apiserver-kubelet-client.crt"));
  requireVerifies(t, "pki/etcd/ca.crt", t.path("pki/apiserver-etcd-client.crt"));
  requireVerifies(t, "pki/etcd/ca.crt", t.path("pki/etcd/server.crt"));
  requireVerifies(t, "pki/etcd/ca.crt", t.path("pki/etcd/peer.crt"));
  requireVerifies(t, "pki/etcd/ca.crt", t.path("pki/etcd/healthcheck-client.crt"));
  requireVerifies(t, "pki/front-proxy-ca.crt", t.path("pki/front-proxy-client.crt"));
  // Signed by the wrong CA must not verify: the front-proxy client is not a kubernetes-ca certificate.
  CHECK(run("openssl verify -CAfile " + q(t.path("pki/ca.crt")) + " " + q(t.path("pki/front-proxy-client.crt"))).exitCode != 0);

  auto apiserver = x509Text(t.path("pki/apiserver.crt"));
  CHECK(apiserver.find("Subject: CN = kube-apiserver") != std::string::npos);
  CHECK(apiserver.find("Issuer: CN = kubernetes-ca") != std::string::npos);
  CHECK(apiserver.find("TLS Web Server Authentication") != std::string::npos);
  CHECK(apiserver.find("TLS Web Client Authentication") == std::string::npos);
  CHECK(apiserver.find("Digital Signature, Key Encipherment") != std::string::npos);
  CHECK(apiserver.find("DNS:kubernetes.default.svc.cluster.local") != std::string::npos);
  CHECK(apiserver.find("IP Address:10.96.0.1") != std::string::npos);
  CHECK(apiserver.find("CA:FALSE") != std::string::npos);

  auto etcdServer = x509Text(t.path("pki/etcd/server.crt"));
  CHECK(etcdServer.find("TLS Web Server Authentication, TLS Web Client Authentication") != std::string::npos);
  CHECK(etcdServer.find("IP Address:127.0.0.1") != std::string::npos);
  CHECK(etcdServer.find("Issuer: CN = etcd-ca") != std::string::npos);

  auto kubeletClient = x509Text(t.path("pki/apiserver-kubelet-client.crt"));
  CHECK(kubeletClient.find("O = kubeadm:cluster-admins, CN = kube-apiserver-kubelet-client") != std::string::npos);
  CHECK(kubeletClient.find("TLS Web Client Authentication") != std::string::npos);
  CHECK(kubeletClient.find("Subject Alternative Name") == std::string::npos);

  for (const auto& [conf, subject] :
       std::vector<std::pair<std::string, std::string>>{{"admin.conf", "O = kubeadm:cluster-admins, CN = kubernetes-admin"},
                                                        {"super-admin.conf", "O = system:masters, CN = kubernetes-super-admin"},
                                                        {"kubelet.conf", "O = system:nodes, CN = system:node:cp-1"},
                                                        {"controller-manager.conf", "CN = system:kube-controller-manager"},
                                                        {"scheduler.conf", "CN = system:kube-scheduler"}}) {
    std::string pem = t.extractClientCertificate(conf);
    INFO(conf);
    REQUIRE_FALSE(pem.empty());
    requireVerifies(t, "pki/ca.crt", pem);
    auto text = x509Text(pem);
    CHECK(text.find("Subject: " + subject + "\n") != std::string::npos);
    CHECK(text.find("TLS Web Client Authentication") != std::string::npos);
    CHECK(std::filesystem::exists(t.path(conf)));
    CHECK_FALSE(t.exists(conf + ".crt"));
  }
  // kubectl must still read the rewritten kubeconfig: the key stays and matches the certificate.
  auto match = run("openssl x509 -noout -pubkey -in " + q(t.path("admin.conf.pem")));
  CHECK(match.exitCode == 0);

  auto again = pki("sign --dir " + q(t.root().string()));
  INFO(again.output);
  CHECK(again.exitCode == 0);
  CHECK(again.output.find("0 certificate(s) signed, 12 already signed") != std::string::npos);
}

TEST_CASE("pki sign in External CA mode reads the CA keys from --ca-dir") {
  KubeadmTree t;
  std::filesystem::path offline = t.root().parent_path() / (t.root().filename().string() + "-offline");
  std::filesystem::create_directories(offline / "etcd");
  for (const std::string f : {"ca", "front-proxy-ca", "etcd/ca"}) {
    std::filesystem::copy_file(t.path("pki/" + f + ".crt"), offline / (f + ".crt"));
    std::filesystem::rename(t.path("pki/" + f + ".key"), offline / (f + ".key"));
  }
  auto without = pki("sign --dir " + q(t.root().string()));
  CHECK(without.exitCode == 1);
  CHECK(without.output.find("pki/apiserver.csr: cannot sign with ca") != std::string::npos);
  CHECK(without.output.find("pass --ca-dir") != std::string::npos);

  auto with = pki("sign --dir " + q(t.root().string()) + " --ca-dir " + q(offline.string()));
  INFO(with.output);
  CHECK(with.exitCode == 0);
  requireVerifies(t, "pki/ca.crt", t.path("pki/apiserver.crt"));

  auto table = pki("check-expiration --dir " + q(t.root().string()));
  INFO(table.output);
  CHECK(table.exitCode == 0);
  CHECK(table.output.find("yes") != std::string::npos);
  std::filesystem::remove_all(offline);
}

TEST_CASE("pki init creates intermediates under a given root") {
  KubeadmTree scratch;  // only for its temporary folder
  std::string rootKey = scratch.path("root.key"), rootCert = scratch.path("root.crt");
  testpki::CaOptions rootOptions;
  rootOptions.commonName = "offline-root";
  rootOptions.lifetime = std::chrono::hours(24 * 30);
  rootOptions.keyRole = "offline-root";
  auto root = testpki::makeCa(rootOptions);
  scratch.write("root.key", testpki::keyPem(root.key.get()));
  scratch.write("root.crt", root.certPem());
  std::string dir = scratch.path("cluster");
  auto init = pki("init --dir " + q(dir) + " --root-ca " + q(rootCert) + " --root-key " + q(rootKey));
  INFO(init.output);
  REQUIRE(init.exitCode == 0);
  CHECK(init.output.find("intermediate") != std::string::npos);
  for (const std::string ca : {"ca.crt", "etcd/ca.crt", "front-proxy-ca.crt"}) {
    auto v = run("openssl verify -CAfile " + q(rootCert) + " " + q(dir + "/pki/" + ca));
    INFO(ca << ": " << v.output);
    CHECK(v.exitCode == 0);
  }
  auto text = x509Text(dir + "/pki/etcd/ca.crt");
  CHECK(text.find("Subject: CN = etcd-ca") != std::string::npos);
  CHECK(text.find("CA:TRUE, pathlen:0") != std::string::npos);
  CHECK(run("openssl rsa -in " + q(dir + "/pki/sa.key") + " -pubout 2>/dev/null | cmp - " + q(dir + "/pki/sa.pub")).exitCode == 0);

  // Existing pairs are kept, as kubeadm does.
  auto before = scratch.read("cluster/pki/ca.crt");
  auto again = pki("init --dir " + q(dir));
  CHECK(again.exitCode == 0);
  CHECK(again.output.find("kept existing ca") != std::string::npos);
  CHECK(scratch.read("cluster/pki/ca.crt") == before);

  auto half = pki("init --dir " + q(dir) + " --root-ca " + q(rootCert));
  CHECK(half.exitCode == 2);
  CHECK(half.output.find("--root-ca and --root-key go together") != std::string::npos);
}
