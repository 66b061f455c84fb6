#include "FakeCluster.h"

#include "k8sclient/KubeConfigLoader.h"

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <regex>

namespace itest {

// CSR_OPERATOR_BIN in the environment runs another build of the operator (an A/B benchmark of two
// commits against the same fake API server binary).
std::string operatorBinary() {
  const char* other = std::getenv("CSR_OPERATOR_BIN");
  return other && *other ? other : CSR_OPERATOR_BIN;
}
std::string fakeApiserverBinary() { return FAKE_APISERVER_BIN; }

FakeCluster::FakeCluster(ClusterOptions options) : options_(std::move(options)) { start(); }

FakeCluster::~FakeCluster() { process_.stop(std::chrono::seconds(5)); }

void FakeCluster::start() {
  std::vector<std::string> argv = {fakeApiserverBinary(),          "--listen",     "127.0.0.1:" + std::to_string(port_), "--pki-dir",
                                   (tmp_.path() / "pki").string(), "--state-file", (tmp_.path() / "state.json").string()};
  argv.insert(argv.end(), {"--rbac", FAKEAPI_BOOTSTRAP_RBAC});
  for (const auto& f : options_.rbacFiles) argv.insert(argv.end(), {"--rbac", f});
  if (options_.watchWindow) argv.insert(argv.end(), {"--watch-window", std::to_string(options_.watchWindow)});
  if (options_.bookmarkIntervalSeconds) argv.insert(argv.end(), {"--bookmark-interval", std::to_string(options_.bookmarkIntervalSeconds)});
  argv.insert(argv.end(), options_.extraArgs.begin(), options_.extraArgs.end());
  std::filesystem::remove(tmp_.path() / "pki" / "port");
  process_ = Process(argv, (tmp_.path() / "fake-apiserver.log").string());
  if (!process_.waitForLog("LISTENING ", std::chrono::seconds(20)))
    throw std::runtime_error("fake-apiserver did not start:\n" + process_.log());
  const std::string log = process_.log();
  const std::regex listening("LISTENING (\\d+)");
  std::string last;
  for (std::sregex_iterator it(log.begin(), log.end(), listening), end; it != end; ++it) last = (*it)[1];
  port_ = std::stoi(last);
  admin_.reset();
}

void FakeCluster::stop() { process_.stop(std::chrono::seconds(10)); }

void FakeCluster::restart() {
  stop();
  start();
}

void FakeCluster::mint(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {fakeApiserverBinary(), "mint", "--pki-dir", (tmp_.path() / "pki").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  Process minting(argv, (tmp_.path() / "mint.log").string());
  if (minting.wait(std::chrono::seconds(20)) != 0) throw std::runtime_error("minting a kubeconfig failed:\n" + minting.log());
}

std::string FakeCluster::kubeconfigFor(const std::string& user, const std::vector<std::string>& groups) {
  std::string key = user;
  for (const auto& g : groups) key += "|" + g;
  if (auto it = kubeconfigs_.find(key); it != kubeconfigs_.end()) return it->second;
  const std::string out = (tmp_.path() / ("user-" + std::to_string(kubeconfigs_.size()) + ".kubeconfig")).string();
  std::vector<std::string> args = {"--user", user, "--out", out};
  for (const auto& g : groups) args.insert(args.end(), {"--group", g});
  mint(args);
  kubeconfigs_[key] = out;
  return out;
}

std::unique_ptr<k8s::KubeClient> FakeCluster::clientFor(const std::string& kubeconfig) const {
  k8s::ClientOptions options;
  options.qps = 0;
  return std::make_unique<k8s::KubeClient>(k8s::makeTransport(k8s::loadKubeConfig(kubeconfig)), options);
}

k8s::KubeClient& FakeCluster::admin() {
  if (!admin_) admin_ = clientFor(adminKubeconfig());
  return *admin_;
}

void FakeCluster::fault(const nlohmann::json& spec) { admin().requestJson("POST", "/fake/faults", spec); }

nlohmann::json FakeCluster::stats() { return admin().requestJson("GET", "/fake/stats"); }

void FakeCluster::addNode(const std::string& name, const std::vector<std::pair<std::string, std::string>>& addresses) {
  nlohmann::json node = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", name}}}};
  for (const auto& [type, address] : addresses) node["status"]["addresses"].push_back({{"type", type}, {"address", address}});
  admin().requestJson("POST", "/api/v1/nodes", node);
}

void FakeCluster::addApiServerService(const std::string& clusterIP, const std::string& endpointIP) {
  admin().requestJson(
      "POST", "/api/v1/namespaces/default/services",
      nlohmann::json{
          {"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", {{"name", "kubernetes"}}}, {"spec", {{"clusterIPs", {clusterIP}}}}});
  admin().requestJson("POST", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
                      nlohmann::json{{"apiVersion", "discovery.k8s.io/v1"},
                                     {"kind", "EndpointSlice"},
                                     {"metadata", {{"name", "kubernetes"}, {"labels", {{"kubernetes.io/service-name", "kubernetes"}}}}},
                                     {"addressType", "IPv4"},
                                     {"endpoints", {{{"addresses", {endpointIP}}}}}});
}

void FakeCluster::listOwnAddresses(const std::string& node, std::vector<k8s::NodeAddress> addresses) {
  auto client = clientFor(nodeKubeconfig(node));
  auto own = client->get<k8s::Node>(node);
  own.addresses = std::move(addresses);
  client->updateSubresource(own, "status");
}

k8s::CertificateSigningRequest FakeCluster::createCsr(const std::string& kubeconfig, const std::string& name, const std::string& requestPem,
                                                      const std::string& signerName, std::vector<std::string> usages,
                                                      std::optional<int64_t> expirationSeconds) {
  k8s::CertificateSigningRequest csr;
  csr.metadata.name = name;
  csr.spec.request = requestPem;
  csr.spec.signerName = signerName;
  csr.spec.usages = std::move(usages);
  csr.spec.expirationSeconds = expirationSeconds;
  return clientFor(kubeconfig)->create(csr);
}

namespace {

std::string base64(const std::string& in) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto n = (static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16) |
                   (static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8) | static_cast<unsigned char>(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += alphabet[(n >> shift) & 63];
  }
  if (i + 1 == in.size()) {
    const auto n = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const auto n = (static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16) |
                   (static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8);
    for (int shift : {18, 12, 6}) out += alphabet[(n >> shift) & 63];
    out += "=";
  }
  return out;
}

std::string pcrPath(const std::string& apiVersion, const std::string& ns, const std::string& name = "") {
  return "/apis/certificates.k8s.io/" + apiVersion + "/namespaces/" + ns + "/podcertificaterequests" + (name.empty() ? "" : "/" + name);
}

nlohmann::json getOrCreate(k8s::KubeClient& admin, const std::string& path, const std::string& collection, const nlohmann::json& obj) {
  try {
    return admin.requestJson("GET", path);
  } catch (const k8s::ApiError& e) {
    if (e.code() != 404) throw;
  }
  return admin.requestJson("POST", collection, obj);
}

}  // namespace

PodRef FakeCluster::addPod(const std::string& ns, const std::string& name, const std::string& serviceAccount, const std::string& node) {
  const auto nodeObj = getOrCreate(admin(), "/api/v1/nodes/" + node, "/api/v1/nodes",
                                   {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", node}}}});
  const auto sa = getOrCreate(admin(), "/api/v1/namespaces/" + ns + "/serviceaccounts/" + serviceAccount,
                              "/api/v1/namespaces/" + ns + "/serviceaccounts",
                              {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", serviceAccount}}}});
  const auto pod = admin().requestJson(
      "POST", "/api/v1/namespaces/" + ns + "/pods",
      nlohmann::json{
          {"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}}},
          {"spec", {{"nodeName", node}, {"serviceAccountName", serviceAccount}, {"containers", {{{"name", "app"}, {"image", "app"}}}}}},
          {"status", {{"phase", "Pending"}}}});
  return PodRef{ns,
                name,
                pod["metadata"]["uid"].get<std::string>(),
                serviceAccount,
                sa["metadata"]["uid"].get<std::string>(),
                node,
                nodeObj["metadata"]["uid"].get<std::string>()};
}

nlohmann::json FakeCluster::createPodCertificateRequest(const std::string& kubeconfig, const PodRef& pod,
                                                        const PodCertificateRequestParams& p) {
  nlohmann::json spec = {{"signerName", p.signerName},
                         {"podName", pod.name},
                         {"podUID", pod.uid},
                         {"serviceAccountName", pod.serviceAccount},
                         {"serviceAccountUID", pod.serviceAccountUid},
                         {"nodeName", pod.node},
                         {"nodeUID", pod.nodeUid}};
  if (p.maxExpirationSeconds) spec["maxExpirationSeconds"] = *p.maxExpirationSeconds;
  if (!p.stubPkcs10Der.empty()) spec["stubPKCS10Request"] = base64(p.stubPkcs10Der);
  if (!p.pkixPublicKeyDer.empty()) spec["pkixPublicKey"] = base64(p.pkixPublicKeyDer);
  if (!p.proofOfPossession.empty()) spec["proofOfPossession"] = base64(p.proofOfPossession);
  if (!p.unverifiedUserAnnotations.empty()) spec["unverifiedUserAnnotations"] = p.unverifiedUserAnnotations;
  nlohmann::json metadata = p.name.empty() ? nlohmann::json{{"generateName", pod.name + "-"}} : nlohmann::json{{"name", p.name}};
  // The kubelet ties the request to its pod, so the pod's deletion collects it.
  metadata["ownerReferences"] = {{{"apiVersion", "v1"}, {"kind", "Pod"}, {"name", pod.name}, {"uid", pod.uid}, {"controller", true}}};
  return clientFor(kubeconfig)
      ->requestJson("POST", pcrPath(p.apiVersion, pod.ns),
                    nlohmann::json{{"apiVersion", "certificates.k8s.io/" + p.apiVersion},
                                   {"kind", "PodCertificateRequest"},
                                   {"metadata", metadata},
                                   {"spec", spec}});
}

nlohmann::json FakeCluster::getPodCertificateRequest(const std::string& ns, const std::string& name, const std::string& apiVersion) {
  return admin().requestJson("GET", pcrPath(apiVersion, ns, name));
}

nlohmann::json FakeCluster::waitForPodCertificateRequest(const std::string& ns, const std::string& name,
                                                         const std::function<bool(const nlohmann::json&)>& predicate,
                                                         std::chrono::milliseconds timeout, const std::string& apiVersion) {
  nlohmann::json last;
  eventually(
      [&] {
        try {
          last = getPodCertificateRequest(ns, name, apiVersion);
        } catch (const std::exception&) {
          return false;
        }
        return predicate(last);
      },
      timeout, std::chrono::milliseconds(100));
  return last;
}

std::vector<nlohmann::json> FakeCluster::listClusterTrustBundles(const std::string& signerName) {
  std::string path = "/apis/certificates.k8s.io/v1/clustertrustbundles";
  if (!signerName.empty()) path += "?fieldSelector=" + k8s::KubeClient::urlEncode("spec.signerName=" + signerName);
  auto list = admin().requestJson("GET", path);
  return list["items"].get<std::vector<nlohmann::json>>();
}

void FakeCluster::advanceClock(std::chrono::seconds by) {
  admin().requestJson("POST", "/fake/clock", nlohmann::json{{"advanceSeconds", by.count()}});
}

OperatorProcess::OperatorProcess(const FakeCluster& cluster, const std::string& name, const std::string& configYaml,
                                 const std::string& kubeconfig, std::vector<std::string> extraArgs, std::vector<std::string> env)
    : env_(std::move(env)), logFile_((cluster.dir() / (name + ".log")).string()) {
  const auto config = cluster.dir() / (name + ".yaml");
  std::ofstream(config) << configYaml;
  argv_ = {operatorBinary(), "run", "--config", config.string(), "--kubeconfig", kubeconfig, "--http-bind-address", "127.0.0.1:0"};
  argv_.insert(argv_.end(), extraArgs.begin(), extraArgs.end());
  env_.push_back("POD_NAME=" + name);
}

void OperatorProcess::start() {
  const auto before = std::filesystem::exists(logFile_) ? std::filesystem::file_size(logFile_) : 0;
  process_ = Process(argv_, logFile_, env_);
  const std::regex portLine("on port (\\d+)");
  const bool started = eventually(
      [&] {
        const std::string log = process_.log().substr(before);
        std::smatch m;
        if (std::regex_search(log, m, portLine)) {
          port_ = std::stoi(m[1]);
          return true;
        }
        return !process_.running();
      },
      std::chrono::seconds(20));
  if (!started || port_ == 0) throw std::runtime_error("csr-operator did not start:\n" + process_.log());
}

std::optional<int> OperatorProcess::stop(std::chrono::milliseconds grace) { return process_.stop(grace); }

void OperatorProcess::kill() {
  process_.signal(SIGKILL);
  process_.wait(std::chrono::seconds(5));
}

std::string OperatorProcess::metrics() const { return httpGet(port_, "/metrics").second; }

double OperatorProcess::metric(const std::string& name, const std::vector<std::string>& labelParts) const {
  double total = 0;
  std::istringstream lines(metrics());
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name, 0) != 0 || (line.size() > name.size() && line[name.size()] != '{' && line[name.size()] != ' ')) continue;
    bool all = true;
    for (const auto& part : labelParts) all = all && line.find(part) != std::string::npos;
    if (all) total += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return total;
}

k8s::CertificateSigningRequest waitForCsr(k8s::KubeClient& client, const std::string& name,
                                          const std::function<bool(const k8s::CertificateSigningRequest&)>& predicate,
                                          std::chrono::milliseconds timeout) {
  k8s::CertificateSigningRequest last;
  eventually(
      [&] {
        try {
          last = client.get<k8s::CertificateSigningRequest>(name);
        } catch (const std::exception&) {
          return false;
        }
        return predicate(last);
      },
      timeout, std::chrono::milliseconds(100));
  return last;
}

bool isIssued(const k8s::CertificateSigningRequest& csr) { return !csr.status.certificate.empty(); }
bool isDenied(const k8s::CertificateSigningRequest& csr) { return k8s::hasCondition(csr, "Denied"); }
bool isDecided(const k8s::CertificateSigningRequest& csr) { return isIssued(csr) || isDenied(csr) || k8s::hasCondition(csr, "Failed"); }

}  // namespace itest
