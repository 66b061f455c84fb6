// csr-demo: the README's first command. Starts the bundled fake API server with three nodes,
// runs csr-operator against it, lets simulated kubelets (honest and hostile) ask for serving
// and client certificates, and prints what happened to each request; then the kubelets ask for
// pod certificates (PodCertificateRequests) for their pods' service accounts, honest and hostile.
#include "FakeCluster.h"
#include "k8sclient/ApiError.h"
#include "signers/OpenSslPtr.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <cstdio>
#include <fstream>
#include <iostream>

using namespace itest;
using nlohmann::json;

namespace {

struct Request {
  std::string name, story, requesterKubeconfig, signer;
  std::string pem;
  std::vector<std::string> usages;
  std::string refusedAtCreate;
};

std::string subjectOf(X509* cert) {
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  return buf;
}

std::string sansOf(X509* cert) {
  std::string out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    auto* n = sk_GENERAL_NAME_value(names, i);
    if (n->type == GEN_DNS)
      out += std::string(out.empty() ? "" : ",") + "DNS:" + reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName));
    if (n->type == GEN_URI)
      out += std::string(out.empty() ? "" : ",") + "URI:" +
             std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.uniformResourceIdentifier)),
                         ASN1_STRING_length(n->d.uniformResourceIdentifier));
    if (n->type == GEN_IPADD) {
      const int len = ASN1_STRING_length(n->d.iPAddress);
      char text[INET6_ADDRSTRLEN] = {};
      if (inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(n->d.iPAddress), text, sizeof text))
        out += std::string(out.empty() ? "" : ",") + "IP:" + text;
    }
  }
  GENERAL_NAMES_free(names);
  return out.empty() ? "-" : out;
}

std::string validityOf(X509* cert) {
  auto text = [](const ASN1_TIME* t) {
    std::tm tm{};
    ASN1_TIME_to_tm(t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
    return std::string(buf);
  };
  return text(X509_get0_notBefore(cert)) + " .. " + text(X509_get0_notAfter(cert));
}

testpki::CsrOptions serving(const std::string& cnNode, std::vector<std::string> dns, std::vector<std::string> ips) {
  testpki::CsrOptions o;
  o.subject = {{"O", "system:nodes"}, {"CN", "system:node:" + cnNode}};
  o.dnsNames = std::move(dns);
  o.ips = std::move(ips);
  return o;
}

// Pod certificates: simulated kubelets ask for certificates for their pods' service accounts.
struct PodStory {
  std::string label, story;
  PodRef pod;
  testpki::KeyKind key;
  std::map<std::string, std::string> annotations;
  bool hostile;
};

// True when the leaf verifies against the PEM bundle (what a pod trusting the ClusterTrustBundle does).
bool verifiesAgainst(const std::string& leafPem, const std::string& bundlePem) {
  const auto leaf = testpki::parseCertPem(leafPem);
  signers::X509StorePtr store(X509_STORE_new());
  signers::BioPtr bio(BIO_new_mem_buf(bundlePem.data(), static_cast<int>(bundlePem.size())));
  while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store.get(), ca);
    X509_free(ca);
  }
  ERR_clear_error();
  signers::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  return leaf && X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr) == 1 && X509_verify_cert(ctx.get()) == 1;
}

