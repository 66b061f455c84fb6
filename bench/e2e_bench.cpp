// End-to-end benchmark: the real csr-operator binary against fake-apiserver on loopback.
// 500 Nodes, then 5,000 kubelet-serving CSRs created at once by the nodes themselves (each with its
// own client certificate, honest SANs), approved and signed by the operator with its client rate
// limit lifted. A second round of 5,000 brings the cache to 10,000 CSRs for the memory figure.
//
// Timing: a CSR's latency runs from the moment its create request is sent to the moment this
// process sees its certificate on a watch; throughput is CSRs issued divided by the time from the
// first create to the last certificate seen. The operator's own histogram
// (csr_operator_csr_latency_seconds, from the 1-second creationTimestamp) is printed next to it.
//
// CPU per CSR: the operator's CPU seconds over a round (utime + stime from /proc/<pid>/stat)
// divided by the CSRs issued in it, printed next to the crypto limit measured in the same run:
// 1/verify + 1/sign from `openssl speed ecdsap256` (one P-256 request-signature verification and
// one P-256 CA signature are all a CSR must cost), run after each round on the operator's core.
// --perf FILE records the operator with `perf record --call-graph dwarf` over every round.
//
// --pod-certificates: the same fleet, but each node's kubelet creates PodCertificateRequests (v1,
// a P-256 stub request each) for --csrs-per-node pods bound to it, signed by a pod-certificate
// signer that allows their namespace; a PCR counts when this process sees its Issued condition on
// a watch, and csr_operator_pod_certificate_latency_seconds is the operator's histogram.
#include "FakeCluster.h"
#include "RequestRate.h"
#include "k8sclient/InformerCore.h"
#include "k8sclient/PodCertificateObjects.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cmath>
#include <cstdio>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int nodes = 500;
  // Nodes whose kubelets file the requests (--kubelets; 0: every Node). The others only exist, with
  // their addresses, in the operator's cache: a big cluster of which a part rotates certificates.
  int kubelets = 0;
  int perNode = 10;
  int rounds = 2;
  int workers = 4;
  int createThreads = 8;
  int timeoutSeconds = 600;
  // --client-qps Q --client-burst B: the operator's client limit (default: lifted, --kube-api-qps 0).
  // With a limit, the fake keeps an audit log and each round reports the largest burst of the
  // operator's writes and the throughput the limit allows. --observe S ends a round after S seconds
  // (a 10,000-CSR burst at 20 QPS takes a quarter of an hour), counting what was issued by then.
  double clientQps = 0;
  int clientBurst = 40;
  int observeSeconds = 0;
  // Gives the API server a core of its own (CPU 0) and everything else the other (CPU 1), so that
  // on a 2-core machine one can see which side is the bound.
  bool pin = false;
  bool podCertificates = false;
  std::string perfData;  // --perf FILE: perf record of the operator over the rounds
  // --http-client beast|cpprest: the operator's client.httpClient, for A/B runs of the two transports
  // (unset: the operator's default, and a binary from before the setting still starts).
  std::string httpClient;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto text = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(flag + " needs a value");
      return argv[++i];
    };
    auto next = [&]() -> int { return std::stoi(text()); };
    if (flag == "--nodes")
      o.nodes = next();
    else if (flag == "--kubelets")
      o.kubelets = next();
    else if (flag == "--csrs-per-node")
      o.perNode = next();
    else if (flag == "--rounds")
      o.rounds = next();
    else if (flag == "--workers")
      o.workers = next();
    else if (flag == "--create-threads")
      o.createThreads = next();
    else if (flag == "--timeout")
      o.timeoutSeconds = next();
    else if (flag == "--client-qps")
      o.clientQps = std::stod(text());
    else if (flag == "--client-burst")
      o.clientBurst = next();
    else if (flag == "--observe")
      o.observeSeconds = next();
    else if (flag == "--pin")
      o.pin = true;
    else if (flag == "--pod-certificates")
      o.podCertificates = true;
    else if (flag == "--perf")
      o.perfData = text();
    else if (flag == "--http-client")
      o.httpClient = text();
    else
      throw std::runtime_error(
          "unknown flag " + flag +
          "; flags: --nodes N --kubelets N --csrs-per-node N --rounds N --workers N --create-threads N --timeout S --client-qps Q --client-burst B --observe S --pin --pod-certificates --perf FILE --http-client beast|cpprest");
  }
  if (o.nodes < 1 || o.nodes > 200000 || o.kubelets < 0 || o.perNode < 1 || o.rounds < 1 || o.workers < 1 || o.createThreads < 1)
    throw std::runtime_error("every count must be positive (and --nodes at most 200000)");
  o.kubelets = o.kubelets == 0 ? o.nodes : std::min(o.kubelets, o.nodes);
  if (o.kubelets > 60000) throw std::runtime_error("at most 60000 kubelets (each has a kubeconfig minted by a child process)");
  return o;
}

