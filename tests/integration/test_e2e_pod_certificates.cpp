// Pod certificates end to end (issue 14): the real csr-operator binary against the fake API
// server, which enforces what kube-apiserver 1.37 does on PodCertificateRequests and
// ClusterTrustBundles. A simulated kubelet (the node's own credentials) creates requests for pods
// of allowed and disallowed service accounts and every key type the kubelet offers; honest ones
// are issued and verified with `openssl verify` against the ClusterTrustBundle the operator
// publishes; hostile ones are denied with their reason and carry no certificate. A CA rotation
// keeps both CAs in the bundle. A second cluster serves PodCertificateRequests only as v1beta1
// (Kubernetes 1.35-1.36), where the proof of possession is the key material.
#include "FakeCluster.h"

#include <doctest/doctest.h>

#include <openssl/x509v3.h>

#include <filesystem>
#include <fstream>

using namespace itest;
using nlohmann::json;

namespace {

constexpr const char* kPods = "example.com/pods";
constexpr const char* kEdOnly = "example.com/ed-only";
constexpr const char* kBundleName = "example.com:pods:csr-operator";

std::string caFiles(const std::filesystem::path& dir, const std::string& name, const testpki::TestCa& ca) {
  const auto cert = dir / (name + ".crt"), key = dir / (name + ".key");
  std::ofstream(cert) << ca.certPem();
  std::ofstream(key) << testpki::keyPem(ca.key.get());
  return "      caCertFile: " + cert.string() + "\n      caKeyFile: " + key.string() + "\n";
}

// Writes the new CA next to the old files and renames it over them, so the reloader never reads a
// half-written pair.
void replaceCa(const std::filesystem::path& dir, const std::string& name, const testpki::TestCa& ca) {
  std::ofstream(dir / (name + ".crt.new")) << ca.certPem();
  std::ofstream(dir / (name + ".key.new")) << testpki::keyPem(ca.key.get());
  std::filesystem::rename(dir / (name + ".key.new"), dir / (name + ".key"));
  std::filesystem::rename(dir / (name + ".crt.new"), dir / (name + ".crt"));
}

const json* condition(const json& pcr) {
  const auto status = pcr.find("status");
  if (status == pcr.end() || !status->contains("conditions")) return nullptr;
  for (const auto& c : (*status)["conditions"])
    if (c.value("status", "") == "True") return &c;
  return nullptr;
}
bool decided(const json& pcr) { return condition(pcr) != nullptr; }
std::string typeOf(const json& pcr) { return decided(pcr) ? (*condition(pcr))["type"].get<std::string>() : ""; }
std::string reasonOf(const json& pcr) { return decided(pcr) ? (*condition(pcr))["reason"].get<std::string>() : ""; }

std::string bundleOf(FakeCluster& cluster) {
  for (const auto& ctb : cluster.listClusterTrustBundles(kPods))
    if (ctb["metadata"]["name"] == kBundleName) return ctb["spec"]["trustBundle"].get<std::string>();
  return {};
}

// Waits (bounded) until the published bundle holds exactly `count` certificates.
std::string awaitBundle(FakeCluster& cluster, int count, std::chrono::seconds within = std::chrono::seconds(30)) {
  std::string bundle;
  const bool reached = eventually(
      [&] {
        bundle = bundleOf(cluster);
        return !bundle.empty() && testpki::countPemCertificates(bundle) == count;
      },
      within, std::chrono::milliseconds(100));
  CHECK_MESSAGE(reached, "the ClusterTrustBundle " << kBundleName << " did not reach " << count << " certificates; it holds:\n" << bundle);
  return bundle;
}

// `openssl verify` of the issued leaf against the published bundle: what a pod trusting the
// bundle through a clusterTrustBundle projection would conclude.
void verifyAgainstBundle(const testpki::TempDir& dir, const std::string& chainPem, const std::string& bundle, const std::string& tag) {
  const auto leaf = dir.path() / (tag + "-leaf.pem"), trust = dir.path() / (tag + "-bundle.pem");
  std::ofstream(leaf) << chainPem;
  std::ofstream(trust) << bundle;
  const auto [rc, out] = testpki::runCommand("openssl verify -purpose sslclient -CAfile " + trust.string() + " " + leaf.string());
  INFO(out);
  CHECK(rc == 0);
}

// The issued leaf: for the requested key, carrying the pod's SPIFFE ID and the status times.
void checkIssued(const json& pcr, EVP_PKEY* key, const std::string& spiffeId) {
  REQUIRE(typeOf(pcr) == "Issued");
  const auto chain = pcr["status"]["certificateChain"].get<std::string>();
  const auto leaf = testpki::parseCertPem(chain);
  REQUIRE(leaf);
  CHECK(EVP_PKEY_eq(X509_get0_pubkey(leaf.get()), key) == 1);
  CHECK(X509_check_ca(leaf.get()) == 0);
  const auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf.get(), NID_subject_alt_name, nullptr, nullptr));
  REQUIRE(sans);
  bool found = false;
  for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans, i);
    if (n->type == GEN_URI)
      found |= std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.uniformResourceIdentifier)),
                           ASN1_STRING_length(n->d.uniformResourceIdentifier)) == spiffeId;
  }
  GENERAL_NAMES_free(const_cast<GENERAL_NAMES*>(sans));
  CHECK_MESSAGE(found, "no URI SAN " << spiffeId);
  CHECK(!pcr["status"]["beginRefreshAt"].get<std::string>().empty());
}

