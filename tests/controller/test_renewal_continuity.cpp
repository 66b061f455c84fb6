#include "controller/RenewalContinuity.h"
#include "tests/support/TestPki.h"
#include "tests/controller/IdentityFixtures.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

using csrop::AddressRequest;
using csrop::AddressVerdict;
using Outcome = csrop::AddressVerdict::Outcome;
using identity::request;

namespace {

using namespace std::chrono_literals;

struct LeafOptions {
  std::string commonName = "system:node:worker-1";
  std::vector<std::string> dnsNames = {"worker-1"}, ips = {"10.0.0.1"};
  std::vector<std::string> extendedKeyUsages = {"serverAuth"};
  bool expired = false;
};

// The served certificate's key is the default shared key, which the kubelet stand-ins serve with.
signers::X509Ptr makeLeaf(const testpki::TestCa& ca, const LeafOptions& o) {
  return testpki::issueCert(ca, {.subject = {{"O", "system:nodes"}, {"CN", o.commonName}},
                                 .dnsNames = o.dnsNames,
                                 .ips = o.ips,
                                 .extendedKeyUsages = o.extendedKeyUsages,
                                 .expired = o.expired,
                                 .keyRole = ""})
      .cert;
}

std::string der(X509* cert) {
  unsigned char* out = nullptr;
  const int len = i2d_X509(cert, &out);
  std::string s(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
  OPENSSL_free(out);
  return s;
}

const testpki::TestCa& kubeletCa() {
  static const testpki::TestCa ca = testpki::makeCa({});
  return ca;
}

struct FakeDialer : csrop::TlsDialer {
  signers::Result<std::vector<std::string>> answer = signers::Result<std::vector<std::string>>::fail("not scripted");
  int dials = 0;
  std::string dialled;
  signers::Result<std::vector<std::string>> peerChain(const signers::IpAddress& ip, uint16_t port, std::chrono::milliseconds) override {
    ++dials;
    dialled = ip.toString() + ":" + std::to_string(port);
    return answer;
  }
};

struct CountingSource : csrop::AddressAuthority {
  int calls = 0;
  std::string_view name() const override { return "machine"; }
  AddressVerdict verify(const AddressRequest&) override {
    ++calls;
    return AddressVerdict::notOwned("IPNotOwnedByMachine", "10.0.0.9", "from the source");
  }
};

k8s::Node kubeletNode(int port = 10250, const std::string& internalIp = "10.0.0.1") {
  auto n = identity::node("worker-1", {"Hostname=worker-1", "ExternalIP=203.0.113.1", "InternalIP=" + internalIp});
  n.raw.set({{"status", {{"daemonEndpoints", {{"kubeletEndpoint", {{"Port", port}}}}}}}});
  return n;
}

}  // namespace

TEST_CASE("servedCertificateGap: only an identical renewal of a valid served certificate is continuous") {
  const auto other = testpki::makeCa({.commonName = "another-ca"});
  struct Row {
    const char* story;
    LeafOptions leaf;
    const testpki::TestCa* issuer;
    std::vector<std::string> dns, ips;
    std::string requestCn;
    bool continuous;
  };
  const Row rows[] = {
      {"identical", {}, &kubeletCa(), {"worker-1"}, {"10.0.0.1"}, "system:node:worker-1", true},
      {"adds a DNS name", {}, &kubeletCa(), {"worker-1", "extra.example.com"}, {"10.0.0.1"}, "system:node:worker-1", false},
      {"adds an IP", {}, &kubeletCa(), {"worker-1"}, {"10.0.0.1", "10.0.0.2"}, "system:node:worker-1", false},
      {"drops an IP", {}, &kubeletCa(), {"worker-1"}, {}, "system:node:worker-1", false},
      {"served by another CA", {}, &other, {"worker-1"}, {"10.0.0.1"}, "system:node:worker-1", false},
      {"expired", {.expired = true}, &kubeletCa(), {"worker-1"}, {"10.0.0.1"}, "system:node:worker-1", false},
      {"another node's certificate",
       {.commonName = "system:node:worker-2"},
       &kubeletCa(),
       {"worker-1"},
       {"10.0.0.1"},
       "system:node:worker-1",
       false},
      {"request CN differs", {}, &kubeletCa(), {"worker-1"}, {"10.0.0.1"}, "system:node:worker-2", false},
      {"client certificate only",
       {.extendedKeyUsages = {"clientAuth"}},
       &kubeletCa(),
       {"worker-1"},
       {"10.0.0.1"},
       "system:node:worker-1",
       false},
  };
  for (const auto& row : rows) {
    CAPTURE(row.story);
    auto leaf = makeLeaf(*row.issuer, row.leaf);
    auto gap = csrop::servedCertificateGap({der(leaf.get())}, kubeletCa().certPem(), "worker-1", request(row.dns, row.ips, row.requestCn));
    CHECK(!gap.has_value() == row.continuous);
  }
}

TEST_CASE("servedCertificateGap: nothing served, garbage served, an empty CA bundle") {
  auto req = request({"worker-1"}, {"10.0.0.1"}, "system:node:worker-1");
  CHECK(csrop::servedCertificateGap({}, kubeletCa().certPem(), "worker-1", req).has_value());
  CHECK(csrop::servedCertificateGap({"not DER"}, kubeletCa().certPem(), "worker-1", req).has_value());
  auto leaf = makeLeaf(kubeletCa(), {});
  CHECK(csrop::servedCertificateGap({der(leaf.get())}, "", "worker-1", req).has_value());
}

TEST_CASE("RenewalContinuity: an identical renewal is owned without asking the source") {
  identity::FakeNodes nodes;
  nodes.nodes["worker-1"] = kubeletNode(10250);
  FakeDialer dialer;
  auto leaf = makeLeaf(kubeletCa(), {});
  dialer.answer = signers::Result<std::vector<std::string>>::ok({der(leaf.get())});
  CountingSource source;
  csrop::RenewalContinuity continuity(nodes, dialer, [] { return kubeletCa().certPem(); }, source, {});
  CHECK(continuity.name() == "renewalContinuity+machine");

  auto same = request({"worker-1"}, {"10.0.0.1"}, "system:node:worker-1");
  CHECK(continuity.verify(AddressRequest{"worker-1", same, 10s}).outcome == Outcome::Owned);
  CHECK(dialer.dialled == "10.0.0.1:10250");
  CHECK(source.calls == 0);

  auto added = request({"worker-1", "new.example.com"}, {"10.0.0.1"}, "system:node:worker-1");
  auto v = continuity.verify(AddressRequest{"worker-1", added, 10s});
  CHECK(v.outcome == Outcome::NotOwned);
  CHECK(v.reason == "IPNotOwnedByMachine");
  CHECK(source.calls == 1);
}

TEST_CASE("RenewalContinuity: loopback, link-local, multicast and unspecified InternalIPs are never dialled") {
  auto same = request({"worker-1"}, {"10.0.0.1"}, "system:node:worker-1");
  for (const char* internalIp : {"127.0.0.1", "169.254.169.254", "0.0.0.0", "::1", "fe80::1", "224.0.0.1", "::ffff:127.0.0.1"}) {
    CAPTURE(internalIp);
    identity::FakeNodes nodes;
    nodes.nodes["worker-1"] = kubeletNode(10250, internalIp);
    FakeDialer dialer;
    auto leaf = makeLeaf(kubeletCa(), {});
    dialer.answer = signers::Result<std::vector<std::string>>::ok({der(leaf.get())});
    CountingSource source;
    csrop::RenewalContinuity continuity(nodes, dialer, [] { return kubeletCa().certPem(); }, source, {});
    CHECK(continuity.verify(AddressRequest{"worker-1", same, 10s}).outcome == Outcome::NotOwned);
    CHECK(dialer.dials == 0);
  }
}

TEST_CASE("RenewalContinuity: a dial failure or a Node without a kubelet endpoint is never a reason to approve") {
  auto same = request({"worker-1"}, {"10.0.0.1"}, "system:node:worker-1");
  struct Row {
    const char* story;
    bool dialFails;
    bool publishesPort;
    bool nodeExists;
  };
  for (const Row row : {Row{"dial fails", true, true, true}, Row{"no port", false, false, true}, Row{"no node", false, true, false}}) {
    CAPTURE(row.story);
    identity::FakeNodes nodes;
    if (row.nodeExists) nodes.nodes["worker-1"] = row.publishesPort ? kubeletNode() : identity::node("worker-1", {"InternalIP=10.0.0.1"});
    FakeDialer dialer;
    auto leaf = makeLeaf(kubeletCa(), {});
    if (!row.dialFails) dialer.answer = signers::Result<std::vector<std::string>>::ok({der(leaf.get())});
    CountingSource source;
    csrop::RenewalContinuity continuity(nodes, dialer, [] { return kubeletCa().certPem(); }, source, {});
    CHECK(continuity.verify(AddressRequest{"worker-1", same, 10s}).outcome == Outcome::NotOwned);
    CHECK(source.calls == 1);
  }
}

namespace {

// One-connection TLS server on 127.0.0.1 presenting `cert`, or (cert null) a TCP listener that
// accepts and never answers.
class KubeletStandIn {
 public:
  KubeletStandIn(X509* cert, EVP_PKEY* key) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 4) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (!cert) return;
    ctx_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx_, cert);
    SSL_CTX_use_PrivateKey(ctx_, key);
    thread_ = std::thread([this] {
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe, nullptr);  // the dialer hangs up right after the handshake
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 5000) != 1) return;
      const int client = ::accept(fd_, nullptr, nullptr);
      SSL* ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, client);
      SSL_accept(ssl);
      SSL_shutdown(ssl);
      SSL_free(ssl);
      ::close(client);
    });
  }
  ~KubeletStandIn() {
    if (thread_.joinable()) thread_.join();
    if (ctx_) SSL_CTX_free(ctx_);
    ::close(fd_);
  }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  SSL_CTX* ctx_ = nullptr;
  std::thread thread_;
};

}  // namespace

TEST_CASE("OpenSslTlsDialer: returns the served chain, and fails within its timeout") {
  const auto loopback = *signers::IpAddress::parse("127.0.0.1");
  csrop::OpenSslTlsDialer dialer;
  auto leaf = makeLeaf(kubeletCa(), {.dnsNames = {}, .ips = {"127.0.0.1"}});
  auto key = testpki::sharedKey(testpki::KeyKind::P256);
  {
    KubeletStandIn kubelet(leaf.get(), key.get());
    auto chain = dialer.peerChain(loopback, kubelet.port(), 5000ms);
    REQUIRE(chain.ok());
    CHECK(chain.value().front() == der(leaf.get()));
  }
  {
    KubeletStandIn silent(nullptr, nullptr);
    const auto start = std::chrono::steady_clock::now();
    auto chain = dialer.peerChain(loopback, silent.port(), 200ms);
    CHECK_FALSE(chain.ok());
    CHECK(chain.error().find("timed out") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - start < 3s);
  }
  uint16_t closedPort = 0;
  { closedPort = KubeletStandIn(nullptr, nullptr).port(); }
  CHECK_FALSE(dialer.peerChain(loopback, closedPort, 1000ms).ok());
}
