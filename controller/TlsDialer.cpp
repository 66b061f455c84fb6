#include "controller/TlsDialer.h"

#include "signers/OpenSslPtr.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <csignal>
#include <ctime>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

namespace csrop {
namespace {

using Clock = std::chrono::steady_clock;
using ChainResult = signers::Result<std::vector<std::string>>;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};
struct SslCtxFree {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
struct SslFree {
  void operator()(SSL* p) const { SSL_free(p); }
};

// A kubelet that resets the connection mid-handshake must not kill the operator: OpenSSL writes
// with write(2), which raises SIGPIPE on a broken socket. SIGPIPE is blocked on this thread for
// the dial, and one raised meanwhile is consumed before the mask is restored.
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
  }
  ~SigpipeBlocked() {
    const timespec zero{0, 0};
    while (sigtimedwait(&pipe_, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

 private:
  sigset_t pipe_{}, previous_{};
};

// Waits for `events` on fd until deadline; false on timeout or error.
bool waitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left));
    if (n > 0) return true;
    if (n == 0 || errno != EINTR) return false;
  }
}

std::string target(const signers::IpAddress& ip, uint16_t port) {
  return (ip.family == 6 ? "[" + ip.toString() + "]" : ip.toString()) + ":" + std::to_string(port);
}

// Empty on success, else what went wrong.
std::string connectSocket(Fd& sock, const signers::IpAddress& ip, uint16_t port, Clock::time_point deadline) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  if (ip.family == 4) {
    auto* a = reinterpret_cast<sockaddr_in*>(&addr);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    std::memcpy(&a->sin_addr, ip.bytes.data(), 4);
    len = sizeof(sockaddr_in);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    std::memcpy(&a->sin6_addr, ip.bytes.data(), 16);
    len = sizeof(sockaddr_in6);
  }
  sock.fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (sock.fd < 0) return std::string("socket: ") + std::strerror(errno);
  if (::connect(sock.fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    if (errno != EINPROGRESS) return "connecting to " + target(ip, port) + ": " + std::strerror(errno);
    if (!waitFor(sock.fd, POLLOUT, deadline)) return "connecting to " + target(ip, port) + " timed out";
    int err = 0;
    socklen_t errLen = sizeof err;
    ::getsockopt(sock.fd, SOL_SOCKET, SO_ERROR, &err, &errLen);
    if (err != 0) return "connecting to " + target(ip, port) + ": " + std::strerror(err);
  }
  return {};
}

}  // namespace

ChainResult OpenSslTlsDialer::peerChain(const signers::IpAddress& ip, uint16_t port, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  SigpipeBlocked noSigpipe;
  Fd sock;
  if (auto error = connectSocket(sock, ip, port, deadline); !error.empty()) return ChainResult::fail(error);

  std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return ChainResult::fail("creating a TLS context failed");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  // The chain is verified by the caller against the signer's CA, not by the handshake.
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
  if (!ssl || SSL_set_fd(ssl.get(), sock.fd) != 1) return ChainResult::fail("creating a TLS session failed");
  for (;;) {
    const int rc = SSL_connect(ssl.get());
    if (rc == 1) break;
    const int err = SSL_get_error(ssl.get(), rc);
    const short events = err == SSL_ERROR_WANT_READ ? POLLIN : err == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
    if (events == 0) {
      ERR_clear_error();
      return ChainResult::fail("TLS handshake with " + target(ip, port) + " failed");
    }
    if (!waitFor(sock.fd, events, deadline)) return ChainResult::fail("TLS handshake with " + target(ip, port) + " timed out");
  }
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl.get());
  if (!chain || sk_X509_num(chain) == 0) return ChainResult::fail(target(ip, port) + " presented no certificate");
  std::vector<std::string> out;
  const int count = std::min<int>(sk_X509_num(chain), static_cast<int>(kMaxChainCertificates));
  for (int i = 0; i < count; ++i) {
    unsigned char* der = nullptr;
    const int len = i2d_X509(sk_X509_value(chain, i), &der);
    const signers::OpenSslBytesPtr owned(der);
    if (len <= 0) return ChainResult::fail("encoding the certificate from " + target(ip, port) + " failed");
    out.emplace_back(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  }
  return ChainResult::ok(std::move(out));
}

}  // namespace csrop
