// Memory of csr-operator under a flood of big pending CSRs (issue 10): 40 requests of about
// 1.28 MB each, first for a signer the operator does not handle, then for one it handles
// (kubelet-serving, from one node), then an operator restart with all 80 in place (the relist).
// RSS of the operator is read from /proc after each phase; the chart's memory limit is 64Mi.
// Usage: flood_bench [--csrs N] [--bytes B]
#include "FakeCluster.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;

long procStatusKb(int pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return -1;
}

double mib(long kib) { return static_cast<double>(kib) / 1024.0; }

void report(const char* phase, int pid) {
  std::printf("%-58s VmRSS %6.1f MiB  VmHWM %6.1f MiB\n", phase, mib(procStatusKb(pid, "VmRSS")), mib(procStatusKb(pid, "VmHWM")));
  std::fflush(stdout);
}

// A valid kubelet-serving request for worker-1 of about `bytes` bytes of PEM: many DNS names.
std::string bigRequest(std::size_t bytes) {
  testpki::CsrOptions o;
  o.subject = {{"O", "system:nodes"}, {"CN", "system:node:worker-1"}};
  const std::size_t perName = 47;  // "n12345.worker-1.flood.example.com" in DER, as base64 with line breaks
  for (std::size_t i = 0; i < bytes / perName; ++i) o.dnsNames.push_back("n" + std::to_string(i) + ".worker-1.flood.example.com");
  return testpki::makeCsr(o);
}

// Settling time before a reading: the operator has nothing to report when it is done, so the
// benchmark gives it a fixed while (this is a measurement, not a test).
void settle() { std::this_thread::sleep_for(5s); }

}  // namespace

int main(int argc, char** argv) try {
  int csrs = 40;
  std::size_t bytes = 1280 * 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--csrs")
      csrs = std::stoi(argv[i + 1]);
    else if (flag == "--bytes")
      bytes = std::stoul(argv[i + 1]);
    else
      throw std::runtime_error("unknown flag " + flag + "; flags: --csrs N --bytes B");
  }
  itest::FakeCluster cluster;
  cluster.addNode("worker-1", {{"InternalIP", "10.0.0.1"}, {"Hostname", "worker-1"}});
  const auto ca = testpki::makeCa({});
  const auto caCert = cluster.dir() / "ca.crt", caKey = cluster.dir() / "ca.key";
  std::ofstream(caCert) << ca.certPem();
  std::ofstream(caKey) << testpki::keyPem(ca.key.get());
  const std::string pem = bigRequest(bytes);
  std::printf("flood: %d CSRs per phase, spec.request %zu bytes (%.2f MB) each\n", csrs, pem.size(), static_cast<double>(pem.size()) / 1e6);

  const std::string config =
      "leaderElection: {enabled: false}\n"
      "signers:\n"
      "  defaults: {caCertFile: " +
      caCert.string() + ", caKeyFile: " + caKey.string() +
      "}\n"
      "  list:\n"
      "    - signerName: kubernetes.io/kubelet-serving\n";
  auto op = std::make_unique<itest::OperatorProcess>(cluster, "flood-operator", config, cluster.adminKubeconfig());
  auto ready = [&] {
    if (!itest::eventually([&] { return itest::httpGet(op->port(), "/readyz").first == 200; }, 60s))
      throw std::runtime_error("operator never became ready:\n" + op->log());
  };
  op->start();
  ready();
  settle();
  report("idle, ready", op->process().pid());

  for (int i = 0; i < csrs; ++i)
    cluster.createCsr(cluster.adminKubeconfig(), "unhandled-" + std::to_string(i), pem, "example.com/unhandled",
                      {"digital signature", "client auth"});
  settle();
  report("after the flood for a signer it does not handle", op->process().pid());

  const auto node = cluster.nodeKubeconfig("worker-1");
  for (int i = 0; i < csrs; ++i)
    cluster.createCsr(node, "handled-" + std::to_string(i), pem, "kubernetes.io/kubelet-serving", {"digital signature", "server auth"});
  auto& admin = cluster.admin();
  const auto deniedCount = [&] {
    int n = 0;
    for (const auto& c : admin.list<k8s::CertificateSigningRequest>().items) n += itest::isDenied(c) ? 1 : 0;
    return n;
  };
  itest::eventually([&] { return deniedCount() >= std::min(csrs, 10); }, 120s, 500ms);
  settle();
  std::printf("  (%d of the node's %d CSRs denied as InvalidRequest)\n", deniedCount(), csrs);
  report("after the flood for kubelet-serving (handled)", op->process().pid());

  op->stop();
  op = std::make_unique<itest::OperatorProcess>(cluster, "flood-operator-2", config, cluster.adminKubeconfig());
  op->start();
  ready();
  settle();
  report("restarted with all of them in place (relist)", op->process().pid());
  op->stop();
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "flood_bench: %s\n", e.what());
  return 1;
}