struct Kubelet {
  FakeCluster& cluster;
  json request(const PodRef& pod, const std::string& signer, const PodCertificateRequestParams& extra) {
    PodCertificateRequestParams p = extra;
    p.signerName = signer;
    return cluster.createPodCertificateRequest(cluster.nodeKubeconfig(pod.node), pod, p);
  }
  json requestFor(const PodRef& pod, const std::string& signer, EVP_PKEY* key, std::map<std::string, std::string> annotations = {}) {
    PodCertificateRequestParams p;
    p.stubPkcs10Der = testpki::stubPkcs10Der(key);
    p.unverifiedUserAnnotations = std::move(annotations);
    return request(pod, signer, p);
  }
  json await(const json& created, const std::string& apiVersion = "v1") {
    return cluster.waitForPodCertificateRequest(
        created["metadata"]["namespace"], created["metadata"]["name"], [](const json& p) { return decided(p); }, std::chrono::seconds(30),
        apiVersion);
  }
};

std::string operatorConfig(const std::string& pods, const std::string& edOnly) {
  return "workers: 2\n"
         "leaderElection: {enabled: false}\n"
         "approver: {enabled: false}\n"
         "signers: {reloadInterval: 1s}\n"
         "podCertificates:\n"
         "  signers:\n"
         "    - signerName: example.com/pods\n" +
         pods +
         "      allowedNamespaces: [shop]\n"
         "      allowedServiceAccounts: [batch/runner]\n"
         "      trustDomain: cluster.local\n"
         "      dnsNameTemplates: [\"{serviceAccount}.{namespace}.svc\"]\n"
         "      userAnnotations:\n"
         "        example.com/profile:\n"
         "          server: {usages: [digital signature, server auth]}\n"
         "      maxLifetime: 2h\n"
         "      trustBundle: {publish: true}\n"
         "    - signerName: example.com/ed-only\n" +
         edOnly +
         "      allowedNamespaces: [shop]\n"
         "      allowedKeyTypes: [ED25519]\n";
}

}  // namespace

