// A running fake-apiserver for integration tests, with helpers to act as its users: the admin,
// nodes (client certificates minted by the fake's CA) and service accounts.
#pragma once

#include "Process.h"
#include "k8sclient/KubeClient.h"
#include "tests/support/TestPki.h"

#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <nlohmann/json.hpp>

namespace itest {

struct ClusterOptions {
  std::vector<std::string> rbacFiles;  // in addition to the fake's bootstrap RBAC
  int watchWindow = 0;                 // 0: the fake's default
  int bookmarkIntervalSeconds = 0;     // 0: the fake's default
  std::vector<std::string> extraArgs;  // appended to the fake-apiserver command line (e.g. --tokens FILE)
};

// A pod bound to a node, with every UID a PodCertificateRequest for it must name.
struct PodRef {
  std::string ns, name, uid;
  std::string serviceAccount, serviceAccountUid;
  std::string node, nodeUid;
};

// What a kubelet puts into a PodCertificateRequest besides the pod's identity. FakeCluster makes no
// key material: the caller passes DER bytes (testpki::stubPkcs10Der, publicKeyDer,
// proofOfPossession), hostile ones included.
struct PodCertificateRequestParams {
  std::string signerName;
  std::string name;                             // empty: generateName "<pod>-"
  std::string apiVersion = "v1";                // "v1beta1" against a fake started with --pcr-version v1beta1
  std::optional<int64_t> maxExpirationSeconds;  // unset: the API server's default (86400)
  std::string stubPkcs10Der;                    // spec.stubPKCS10Request (v1; optional in v1beta1)
  std::string pkixPublicKeyDer;                 // spec.pkixPublicKey (v1beta1)
  std::string proofOfPossession;                // spec.proofOfPossession (v1beta1)
  std::map<std::string, std::string> unverifiedUserAnnotations;
};

class FakeCluster {
 public:
  explicit FakeCluster(ClusterOptions options = {});
  ~FakeCluster();

  void start();
  void stop();     // SIGTERM: the state is saved
  void restart();  // stop, then start on the same port with the saved state
  int port() const { return port_; }
  const std::filesystem::path& dir() const { return tmp_.path(); }

  // A kubeconfig authenticating with a client certificate for this identity.
  std::string kubeconfigFor(const std::string& user, const std::vector<std::string>& groups);
  std::string adminKubeconfig() const { return (tmp_.path() / "pki" / "admin.kubeconfig").string(); }
  std::unique_ptr<k8s::KubeClient> clientFor(const std::string& kubeconfig) const;
  k8s::KubeClient& admin();

  void fault(const nlohmann::json& spec);
  nlohmann::json stats();
  void addNode(const std::string& name, const std::vector<std::pair<std::string, std::string>>& addresses);
  // The API server's own identity as kube-apiserver publishes it: the default/kubernetes Service
  // with this ClusterIP and its EndpointSlice with this endpoint address.
  void addApiServerService(const std::string& clusterIP, const std::string& endpointIP);
  // The node itself replaces its status.addresses (PUT /status with its own credentials), as a
  // kubelet or cloud-controller-manager does.
  void listOwnAddresses(const std::string& node, std::vector<k8s::NodeAddress> addresses);

  // Creates a CSR as `kubeconfig`'s user.
  k8s::CertificateSigningRequest createCsr(const std::string& kubeconfig, const std::string& name, const std::string& requestPem,
                                           const std::string& signerName, std::vector<std::string> usages,
                                           std::optional<int64_t> expirationSeconds = std::nullopt);
  // Runs `fake-apiserver mint --pki-dir <this cluster's> ARGS...` (e.g. --token T --out F).
  void mint(const std::vector<std::string>& args);
  std::string nodeKubeconfig(const std::string& node) { return kubeconfigFor("system:node:" + node, {"system:nodes"}); }

  // Pod certificates. addPod creates (as admin) the Node and the namespace's ServiceAccount when
  // they do not exist yet, then the Pod bound to the node, and returns their UIDs.
  PodRef addPod(const std::string& ns, const std::string& name, const std::string& serviceAccount, const std::string& node);
  // Creates a PodCertificateRequest as `kubeconfig`'s user (a kubelet: nodeKubeconfig(pod.node)),
  // naming the pod's UIDs; returns the stored object. Throws k8s::ApiError when refused.
  nlohmann::json createPodCertificateRequest(const std::string& kubeconfig, const PodRef& pod, const PodCertificateRequestParams& params);
  // Reads one as admin; apiVersion as served ("v1" or "v1beta1").
  nlohmann::json getPodCertificateRequest(const std::string& ns, const std::string& name, const std::string& apiVersion = "v1");
  // Waits until predicate holds on the PodCertificateRequest (read as admin); returns the last read
  // (null when it never could be read).
  nlohmann::json waitForPodCertificateRequest(const std::string& ns, const std::string& name,
                                              const std::function<bool(const nlohmann::json&)>& predicate,
                                              std::chrono::milliseconds timeout = std::chrono::seconds(20),
                                              const std::string& apiVersion = "v1");
  // ClusterTrustBundles as admin: every one (selected by spec.signerName when not empty).
  std::vector<nlohmann::json> listClusterTrustBundles(const std::string& signerName = "");
  // Moves the fake's clock forward (creation timestamps, the PCR cleaner, the ±5 min notBefore rule).
  void advanceClock(std::chrono::seconds by);

  Process& process() { return process_; }

 private:
  ClusterOptions options_;
  testpki::TempDir tmp_;
  Process process_;
  int port_ = 0;
  std::unique_ptr<k8s::KubeClient> admin_;
  std::map<std::string, std::string> kubeconfigs_;
};

// The csr-operator binary running against a FakeCluster with the given configuration.
class OperatorProcess {
 public:
  OperatorProcess(const FakeCluster& cluster, const std::string& name, const std::string& configYaml, const std::string& kubeconfig,
                  std::vector<std::string> extraArgs = {}, std::vector<std::string> env = {});
  void start();
  std::optional<int> stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  void kill();
  int port() const { return port_; }
  std::string metrics() const;
  // Sum of every sample of `metric` whose label text contains each of `labelParts`.
  double metric(const std::string& name, const std::vector<std::string>& labelParts = {}) const;
  Process& process() { return process_; }
  std::string log() const { return process_.log(); }

 private:
  std::vector<std::string> argv_;
  std::vector<std::string> env_;
  std::string logFile_;
  Process process_;
  int port_ = 0;
};

// Waits until the CSR satisfies predicate (read as admin); returns the last version read.
k8s::CertificateSigningRequest waitForCsr(k8s::KubeClient& client, const std::string& name,
                                          const std::function<bool(const k8s::CertificateSigningRequest&)>& predicate,
                                          std::chrono::milliseconds timeout = std::chrono::seconds(20));
bool isIssued(const k8s::CertificateSigningRequest& csr);
bool isDenied(const k8s::CertificateSigningRequest& csr);
bool isDecided(const k8s::CertificateSigningRequest& csr);

std::string operatorBinary();
std::string fakeApiserverBinary();

}  // namespace itest