// kB from /proc/<pid>/status, e.g. VmRSS or VmHWM.
long procStatusKb(int pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return -1;
}

// utime + stime in seconds.
double cpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string f;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i)
    if (i == 14 || i == 15) ticks += std::stod(f);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// /proc reports KiB; figures are printed in MiB (what ps, top and Kubernetes' "Mi" use).
double mib(long kib) { return static_cast<double>(kib) / 1024.0; }

// "VmRSS 12.3 MiB (anon 4.5, file 7.8), VmHWM 13.0 MiB, 12 threads"
std::string memory(int pid) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "VmRSS %.1f MiB (anon %.1f, file %.1f), VmHWM %.1f MiB, %d threads", mib(procStatusKb(pid, "VmRSS")),
                mib(procStatusKb(pid, "RssAnon")), mib(procStatusKb(pid, "RssFile")), mib(procStatusKb(pid, "VmHWM")),
                static_cast<int>(procStatusKb(pid, "Threads")));
  return buf;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

// What a P-256 CSR cannot cost less than on this machine now: one verification of the request's
// signature and one signature by the CA, from `openssl speed` (machine-readable "+F4:<i>:256:
// <sign/s>:<verify/s>"), on the operator's core when pinned.
struct CryptoLimit {
  double signPerSecond = 0, verifyPerSecond = 0;
  double secondsPerCsr() const { return 1 / signPerSecond + 1 / verifyPerSecond; }
};

CryptoLimit opensslSpeedP256(bool pinned) {
  const std::string cmd = std::string(pinned ? "taskset -c 1 " : "") + "openssl speed -seconds 2 -mr ecdsap256 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> out(popen(cmd.c_str(), "r"), pclose);
  if (!out) throw std::runtime_error("cannot run '" + cmd + "'");
  CryptoLimit limit;
  char line[256];
  while (std::fgets(line, sizeof line, out.get()))
    if (unsigned index = 0, bits = 0;
        std::sscanf(line, "+F4:%u:%u:%lf:%lf", &index, &bits, &limit.signPerSecond, &limit.verifyPerSecond) == 4)
      break;
  if (limit.signPerSecond <= 0 || limit.verifyPerSecond <= 0) throw std::runtime_error("no P-256 figures from '" + cmd + "'");
  return limit;
}

// Quantile from a Prometheus histogram's cumulative buckets, interpolated linearly inside a bucket
// like histogram_quantile().
double histogramQuantile(const std::string& metrics, const std::string& name, double q) {
  std::vector<std::pair<double, double>> buckets;
  std::istringstream lines(metrics);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name + "_bucket{", 0) != 0) continue;
    const auto le = line.find("le=\"");
    if (le == std::string::npos) continue;
    const std::string bound = line.substr(le + 4, line.find('"', le + 4) - le - 4);
    buckets.emplace_back(bound == "+Inf" ? INFINITY : std::stod(bound), std::stod(line.substr(line.rfind(' ') + 1)));
  }
  std::sort(buckets.begin(), buckets.end());
  if (buckets.empty() || buckets.back().second == 0) return NAN;
  const double rank = q * buckets.back().second;
  double lowerBound = 0, lowerCount = 0;
  for (const auto& [bound, count] : buckets) {
    if (count >= rank) {
      if (std::isinf(bound)) return lowerBound;
      return lowerBound + (bound - lowerBound) * (rank - lowerCount) / std::max(count - lowerCount, 1e-9);
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}

std::string nodeName(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "bench-node-%03d", i);
  return buf;
}