TEST_CASE("pod certificates e2e (v1): every kubelet key type issued and verified against the published bundle, hostile requests denied") {
  FakeCluster cluster;
  testpki::TempDir dir;
  const auto podsCa = testpki::makeCa({.commonName = "pods-ca-1"});
  const std::string config =
      operatorConfig(caFiles(dir.path(), "pods", podsCa), caFiles(dir.path(), "ed", testpki::makeCa({.commonName = "ed-ca"})));
  OperatorProcess op(cluster, "pcr-v1", config, cluster.adminKubeconfig());
  op.start();

  const PodRef web = cluster.addPod("shop", "web-0", "web", "node-a");
  const PodRef runner = cluster.addPod("batch", "runner-0", "runner", "node-a");
  const PodRef other = cluster.addPod("batch", "other-0", "other", "node-b");
  const PodRef evil = cluster.addPod("evil", "x-0", "x", "node-b");
  Kubelet kubelet{cluster};

  const std::string bundle = awaitBundle(cluster, 1);
  CHECK(bundle.find(podsCa.certPem().substr(28, 64)) != std::string::npos);

  // Honest: every key type the kubelet offers, and an allowed service account of another namespace.
  const std::vector<std::pair<testpki::KeyKind, std::string>> kinds = {
      {testpki::KeyKind::Rsa3072, "rsa3072"}, {testpki::KeyKind::Rsa4096, "rsa4096"}, {testpki::KeyKind::P256, "p256"},
      {testpki::KeyKind::P384, "p384"},       {testpki::KeyKind::P521, "p521"},       {testpki::KeyKind::Ed25519, "ed25519"}};
  std::vector<json> honest;
  for (const auto& [kind, tag] : kinds) honest.push_back(kubelet.requestFor(web, kPods, testpki::sharedKey(kind, "pod").get()));
  const json runnerPcr = kubelet.requestFor(runner, kPods, testpki::sharedKey(testpki::KeyKind::Ed25519, "runner").get());
  const json profile =
      kubelet.requestFor(web, kPods, testpki::sharedKey(testpki::KeyKind::P256, "pod").get(), {{"example.com/profile", "server"}});

  // Hostile.
  const json foreignNs = kubelet.requestFor(evil, kPods, testpki::sharedKey(testpki::KeyKind::P256, "evil").get());
  const json foreignSa = kubelet.requestFor(other, kPods, testpki::sharedKey(testpki::KeyKind::P256, "other").get());
  const json wrongKey = kubelet.requestFor(web, kEdOnly, testpki::sharedKey(testpki::KeyKind::P256, "pod").get());
  const json injectedKey =
      kubelet.requestFor(web, kPods, testpki::sharedKey(testpki::KeyKind::P256, "pod").get(), {{"example.com/role", "admin"}});
  const json injectedValue =
      kubelet.requestFor(web, kPods, testpki::sharedKey(testpki::KeyKind::P256, "pod").get(), {{"example.com/profile", "ca"}});

  for (std::size_t i = 0; i < kinds.size(); ++i) {
    INFO("key type " << kinds[i].second);
    const json pcr = kubelet.await(honest[i]);
    checkIssued(pcr, testpki::sharedKey(kinds[i].first, "pod").get(), "spiffe://cluster.local/ns/shop/sa/web");
    if (typeOf(pcr) == "Issued") verifyAgainstBundle(dir, pcr["status"]["certificateChain"], bundle, kinds[i].second);
  }
  const json runnerDone = kubelet.await(runnerPcr);
  checkIssued(runnerDone, testpki::sharedKey(testpki::KeyKind::Ed25519, "runner").get(), "spiffe://cluster.local/ns/batch/sa/runner");
  CHECK(typeOf(kubelet.await(profile)) == "Issued");

  const std::vector<std::pair<json, std::string>> refusals = {{foreignNs, "NamespaceNotAllowed"},
                                                              {foreignSa, "ServiceAccountNotAllowed"},
                                                              {wrongKey, "UnsupportedKeyType"},
                                                              {injectedKey, "InvalidUnverifiedUserAnnotations"},
                                                              {injectedValue, "InvalidUnverifiedUserAnnotations"}};
  for (const auto& [created, reason] : refusals) {
    const json pcr = kubelet.await(created);
    INFO(created["metadata"]["namespace"] << "/" << created["metadata"]["name"] << ": " << pcr.dump());
    CHECK(typeOf(pcr) == "Denied");
    CHECK(reasonOf(pcr) == reason);
    CHECK_FALSE(pcr["status"].contains("certificateChain"));
  }
  const json wrongKeyDone = kubelet.await(wrongKey);
  CHECK((*condition(wrongKeyDone))["message"].get<std::string>().find("ED25519") != std::string::npos);

  // The counters move just after the write the test saw: awaited, not sampled once.
  using namespace std::chrono_literals;
  CHECK(eventually([&] { return op.metric("csr_operator_pod_certificates_issued_total", {"example.com/pods"}) == 8; }, 10s));
  CHECK(eventually([&] { return op.metric("csr_operator_pod_certificate_decisions_total", {"denied", "NamespaceNotAllowed"}) == 1; }, 10s));
  CHECK(eventually([&] { return op.metric("csr_operator_pod_certificate_latency_seconds_count") == 8; }, 10s));
  CHECK(eventually([&] { return op.log().find("decision=denied reason=ServiceAccountNotAllowed") != std::string::npos; }, 10s));

  // A CA rotation: the bundle holds both CAs, a certificate of the old CA still verifies, and a
  // new request is issued by the new one.
  const std::string oldChain = kubelet.await(honest[2])["status"]["certificateChain"];
  replaceCa(dir.path(), "pods", testpki::makeCa({.commonName = "pods-ca-2"}));
  const std::string rotated = awaitBundle(cluster, 2);
  verifyAgainstBundle(dir, oldChain, rotated, "old-after-rotation");
  const json afterRotation = kubelet.await(kubelet.requestFor(web, kPods, testpki::sharedKey(testpki::KeyKind::P256, "pod").get()));
  checkIssued(afterRotation, testpki::sharedKey(testpki::KeyKind::P256, "pod").get(), "spiffe://cluster.local/ns/shop/sa/web");
  verifyAgainstBundle(dir, afterRotation["status"]["certificateChain"], rotated, "new-after-rotation");
  const auto newIssuer = testpki::parseCertPem(afterRotation["status"]["certificateChain"]);
  char name[256] = {};
  X509_NAME_oneline(X509_get_issuer_name(newIssuer.get()), name, sizeof name);
  CHECK(std::string(name).find("pods-ca-2") != std::string::npos);
  op.stop();
}