int podCertificateStories(FakeCluster& cluster) {
  const PodRef web = cluster.addPod("shop", "web-0", "web", "node-a");
  const PodRef other = cluster.addPod("shop", "debug-0", "debug", "node-b");
  const PodRef evil = cluster.addPod("evil", "miner-0", "miner", "node-b");
  const std::vector<PodStory> stories = {
      {"shop/web-0 ED25519", "honest pod, allowed service account", web, testpki::KeyKind::Ed25519, {}, false},
      {"shop/web-0 ECDSAP256", "honest, another key type", web, testpki::KeyKind::P256, {}, false},
      {"shop/web-0 RSA3072", "honest, RSA", web, testpki::KeyKind::Rsa3072, {}, false},
      {"shop/debug-0", "hostile: service account not allowed", other, testpki::KeyKind::P256, {}, true},
      {"evil/miner-0", "hostile: namespace not allowed", evil, testpki::KeyKind::P256, {}, true},
      {"shop/web-0 annotated", "hostile: injected user annotation", web, testpki::KeyKind::P256, {{"example.com/role", "admin"}}, true},
  };
  std::vector<json> created;
  for (const auto& s : stories) {
    PodCertificateRequestParams p;
    p.signerName = "example.com/pod-identity";
    p.stubPkcs10Der = testpki::stubPkcs10Der(testpki::sharedKey(s.key, "demo-pod").get());
    p.unverifiedUserAnnotations = s.annotations;
    created.push_back(cluster.createPodCertificateRequest(cluster.nodeKubeconfig(s.pod.node), s.pod, p));
  }
  std::string bundle;
  (void)eventually(
      [&] {
        for (const auto& ctb : cluster.listClusterTrustBundles("example.com/pod-identity")) bundle = ctb["spec"]["trustBundle"];
        return !bundle.empty();
      },
      std::chrono::seconds(20));
  std::printf("\n%-22s %-36s %-9s %-34s %s\n", "POD CERTIFICATE", "STORY", "DECISION", "REASON", "IDENTITY / TRUST");
  int wrong = 0;
  for (std::size_t i = 0; i < stories.size(); ++i) {
    const auto& s = stories[i];
    const json pcr = cluster.waitForPodCertificateRequest(
        created[i]["metadata"]["namespace"], created[i]["metadata"]["name"],
        [](const json& p) { return p.contains("status") && p["status"].contains("conditions"); }, std::chrono::seconds(20));
    std::string decision = "pending", reason = "-", detail = "-";
    if (pcr.contains("status") && pcr["status"].contains("conditions")) {
      const auto& c = pcr["status"]["conditions"][0];
      decision = c["type"] == "Issued" ? "issued" : c["type"] == "Denied" ? "denied" : "failed";
      reason = c["reason"];
      detail = c.value("message", "");
    }
    const bool issued = decision == "issued";
    if (issued) {
      const std::string chain = pcr["status"]["certificateChain"];
      const auto leaf = testpki::parseCertPem(chain);
      detail = sansOf(leaf.get()) + (verifiesAgainst(chain, bundle) ? "  verifies against the ClusterTrustBundle" : "  DOES NOT VERIFY");
      if (!verifiesAgainst(chain, bundle)) ++wrong;
    }
    if (s.hostile == issued) ++wrong;
    std::printf("%-22s %-36s %-9s %-34s %s\n", s.label.c_str(), s.story.c_str(), decision.c_str(), reason.c_str(), detail.c_str());
  }
  std::cout << "ClusterTrustBundle example.com:pod-identity:csr-operator holds " << testpki::countPemCertificates(bundle) << " CA\n";
  return wrong;
}

}  // namespace