// 10.1.0.1, 10.1.0.2, ... 10.1.249.250, 10.2.0.1, ...: unique for 200,000 Nodes.
std::string nodeIp(int i, int network = 10) {
  const int block = i / 250;
  return std::to_string(network) + "." + std::to_string(1 + block / 250) + "." + std::to_string(block % 250) + "." +
         std::to_string(i % 250 + 1);
}

// 2 to 4 addresses, as kubelets and cloud providers report them: every Node has an InternalIP and
// its Hostname, one in three also an ExternalIP, one in three an ExternalIP and an InternalDNS name.
std::vector<std::pair<std::string, std::string>> nodeAddresses(int i) {
  std::vector<std::pair<std::string, std::string>> a = {{"InternalIP", nodeIp(i)}, {"Hostname", nodeName(i)}};
  if (i % 3 >= 1) a.emplace_back("ExternalIP", nodeIp(i, 100));
  if (i % 3 == 2) a.emplace_back("InternalDNS", nodeName(i) + ".internal.example.com");
  return a;
}

// A CSR is done when its certificate is set; a PCR when it carries the Issued condition.
bool csrIssued(const nlohmann::json& obj) {
  const auto status = obj.find("status");
  return status != obj.end() && status->contains("certificate");
}

bool pcrIssued(const nlohmann::json& obj) {
  const auto pcr = obj.get<k8s::PodCertificateRequest>();
  const auto* done = k8s::terminalCondition(pcr);
  return done != nullptr && done->type == k8s::kPcrIssued;
}

// Observes every object of one resource through a watch and records when it is first issued.
class CertificateWatcher {
 public:
  CertificateWatcher(k8s::KubeClient& admin, k8s::ResourceRef resource, bool (*issued)(const nlohmann::json&))
      : informer_(admin, std::move(resource), {}, {}) {
    auto seen = [this, issued](const nlohmann::json& obj) {
      if (!issued(obj)) return;
      const auto now = Clock::now();
      std::lock_guard lock(mu_);
      issued_.emplace(obj["metadata"]["name"].get<std::string>(), now);
    };
    informer_.onAdd(seen);
    informer_.onUpdate([seen](const nlohmann::json&, const nlohmann::json& now) { seen(now); });
    thread_ = std::jthread([this](std::stop_token stop) { informer_.run(stop); });
  }
  bool synced() const { return informer_.hasSynced(); }
  size_t issued() const {
    std::lock_guard lock(mu_);
    return issued_.size();
  }
  std::map<std::string, Clock::time_point> snapshot() const {
    std::lock_guard lock(mu_);
    return issued_;
  }

 private:
  k8s::InformerCore informer_;
  mutable std::mutex mu_;
  std::map<std::string, Clock::time_point> issued_;
  std::jthread thread_;
};

// One request of a round: its name, the node whose kubelet creates it, what it carries (a CSR's
// PEM or a PCR's stub request DER) and, for a PCR, its pod.
struct Pending {
  std::string name, request;
  int node;
  itest::PodRef pod = {};
};

constexpr const char* kPodSigner = "example.com/bench-pods";
constexpr const char* kPodNamespace = "bench";

// The PCR a kubelet creates for its pod: the pod's identity (NodeRestriction checks every field)
// and a stub request for the key it generated.
k8s::PodCertificateRequest podCertificateRequest(const Pending& p) {
  k8s::PodCertificateRequest pcr;
  pcr.metadata.name = p.name;
  pcr.metadata.namespace_ = kPodNamespace;
  pcr.spec.signerName = kPodSigner;
  pcr.spec.podName = p.pod.name;
  pcr.spec.podUID = p.pod.uid;
  pcr.spec.serviceAccountName = p.pod.serviceAccount;
  pcr.spec.serviceAccountUID = p.pod.serviceAccountUid;
  pcr.spec.nodeName = p.pod.node;
  pcr.spec.nodeUID = p.pod.nodeUid;
  pcr.spec.maxExpirationSeconds = 86400;
  pcr.spec.stubPKCS10Request = p.request;
  return pcr;
}