TEST_CASE("pod certificates e2e (v1beta1 only): proof of possession verified, a key that differs from the stub request denied") {
  ClusterOptions options;
  options.extraArgs = {"--pcr-version", "v1beta1", "--pcr-key-checks", "false"};
  FakeCluster cluster(options);
  testpki::TempDir dir;
  const std::string config = operatorConfig(caFiles(dir.path(), "pods", testpki::makeCa({.commonName = "pods-ca"})),
                                            caFiles(dir.path(), "ed", testpki::makeCa({})));
  OperatorProcess op(cluster, "pcr-v1beta1", config, cluster.adminKubeconfig());
  op.start();
  const PodRef web = cluster.addPod("shop", "web-0", "web", "node-a");
  Kubelet kubelet{cluster};
  const std::string bundle = awaitBundle(cluster, 1);

  auto key = testpki::sharedKey(testpki::KeyKind::P256, "pod");
  auto other = testpki::sharedKey(testpki::KeyKind::P256, "other");
  PodCertificateRequestParams honest;
  honest.apiVersion = "v1beta1";
  honest.pkixPublicKeyDer = testpki::publicKeyDer(key.get());
  honest.proofOfPossession = testpki::proofOfPossession(key.get(), web.uid);
  PodCertificateRequestParams badProof = honest;
  badProof.proofOfPossession = testpki::proofOfPossession(key.get(), "another-pod-uid");
  PodCertificateRequestParams mismatch = honest;
  mismatch.stubPkcs10Der = testpki::stubPkcs10Der(other.get());
  PodCertificateRequestParams weak;
  weak.apiVersion = "v1beta1";
  weak.stubPkcs10Der = testpki::stubPkcs10Der(testpki::sharedKey(testpki::KeyKind::Rsa2048, "weak").get());

  const json issued = kubelet.await(kubelet.request(web, kPods, honest), "v1beta1");
  checkIssued(issued, key.get(), "spiffe://cluster.local/ns/shop/sa/web");
  verifyAgainstBundle(dir, issued["status"]["certificateChain"], bundle, "v1beta1");
  const std::vector<std::pair<PodCertificateRequestParams, std::string>> refusals = {
      {badProof, "InvalidProofOfPossession"}, {mismatch, "PublicKeyMismatch"}, {weak, "UnsupportedKeyType"}};
  for (const auto& [params, reason] : refusals) {
    const json pcr = kubelet.await(kubelet.request(web, kPods, params), "v1beta1");
    INFO(pcr.dump());
    CHECK(typeOf(pcr) == "Denied");
    CHECK(reasonOf(pcr) == reason);
    CHECK_FALSE(pcr["status"].contains("certificateChain"));
  }
  CHECK(op.log().find("podcertificaterequests are served at certificates.k8s.io/v1beta1") != std::string::npos);  // logged at start
  op.stop();
}

