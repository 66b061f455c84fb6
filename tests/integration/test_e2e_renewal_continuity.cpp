// Renewal continuity end to end (issue 11): the "kubelet" is a TLS server run by the test, serving
// the certificate the real operator issued, on this machine's own non-loopback address (the
// operator never dials loopback, and the test does not switch that off). The second operator uses
// the Machine source with no Machine at all, so only continuity can approve: an identical renewal
// is approved, one that adds a name goes to the source and is denied.
#include "Scenario.h"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>

using namespace itest;

namespace {

// The first IPv4 address of an interface that is up and not loopback; empty when there is none.
std::string hostAddress() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return {};
  std::string found;
  for (auto* a = list; a && found.empty(); a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || !(a->ifa_flags & IFF_UP) || (a->ifa_flags & IFF_LOOPBACK)) continue;
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, text, sizeof text);
    found = text;
  }
  freeifaddrs(list);
  return found;
}

// Listens on ip:<any port> from construction; serves `cert` (TLS handshake, then close) to every
// connection once serve() is called, until destruction.
class KubeletStandIn {
 public:
  explicit KubeletStandIn(const std::string& ip) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    REQUIRE(inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) == 1);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 8) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  void serve(X509* cert, EVP_PKEY* key) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    REQUIRE(SSL_CTX_use_certificate(ctx_, cert) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey(ctx_, key) == 1);
    thread_ = std::thread([this] {
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe, nullptr);  // the operator hangs up right after the handshake
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 100) != 1) continue;
        const int client = ::accept(fd_, nullptr, nullptr);
        if (client < 0) continue;
        SSL* ssl = SSL_new(ctx_);
        SSL_set_fd(ssl, client);
        if (SSL_accept(ssl) == 1) ++handshakes_;
        SSL_shutdown(ssl);
        SSL_free(ssl);
        ::close(client);
      }
    });
  }
  ~KubeletStandIn() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (ctx_) SSL_CTX_free(ctx_);
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  int handshakes() const { return handshakes_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  SSL_CTX* ctx_ = nullptr;
  std::atomic<bool> stop_{false};
  std::atomic<int> handshakes_{0};
  std::thread thread_;
};

std::string conditionReason(const k8s::CertificateSigningRequest& csr, const std::string& type) {
  const auto* c = k8s::findCondition(csr, type);
  return c ? c->reason : "";
}

std::string servingPem(const std::vector<std::string>& dns, const std::string& ip, EVP_PKEY* key) {
  testpki::CsrOptions o;
  o.subject = {{"O", "system:nodes"}, {"CN", "system:node:worker-1"}};
  o.dnsNames = dns;
  o.ips = {ip};
  o.keyOverride = key;
  return testpki::makeCsr(o);
}

}  // namespace

TEST_CASE("e2e renewal continuity: an identical renewal of the served certificate is approved, an added name is not") {
  const std::string ip = hostAddress();
  if (ip.empty()) {
    MESSAGE("no non-loopback IPv4 address on this machine: the operator never dials loopback, so this test cannot run");
    return;
  }
  Scenario s;
  auto& admin = s.cluster.admin();
  KubeletStandIn kubelet(ip);
  {
    // The kubelet reports its address and serving port in its own Node status.
    auto client = s.cluster.clientFor(s.cluster.nodeKubeconfig("worker-1"));
    auto own = client->get<k8s::Node>("worker-1");
    own.addresses = {{"InternalIP", ip}, {"Hostname", "worker-1"}};
    own.raw.edit()["status"]["daemonEndpoints"] = {{"kubeletEndpoint", {{"Port", kubelet.port()}}}};
    client->updateSubresource(own, "status");
  }

  // The certificate the kubelet serves today, issued by the real operator (node source).
  auto servedKey = testpki::freshKey(testpki::KeyKind::P256);
  {
    OperatorProcess first(s.cluster, "first", s.config(), s.operatorKubeconfig());
    first.start();
    s.createServing("first", "worker-1", servingPem({"worker-1"}, ip, servedKey.get()));
    auto issued = waitForCsr(admin, "first", isIssued);
    REQUIRE(isIssued(issued));
    REQUIRE(first.stop() == 0);
    kubelet.serve(testpki::parseCertPem(issued.status.certificate).get(), servedKey.get());
  }

  // No Machine names worker-1: the Machine source would deny at once (machineDeadline 0s).
  OperatorProcess op(
      s.cluster, "continuity",
      s.config(false, "approver: {kubeletServing: {addressSource: machine, machineDeadline: 0s, renewalContinuity: true}}\n"),
      s.operatorKubeconfig());
  op.start();
  auto renewalKey = testpki::freshKey(testpki::KeyKind::P256);
  s.createServing("renewal", "worker-1", servingPem({"worker-1"}, ip, renewalKey.get()));
  s.createServing("renewal-adds-name", "worker-1", servingPem({"worker-1", "worker-1.cluster.internal"}, ip, renewalKey.get()));

  auto renewal = waitForCsr(admin, "renewal", isIssued);
  CHECK(isIssued(renewal));
  CHECK(conditionReason(renewal, "Approved") == "AutoApproved");
  auto added = waitForCsr(admin, "renewal-adds-name", isDecided);
  CHECK(isDenied(added));
  CHECK(conditionReason(added, "Denied") == "MachineNotFound");
  CHECK(added.status.certificate.empty());
  CHECK(kubelet.handshakes() >= 2);
  CHECK(op.stop() == 0);
}