// --csrs-per-node pods per node per round, each with a service account of 16 and a P-256 key of
// its own, created before the clock starts (as admin, 4 threads); rounds request-major as for CSRs.
void podRequests(itest::FakeCluster& cluster, const Options& o, std::vector<std::vector<Pending>>& rounds) {
  for (int r = 0; r < o.rounds; ++r)
    for (int k = 0; k < o.perNode; ++k)
      for (int i = 0; i < o.kubelets; ++i) {
        const std::string pod = "pod-r" + std::to_string(r) + "-" + std::to_string(k) + "-" + nodeName(i);
        rounds[static_cast<size_t>(r)].push_back(
            {pod, testpki::stubPkcs10Der(testpki::freshKey(testpki::KeyKind::P256).get()), i,
             itest::PodRef{kPodNamespace, pod, "", "sa-" + std::to_string(k % 16), "", nodeName(i), ""}});
      }
  // The first node's pods alone first: addPod creates a missing ServiceAccount, and two threads
  // creating the same one would collide.
  const auto add = [&](Pending& p) { p.pod = cluster.addPod(p.pod.ns, p.pod.name, p.pod.serviceAccount, p.pod.node); };
  for (auto& round : rounds)
    for (auto& p : round)
      if (p.node == 0) add(p);
  std::atomic<size_t> next{0};
  std::vector<std::jthread> creators;
  for (int t = 0; t < 4; ++t)
    creators.emplace_back([&] {
      for (size_t n; (n = next++) < rounds.size() * rounds[0].size();) {
        auto& p = rounds[n / rounds[0].size()][n % rounds[0].size()];
        if (p.node != 0) add(p);
      }
    });
}

struct Sample {
  double serverRequests = 0, operatorRequests = 0, serverCpu = 0, operatorCpu = 0, benchCpu = 0;
};