int main() {
  try {
    std::cout << "Starting the bundled fake API server with nodes node-a, node-b, node-c...\n";
    ClusterOptions options;
    options.rbacFiles = {DEMO_RBAC};
    FakeCluster cluster(options);
    cluster.addNode("node-a", {{"InternalIP", "10.0.0.10"}, {"Hostname", "node-a"}, {"InternalDNS", "node-a.cluster.internal"}});
    cluster.addNode("node-b", {{"InternalIP", "10.0.0.11"}, {"Hostname", "node-b"}});
    cluster.addNode("node-c", {{"InternalIP", "10.0.0.12"}, {"ExternalIP", "2001:db8::12"}, {"Hostname", "node-c"}});

    auto ca = testpki::makeCa({testpki::KeyKind::P256, "demo-cluster-ca"});
    const auto caCert = cluster.dir() / "ca.crt";
    const auto caKey = cluster.dir() / "ca.key";
    std::ofstream(caCert) << ca.certPem();
    std::ofstream(caKey) << testpki::keyPem(ca.key.get());
    auto podCa = testpki::makeCa({testpki::KeyKind::P256, "demo-pod-identity-ca"});
    const auto podCaCert = cluster.dir() / "pod-ca.crt";
    const auto podCaKey = cluster.dir() / "pod-ca.key";
    std::ofstream(podCaCert) << podCa.certPem();
    std::ofstream(podCaKey) << testpki::keyPem(podCa.key.get());
    const std::string config =
        "leaderElection: {enabled: true, namespace: kube-system}\n"
        "signers:\n"
        "  defaults: {caCertFile: " +
        caCert.string() + ", caKeyFile: " + caKey.string() +
        "}\n"
        "  list:\n"
        "    - signerName: kubernetes.io/kubelet-serving\n"
        "    - signerName: kubernetes.io/kube-apiserver-client-kubelet\n"
        // The demo's Nodes list every address before any CSR is filed; a real cluster waits
        // addressSettle (5m) for addresses that arrive late before it denies.
        // kube-controller-manager's csrapproving usually approves kubelet client renewals, so
        // the binary leaves them alone by default; the demo has no controller-manager.
        "approver: {kubeletClient: {enabled: true}, kubeletServing: {addressSettle: 0s}}\n"
        // Pod certificates from their own CA, for the service account shop/web only, published
        // as a ClusterTrustBundle that pods can mount.
        "podCertificates:\n"
        "  signers:\n"
        "    - signerName: example.com/pod-identity\n"
        "      caCertFile: " +
        podCaCert.string() + "\n      caKeyFile: " + podCaKey.string() +
        "\n"
        "      allowedServiceAccounts: [shop/web]\n"
        "      dnsNameTemplates: [\"{serviceAccount}.{namespace}.svc\"]\n"
        "      trustBundle: {publish: true}\n";
    OperatorProcess op(cluster, "csr-operator", config, cluster.adminKubeconfig());
    op.start();
    // The operator must list the Nodes before node-b forges its status below: the first holder of
    // an address owns it, and an address two Nodes hold at the first list is contested.
    if (!op.process().waitForLog("informers synced", std::chrono::seconds(120)))
      throw std::runtime_error("csr-operator did not sync its caches within 120 s; see " + op.process().logFile());
    std::cout << "csr-operator is running (log: " << op.process().logFile() << ", metrics: http://127.0.0.1:" << op.port()
              << "/metrics)\n\n";

    // node-b forges its own Node status (NodeRestriction lets a node write it) to list node-a's IP.
    {
      auto nodeB = cluster.clientFor(cluster.nodeKubeconfig("node-b"));
      auto own = nodeB->get<k8s::Node>("node-b");
      own.addresses.push_back({"InternalIP", "10.0.0.10"});
      nodeB->updateSubresource(own, "status");
    }

    std::vector<Request> requests = {
        {"node-a-serving",
         "honest kubelet serving cert",
         cluster.nodeKubeconfig("node-a"),
         "kubernetes.io/kubelet-serving",
         testpki::makeCsr(serving("node-a", {"node-a", "node-a.cluster.internal"}, {"10.0.0.10"})),
         {"digital signature", "server auth"},
         ""},
        {"node-c-serving",
         "honest, IPv6 too",
         cluster.nodeKubeconfig("node-c"),
         "kubernetes.io/kubelet-serving",
         testpki::makeCsr(serving("node-c", {"node-c"}, {"10.0.0.12", "2001:db8::12"})),
         {"digital signature", "server auth"},
         ""},
        {"node-b-client",
         "kubelet client renewal",
         cluster.nodeKubeconfig("node-b"),
         "kubernetes.io/kube-apiserver-client-kubelet",
         testpki::makeCsr(testpki::nodeClientCsr("node-b")),
         {"digital signature", "client auth"},
         ""},
        {"node-b-foreign-ip",
         "hostile: an IP node-b does not have",
         cluster.nodeKubeconfig("node-b"),
         "kubernetes.io/kubelet-serving",
         testpki::makeCsr(serving("node-b", {"node-b"}, {"10.0.0.99"})),
         {"digital signature", "server auth"},
         ""},
        {"node-b-forged-status",
         "hostile: node-a's IP in own status",
         cluster.nodeKubeconfig("node-b"),
         "kubernetes.io/kubelet-serving",
         testpki::makeCsr(serving("node-b", {"node-b"}, {"10.0.0.10"})),
         {"digital signature", "server auth"},
         ""},
        {"node-b-apiserver-name",
         "hostile: kubernetes.default.svc",
         cluster.nodeKubeconfig("node-b"),
         "kubernetes.io/kubelet-serving",
         testpki::makeCsr(serving("node-b", {"kubernetes.default.svc"}, {"10.0.0.11"})),
         {"digital signature", "server auth"},
         ""},
        {"node-b-other-dns",
         "hostile: node-a's DNS name",
         cluster.nodeKubeconfig("node-b"),
         "kubernetes.io/kubelet-serving",
         testpki::makeCsr(serving("node-b", {"node-a.cluster.internal"}, {"10.0.0.11"})),
         {"digital signature", "server auth"},
         ""},
        {"node-b-prefix-dns",
         "hostile: prefix trick",
         cluster.nodeKubeconfig("node-b"),
         "kubernetes.io/kubelet-serving",
         testpki::makeCsr(serving("node-b", {"node-b.attacker.example"}, {"10.0.0.11"})),
         {"digital signature", "server auth"},
         ""},
        {"node-c-mismatched-cn",
         "hostile: CN of node-a",
         cluster.nodeKubeconfig("node-c"),
         "kubernetes.io/kubelet-serving",
         testpki::makeCsr(serving("node-a", {"node-a"}, {"10.0.0.10"})),
         {"digital signature", "server auth"},
         ""},
        {"mallory-serving",
         "hostile: a user that is not a node",
         cluster.kubeconfigFor("mallory", {"developers"}),
         "kubernetes.io/kubelet-serving",
         testpki::makeCsr(serving("node-a", {"node-a"}, {"10.0.0.10"})),
         {"digital signature", "server auth"},
         ""},
    };
    for (auto& r : requests) {
      try {
        cluster.createCsr(r.requesterKubeconfig, r.name, r.pem, r.signer, r.usages);
      } catch (const k8s::ApiError& e) {
        r.refusedAtCreate = e.status().message;
      }
    }

    std::printf("%-22s %-36s %-9s %-26s %-28s %-48s %s\n", "CSR", "STORY", "DECISION", "REASON", "SUBJECT", "SANS", "VALIDITY");
    int wrong = 0;
    for (const auto& r : requests) {
      const bool hostile = r.story.rfind("hostile", 0) == 0;
      if (!r.refusedAtCreate.empty()) {
        std::printf("%-22s %-36s %-9s %-26s %s\n", r.name.c_str(), r.story.c_str(), "refused", "API server admission",
                    r.refusedAtCreate.c_str());
        wrong += hostile ? 0 : 1;
        continue;
      }
      auto csr = waitForCsr(cluster.admin(), r.name, isDecided, std::chrono::seconds(20));
      std::string decision = "pending", reason = "-", subject = "-", sans = "-", validity = "-";
      if (const auto* c = k8s::findCondition(csr, "Denied")) decision = "denied", reason = c->reason;
      if (const auto* c = k8s::findCondition(csr, "Approved")) decision = "approved", reason = c->reason;
      if (const auto* c = k8s::findCondition(csr, "Failed")) decision = "failed", reason = c->reason;
      if (isIssued(csr)) {
        decision = "issued";
        auto cert = testpki::parseCertPem(csr.status.certificate);
        subject = subjectOf(cert.get());
        sans = sansOf(cert.get());
        validity = validityOf(cert.get());
      }
      if (hostile == isIssued(csr)) ++wrong;
      std::printf("%-22s %-36s %-9s %-26s %-28s %-48s %s\n", r.name.c_str(), r.story.c_str(), decision.c_str(), reason.c_str(),
                  subject.c_str(), sans.c_str(), validity.c_str());
      if (decision == "denied") std::printf("%-22s   why: %s\n", "", k8s::findCondition(csr, "Denied")->message.c_str());
    }
    wrong += podCertificateStories(cluster);
    std::cout << "\noperator metrics: issued=" << op.metric("csr_operator_certificates_issued_total")
              << " denied=" << op.metric("csr_operator_decisions_total", {"decision=\"deny\""})
              << " pod certificates issued=" << op.metric("csr_operator_pod_certificates_issued_total") << "\n";
    op.stop();
    if (wrong) {
      std::cout << wrong << " request(s) did not end as expected\n";
      return 1;
    }
    std::cout << "Every honest request was issued and no hostile request was signed, CSR or pod certificate.\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "demo failed: " << e.what() << "\n";
    return 1;
  }
}