TEST_CASE(
    "pod certificates e2e: verifyPod and accessReview deny a pod gone or replaced since it asked, and a service account RBAC does "
    "not allow") {
  testpki::TempDir dir;
  // RBAC opts service account shop/web in: verb "request" on the signer, as docs/pod-certificates.md describes.
  const auto rbac = dir.path() / "pod-identities.yaml";
  std::ofstream(rbac) << "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: pod-identities}\n"
                         "rules:\n  - apiGroups: [certificates.k8s.io]\n    resources: [signers]\n    verbs: [request]\n"
                         "    resourceNames: [example.com/pods]\n---\n"
                         "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: pod-identities, namespace: shop}\n"
                         "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-identities}\n"
                         "subjects:\n  - {kind: ServiceAccount, name: web, namespace: shop}\n";
  itest::ClusterOptions options;
  options.rbacFiles = {rbac.string()};
  FakeCluster cluster(options);
  const PodRef web = cluster.addPod("shop", "web-0", "web", "node-a");
  const PodRef gone = cluster.addPod("shop", "web-1", "web", "node-a");
  const PodRef replaced = cluster.addPod("shop", "web-2", "web", "node-a");
  const PodRef other = cluster.addPod("shop", "other-0", "other", "node-a");
  Kubelet kubelet{cluster};
  auto key = testpki::sharedKey(testpki::KeyKind::P256, "pod");
  // Every request is filed before the operator runs; then two pods change under them.
  const json forWeb = kubelet.requestFor(web, kPods, key.get());
  const json forGone = kubelet.requestFor(gone, kPods, key.get());
  const json forReplaced = kubelet.requestFor(replaced, kPods, key.get());
  const json forOther = kubelet.requestFor(other, kPods, key.get());
  cluster.admin().requestJson("DELETE", "/api/v1/namespaces/shop/pods/web-1");
  cluster.admin().requestJson("DELETE", "/api/v1/namespaces/shop/pods/web-2");
  const PodRef again = cluster.addPod("shop", "web-2", "web", "node-b");
  REQUIRE(again.uid != replaced.uid);

  const std::string config =
      "workers: 2\nleaderElection: {enabled: false}\napprover: {enabled: false}\n"
      "podCertificates:\n  signers:\n    - signerName: example.com/pods\n" +
      caFiles(dir.path(), "pods", testpki::makeCa({.commonName = "pods-ca"})) +
      "      allowedNamespaces: [shop]\n      verifyPod: true\n"
      "      accessReview: {verb: request, group: certificates.k8s.io, resource: signers}\n";
  using namespace std::chrono_literals;
  OperatorProcess op(cluster, "pcr-checks", config, cluster.adminKubeconfig());
  op.start();
  checkIssued(kubelet.await(forWeb), key.get(), "spiffe://cluster.local/ns/shop/sa/web");
  const std::vector<std::pair<json, std::string>> denied = {
      {forGone, "PodNotFound"}, {forReplaced, "PodMismatch"}, {forOther, "NotAuthorized"}};
  for (const auto& [created, reason] : denied) {
    const json pcr = kubelet.await(created);
    INFO(pcr.dump());
    CHECK(typeOf(pcr) == "Denied");
    CHECK(reasonOf(pcr) == reason);
    CHECK_FALSE(pcr["status"].contains("certificateChain"));
  }
  CHECK(eventually([&] { return op.metric("csr_operator_pod_certificate_decisions_total", {"denied", "NotAuthorized"}) == 1; }, 10s));
  CHECK(op.log().find("decision=denied reason=PodMismatch") != std::string::npos);
  op.stop();
}