int run(const Options& o) {
  spdlog::set_level(spdlog::level::warn);
  std::printf(
      "machine: %s | %u cores | %s\n",
      [] {
        std::ifstream in("/proc/cpuinfo");
        for (std::string line; std::getline(in, line);)
          if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
        return std::string("unknown CPU");
      }()
          .c_str(),
      std::thread::hardware_concurrency(),
      [] {
        std::ifstream in("/proc/loadavg");
        std::string a, b, c;
        in >> a >> b >> c;
        return "load " + a + " " + b + " " + c;
      }()
          .c_str());

  // Room for every change of both rounds, so that a slow watcher is measured rather than relisted.
  itest::ClusterOptions clusterOptions;
  clusterOptions.watchWindow = std::max(100000, o.kubelets * o.perNode * o.rounds * 6);
  const std::string auditLog = (std::filesystem::temp_directory_path() / ("e2e_bench-audit-" + std::to_string(getpid()) + ".log")).string();
  if (o.clientQps > 0) clusterOptions.extraArgs = {"--audit-log", auditLog};
  itest::FakeCluster cluster(clusterOptions);
  auto& admin = cluster.admin();
  const int serverPid = cluster.process().pid();

  auto setupStart = Clock::now();
  {
    std::atomic<int> nextNode{0};
    std::vector<std::jthread> adders;
    for (int t = 0; t < o.createThreads; ++t)
      adders.emplace_back([&] {
        for (int i; (i = nextNode++) < o.nodes;) cluster.addNode(nodeName(i), nodeAddresses(i));
      });
  }

  const auto ca = testpki::makeCa({});
  const auto caCert = cluster.dir() / "bench-ca.crt", caKey = cluster.dir() / "bench-ca.key";
  std::ofstream(caCert) << ca.certPem();
  std::ofstream(caKey) << testpki::keyPem(ca.key.get());

  // Node kubeconfigs are minted by the fake's CA, one child process each, a few at a time.
  std::vector<std::string> kubeconfigs(static_cast<size_t>(o.kubelets));
  {
    std::atomic<int> nextNode{0};
    std::vector<std::jthread> minters;
    for (int t = 0; t < 4; ++t)
      minters.emplace_back([&, t] {
        for (int i; (i = nextNode++) < o.kubelets;) {
          const auto out = (cluster.dir() / ("node-" + std::to_string(i) + ".kubeconfig")).string();
          itest::Process mint({itest::fakeApiserverBinary(), "mint", "--pki-dir", (cluster.dir() / "pki").string(), "--user",
                               "system:node:" + nodeName(i), "--group", "system:nodes", "--out", out},
                              (cluster.dir() / ("mint-" + std::to_string(t) + ".log")).string());
          if (mint.wait(std::chrono::seconds(30)) != 0) throw std::runtime_error("mint failed: " + mint.log());
          kubeconfigs[static_cast<size_t>(i)] = out;
        }
      });
  }
  std::vector<std::unique_ptr<k8s::KubeClient>> nodeClients;
  for (const auto& kc : kubeconfigs) nodeClients.push_back(cluster.clientFor(kc));

  // Every request of every round, generated before any clock starts: one key per node. A round is
  // ordered request-major (every node's first request, then every node's second...) so that the
  // requests in flight at any moment come from different nodes, as from a fleet of kubelets.
  // Each CSR of a node names one DNS name of its own (csr-<n>.<node>.example.com, allowed by the
  // config's dnsNameRegexes): identical pending requests of one node would be decided only once, on
  // the newest (controller/DuplicateRequests), and the others would never be issued.
  std::vector<std::vector<Pending>> rounds(static_cast<size_t>(o.rounds));
  std::vector<signers::EvpPkeyPtr> keys;
  for (int i = 0; i < o.kubelets; ++i) keys.push_back(testpki::freshKey(testpki::KeyKind::P256));
  if (o.podCertificates) {
    podRequests(cluster, o, rounds);
  } else {
    const auto csrPem = [&](int node, int serial) {
      testpki::CsrOptions csr;
      csr.subject = {{"O", "system:nodes"}, {"CN", "system:node:" + nodeName(node)}};
      csr.dnsNames = {nodeName(node), "csr-" + std::to_string(serial) + "." + nodeName(node) + ".example.com"};
      csr.ips = {nodeIp(node)};
      csr.keyOverride = keys[static_cast<size_t>(node)].get();
      return testpki::makeCsr(csr);
    };
    for (int r = 0; r < o.rounds; ++r)
      for (int k = 0; k < o.perNode; ++k)
        for (int i = 0; i < o.kubelets; ++i)
          rounds[static_cast<size_t>(r)].push_back(
              {"bench-r" + std::to_string(r) + "-" + nodeName(i) + "-" + std::to_string(k), csrPem(i, r * o.perNode + k), i});
  }
  // Kubelets hold their connections open; each node reads its own Node once so that the TLS
  // handshakes happen before the clock starts.
  {
    std::atomic<int> nextNode{0};
    std::vector<std::jthread> warmers;
    for (int t = 0; t < o.createThreads; ++t)
      warmers.emplace_back([&] {
        for (int i; (i = nextNode++) < o.kubelets;) nodeClients[static_cast<size_t>(i)]->get<k8s::Node>(nodeName(i));
      });
  }
  std::printf("setup: %d nodes, %d kubeconfigs, %zu requests per round in %.1fs\n", o.nodes, o.kubelets, rounds[0].size(),
              std::chrono::duration<double>(Clock::now() - setupStart).count());

  CertificateWatcher watcher(
      admin, o.podCertificates ? k8s::podCertificateRequestResource("v1") : k8s::ResourceRef::of<k8s::CertificateSigningRequest>(),
      o.podCertificates ? pcrIssued : csrIssued);
  const char* what = o.podCertificates ? "PCRs" : "CSRs";
  const char* latencyHistogram = o.podCertificates ? "csr_operator_pod_certificate_latency_seconds" : "csr_operator_csr_latency_seconds";
  if (!itest::eventually([&] { return watcher.synced(); }, std::chrono::seconds(20))) throw std::runtime_error("watcher never synced");

  const std::string config =
      "workers: " + std::to_string(o.workers) +
      "\n"
      "leaderElection: {enabled: false}\n"
      // addressSettle 0s: a SAN the Node does not list is decided at once
      // instead of retried for 5 minutes, so a mistake shows as a denial, not a stall.
      "approver: {kubeletServing: {addressSettle: 0s, dnsNameRegexes: "
      "['csr-[0-9]+\\.{node}\\.example\\.com']}}\n"
      "signers:\n"
      "  defaults: {caCertFile: " +
      caCert.string() + ", caKeyFile: " + caKey.string() +
      "}\n"
      "  list:\n"
      "    - signerName: kubernetes.io/kubelet-serving\n" +
      (o.podCertificates ? "podCertificates:\n"
                           "  signers:\n"
                           "    - signerName: " +
                               std::string(kPodSigner) + "\n      caCertFile: " + caCert.string() + "\n      caKeyFile: " + caKey.string() +
                               "\n      allowedNamespaces: [" + kPodNamespace + "]\n      trustDomain: bench.example.com\n"
                         : std::string());
  std::vector<std::string> operatorArgs{"--kube-api-qps",         o.clientQps > 0 ? std::to_string(o.clientQps) : "0",
                                        "--kube-api-burst",       std::to_string(o.clientBurst),
                                        "--leader-elect=false",   "--workers",
                                        std::to_string(o.workers)};
  if (!o.httpClient.empty()) operatorArgs.insert(operatorArgs.end(), {"--set", "client.httpClient=" + o.httpClient});
  itest::OperatorProcess op(cluster, "bench-operator", config, cluster.adminKubeconfig(), operatorArgs);
  if (o.pin) {
    // taskset -a moves every thread of a running process; threads and children created later
    // inherit it, so the operator started below runs on CPU 1 from its first instruction.
    const auto pin = [](int pid, int cpu) {
      const std::string cmd = "taskset -a -cp " + std::to_string(cpu) + " " + std::to_string(pid) + " >/dev/null";
      if (std::system(cmd.c_str()) != 0) throw std::runtime_error("'" + cmd + "' failed; is util-linux installed?");
    };
    pin(serverPid, 0);
    pin(getpid(), 1);
    std::printf("pinned: fake-apiserver on CPU 0; csr-operator and the benchmark clients on CPU 1\n");
  }
  const auto startedAt = Clock::now();
  op.start();
  const int opPid = op.process().pid();
  if (!itest::eventually([&] { return itest::httpGet(op.port(), "/readyz").first == 200; }, std::chrono::seconds(600),
                         std::chrono::milliseconds(20)))
    throw std::runtime_error("operator never became ready:\n" + op.log());
  const double startToReady = std::chrono::duration<double>(Clock::now() - startedAt).count();
  std::printf("operator start to ready (every Node listed, page by page, and watched): %.2fs; VmHWM by then %.1f MiB\n", startToReady,
              mib(procStatusKb(opPid, "VmHWM")));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const long idleRss = procStatusKb(opPid, "VmRSS"), idleAnon = procStatusKb(opPid, "RssAnon");
  std::printf("operator idle (ready, %d Nodes cached, 0 %s): %s\n", o.nodes, what, memory(opPid).c_str());

  auto sample = [&] {
    Sample s;
    s.serverRequests = cluster.stats()["totalRequests"].get<double>();
    s.operatorRequests = op.metric("csr_operator_api_requests_total");
    s.serverCpu = cpuSeconds(serverPid);
    s.operatorCpu = cpuSeconds(opPid);
    s.benchCpu = cpuSeconds(getpid());
    return s;
  };

  itest::Process perf;
  if (!o.perfData.empty()) {
    perf = itest::Process(
        {"/usr/bin/perf", "record", "--call-graph", "dwarf,16384", "-F", "499", "-p", std::to_string(opPid), "-o", o.perfData},
        o.perfData + ".log");
    // perf attaches within a moment; a perf that cannot (no permission, no perf) has exited by then.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    if (!perf.running()) throw std::runtime_error("perf record failed:\n" + perf.log());
    std::printf("perf: recording the operator (pid %d) to %s\n", opPid, o.perfData.c_str());
  }

  size_t expected = 0;
  for (int r = 0; r < o.rounds; ++r) {
    auto& batch = rounds[static_cast<size_t>(r)];
    expected += batch.size();
    std::vector<Clock::time_point> sentAt(batch.size());
    std::atomic<size_t> next{0};
    std::atomic<int> createErrors{0};
    const Sample before = sample();
    double serverPeak = 0;

    // Threads take CSRs in order, so every node's ten requests are in flight at nearly the same time.
    std::barrier go(o.createThreads + 1);
    std::vector<std::jthread> creators;
    for (int t = 0; t < o.createThreads; ++t)
      creators.emplace_back([&] {
        go.arrive_and_wait();
        for (size_t i; (i = next++) < batch.size();) {
          const auto& p = batch[i];
          auto& client = *nodeClients[static_cast<size_t>(p.node)];
          sentAt[i] = Clock::now();
          try {
            if (o.podCertificates) {
              client.createJson(k8s::podCertificateRequestResource("v1"), nlohmann::json(podCertificateRequest(p)), kPodNamespace);
            } else {
              k8s::CertificateSigningRequest csr;
              csr.metadata.name = p.name;
              csr.spec.request = p.request;
              csr.spec.signerName = "kubernetes.io/kubelet-serving";
              csr.spec.usages = {"digital signature", "server auth"};
              client.create(csr);
            }
          } catch (const std::exception& e) {
            if (createErrors++ < 5) std::fprintf(stderr, "create %s failed: %s\n", p.name.c_str(), e.what());
          }
        }
      });
    const auto start = Clock::now();
    go.arrive_and_wait();
    const auto deadline = start + std::chrono::seconds(o.observeSeconds > 0 ? o.observeSeconds : o.timeoutSeconds);
    const double startWall = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    while (watcher.issued() < expected && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      serverPeak = std::max(serverPeak, cluster.stats()["requestsPerSecond"]["peakSecond"].get<double>());
    }
    for (auto& c : creators) c.join();
    const auto createdBy = *std::max_element(sentAt.begin(), sentAt.end());
    const Sample after = sample();
    const auto seen = watcher.snapshot();

    std::vector<double> latencies;
    Clock::time_point last = start;
    for (size_t i = 0; i < batch.size(); ++i) {
      auto it = seen.find(batch[i].name);
      if (it == seen.end()) continue;
      latencies.push_back(std::chrono::duration<double>(it->second - sentAt[i]).count());
      last = std::max(last, it->second);
    }
    const double window = std::chrono::duration<double>(last - start).count();
    const double createWindow = std::chrono::duration<double>(createdBy - start).count();
    const auto stats = cluster.stats();
    std::printf("\nround %d: %zu %s from %d nodes, %d create threads, %d operator workers\n", r + 1, batch.size(), what, o.kubelets,
                o.createThreads, o.workers);
    std::printf("  issued %zu/%zu (create errors %d) in %.2fs: %.0f %s %s per second; all created after %.2fs (%.0f creates/s)\n",
                latencies.size(), batch.size(), createErrors.load(), window, static_cast<double>(latencies.size()) / window, what,
                o.podCertificates ? "issued" : "approved+signed", createWindow,
                static_cast<double>(batch.size()) / std::max(createWindow, 1e-9));
    std::printf("  create->certificate seen on watch: p50 %.3fs p99 %.3fs max %.3fs\n", percentile(latencies, 0.5),
                percentile(latencies, 0.99), percentile(latencies, 1.0));
    const std::string metrics = op.metrics();
    std::printf("  operator histogram %s (cumulative, 1 s creationTimestamp): p50 %.2fs p99 %.2fs\n", latencyHistogram,
                histogramQuantile(metrics, latencyHistogram, 0.5), histogramQuantile(metrics, latencyHistogram, 0.99));
    std::printf("  request rate over the window: server %.0f req/s (peak second %.0f), operator %.0f req/s (%.1f requests per %s)\n",
                (after.serverRequests - before.serverRequests) / window, serverPeak,
                (after.operatorRequests - before.operatorRequests) / window,
                (after.operatorRequests - before.operatorRequests) / static_cast<double>(batch.size()), o.podCertificates ? "PCR" : "CSR");
    std::printf("  CPU over the window (2 cores = 200%%): fake-apiserver %.0f%%, csr-operator %.0f%%, benchmark clients %.0f%%\n",
                100 * (after.serverCpu - before.serverCpu) / window, 100 * (after.operatorCpu - before.operatorCpu) / window,
                100 * (after.benchCpu - before.benchCpu) / window);
    std::printf("  server since start: %.0f requests, %.0f req/s average\n", stats["totalRequests"].get<double>(),
                stats["requestsPerSecond"]["sinceStart"].get<double>());
    const CryptoLimit crypto = opensslSpeedP256(o.pin);
    const double cpuPerCsr = (after.operatorCpu - before.operatorCpu) / static_cast<double>(std::max<size_t>(latencies.size(), 1));
    std::printf(
        "  operator CPU per %s %.3f ms; openssl speed P-256 now%s: sign %.0f/s verify %.0f/s, 1/verify + 1/sign %.3f ms; "
        "ratio %.1f\n",
        o.podCertificates ? "PCR" : "CSR", 1e3 * cpuPerCsr, o.pin ? " (CPU 1)" : "", crypto.signPerSecond, crypto.verifyPerSecond,
        1e3 * crypto.secondsPerCsr(), cpuPerCsr / crypto.secondsPerCsr());
    std::this_thread::sleep_for(std::chrono::seconds(1));
    std::printf("  operator after round (%zu %s cached): %s; %.0f anonymous bytes per cached %s over idle\n", expected, what,
                memory(opPid).c_str(),
                1024.0 * static_cast<double>(procStatusKb(opPid, "RssAnon") - idleAnon) / static_cast<double>(expected),
                o.podCertificates ? "PCR" : "CSR");
    // One line per round for bench/e2e_scale.sh: nodes, kubelets, objects in the round, cached,
    // throughput, p50, p99, start-to-ready, idle RSS, RSS after, VmHWM (MiB), CPU per object (ms), ratio.
    std::printf("csv,%d,%d,%zu,%zu,%.1f,%.3f,%.3f,%.2f,%.1f,%.1f,%.1f,%.3f,%.2f\n", o.nodes, o.kubelets, batch.size(), expected,
                static_cast<double>(latencies.size()) / window, percentile(latencies, 0.5), percentile(latencies, 0.99), startToReady,
                mib(idleRss), mib(procStatusKb(opPid, "VmRSS")), mib(procStatusKb(opPid, "VmHWM")), 1e3 * cpuPerCsr,
                cpuPerCsr / crypto.secondsPerCsr());
    if (o.clientQps > 0) {
      // The operator authenticates as admin; the benchmark's own writes are the nodes' creates.
      std::vector<double> writes;
      for (double t : itest::auditedWriteTimes(auditLog, "admin"))
        if (t >= startWall) writes.push_back(t);
      const double span = writes.size() > 1 ? writes.back() - writes.front() : 0;
      std::printf(
          "  client limit QPS %.0f burst %d: %zu operator writes in %.1fs (%.1f/s); largest burst over the bucket's refill %.1f "
          "(limit %d); %.2f writes per CSR, so the limit allows %.1f CSRs/s, issued %.1f CSRs/s\n",
          o.clientQps, o.clientBurst, writes.size(), span, static_cast<double>(writes.size()) / std::max(span, 1e-9),
          itest::largestBurst(writes, o.clientQps), o.clientBurst,
          static_cast<double>(writes.size()) / std::max<size_t>(latencies.size(), 1),
          o.clientQps / (static_cast<double>(writes.size()) / std::max<size_t>(latencies.size(), 1)),
          static_cast<double>(latencies.size()) / window);
    }
    if (o.observeSeconds > 0) continue;
    if (latencies.size() != batch.size()) {
      std::fprintf(stderr, "not every CSR was issued within %ds\n", o.timeoutSeconds);
      return 1;
    }
  }
  if (perf.running()) {
    perf.signal(SIGINT);
    if (perf.wait(std::chrono::seconds(60)) != 0) std::fprintf(stderr, "perf record did not end cleanly:\n%s\n", perf.log().c_str());
  }
  const double issuedMetric =
      op.metric(o.podCertificates ? "csr_operator_pod_certificates_issued_total" : "csr_operator_certificates_issued_total");
  std::printf(
      "\noperator: idle VmRSS %.1f MiB (%.2f MB), peak VmHWM %.1f MiB, VmRSS with %zu %s cached %.1f MiB, certificates issued %.0f\n",
      mib(idleRss), static_cast<double>(idleRss) * 1024.0 / 1e6, mib(procStatusKb(opPid, "VmHWM")), expected, what,
      mib(procStatusKb(opPid, "VmRSS")), issuedMetric);
  const auto code = op.stop(std::chrono::seconds(10));
  std::printf("operator exit code after SIGTERM: %d\n", code ? *code : -1);
  return issuedMetric == static_cast<double>(expected) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "e2e_bench: %s\n", e.what());
    return 2;
  }
}
