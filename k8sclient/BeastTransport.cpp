// HttpTransport over Boost.Beast. Each call runs on its caller's thread, on a kept-alive connection
// taken from a small pool: no I/O thread, no task continuations, no cross-thread wake-up between a
// worker and its socket. Under load cpprest's machinery for that was the largest share of the
// operator's CPU per CSR (bench/RESULTS-e2e.md, "CPU per CSR").
//
// Beast's HTTP code reads and writes the socket synchronously (PolledSocket): asio's asynchronous
// path cost about 21 system calls per request (an epoll_wait after every intermediate handler,
// timerfd updates for each operation's timer, a speculative read), this one about 6.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <climits>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "k8sclient/HttpTransport.h"
#include "k8sclient/StreamLines.h"
#include "k8sclient/TokenSource.h"

namespace k8s {

namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kRequestTimeout{60};
// Go's http.DefaultTransport closes connections idle this long (IdleConnTimeout), and so client-go.
constexpr std::chrono::seconds kIdleConnectionLife{90};
// Enough for every worker, the informers and the lease to keep one each.
constexpr size_t kMaxIdleConnections = 32;
constexpr size_t kStreamChunk = 16 * 1024;
// kube-apiserver's answers carry few headers, but Warning headers are unbounded in principle.
constexpr std::uint32_t kMaxHeaderBytes = 1024 * 1024;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

struct ServerUrl {
  bool tls = true;
  std::string host;        // without brackets
  std::string port;        // always set
  std::string authority;   // as written: the Host header
  std::string pathPrefix;  // a server URL may carry one (an API proxy); requests go below it
};

ServerUrl parseServerUrl(const std::string& url) {
  ServerUrl u;
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    u.tls = false;
    rest = url.substr(7);
  } else {
    throw std::invalid_argument("API server URL '" + url + "' is not http(s)://host[:port]; fix the kubeconfig's server");
  }
  const size_t slash = rest.find('/');
  u.authority = rest.substr(0, slash);
  if (slash != std::string::npos) u.pathPrefix = rest.substr(slash);
  while (!u.pathPrefix.empty() && u.pathPrefix.back() == '/') u.pathPrefix.pop_back();
  if (u.authority.empty() || u.authority.find('@') != std::string::npos)
    throw std::invalid_argument("API server URL '" + url + "' has no host, or user information in it; use https://host:port");
  std::string portText;
  if (u.authority.front() == '[') {
    const size_t close = u.authority.find(']');
    if (close == std::string::npos) throw std::invalid_argument("API server URL '" + url + "': unclosed '[' around an IPv6 address");
    u.host = u.authority.substr(1, close - 1);
    if (close + 1 < u.authority.size()) {
      if (u.authority[close + 1] != ':') throw std::invalid_argument("API server URL '" + url + "': expected ':port' after ']'");
      portText = u.authority.substr(close + 2);
    }
  } else {
    const size_t colon = u.authority.rfind(':');
    u.host = u.authority.substr(0, colon);
    if (colon != std::string::npos) portText = u.authority.substr(colon + 1);
  }
  if (u.host.empty()) throw std::invalid_argument("API server URL '" + url + "' has no host");
  if (portText.empty()) portText = u.tls ? "443" : "80";
  if (!std::all_of(portText.begin(), portText.end(), [](unsigned char c) { return std::isdigit(c); }) || portText.size() > 5 ||
      std::stoi(portText) < 1 || std::stoi(portText) > 65535)
    throw std::invalid_argument("API server URL '" + url + "': port '" + portText + "' is not a number from 1 to 65535");
  u.port = portText;
  return u;
}

bool isIpLiteral(const std::string& host) {
  beast::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

std::string describe(const beast::error_code& ec) {
  std::string what = ec.message();
  // OpenSSL's reason ("certificate verify failed") is in the message; the library's own category name is not useful.
  if (ec.category() == net::error::get_ssl_category()) {
    const unsigned long code = static_cast<unsigned long>(ec.value());
    if (const char* reason = ERR_reason_error_string(code)) what = reason;
  }
  return what;
}

std::shared_ptr<ssl::context> makeTlsContext(const RestConfig& cfg) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  // Go's crypto/tls offers TLS 1.2 and 1.3 by default, and kube-apiserver accepts nothing older.
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  // An idle pooled connection or a quiet watch would otherwise keep about 34 KB of OpenSSL buffers.
  SSL_CTX_set_mode(ctx->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  if (cfg.insecureSkipTlsVerify) {
    ctx->set_verify_mode(ssl::verify_none);
  } else {
    ctx->set_verify_mode(ssl::verify_peer);
    // A configured CA is the only one trusted (a fresh context's store is empty); otherwise the system's.
    if (!cfg.caPem.empty())
      ctx->add_certificate_authority(net::buffer(cfg.caPem.data(), cfg.caPem.size()));
    else
      ctx->set_default_verify_paths();
  }
  if (!cfg.clientCertPem.empty()) {
    ctx->use_certificate_chain(net::buffer(cfg.clientCertPem.data(), cfg.clientCertPem.size()));
    ctx->use_private_key(net::buffer(cfg.clientKeyPem.data(), cfg.clientKeyPem.size()), ssl::context::pem);
  }
  return ctx;
}

// Runs the operation started by start(handler) to its end on this thread, returns its error (only
// name lookups still run on an io_context). A stop already requested starts nothing.
template <typename Start>
beast::error_code runToEnd(net::io_context& ioc, Start& start, const std::stop_token& stop) {
  if (stop.stop_requested()) return net::error::operation_aborted;
  beast::error_code result;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

// An IP address needs no lookup. A name is looked up on an io_context of its own: asio gives every
// io_context that resolves asynchronously a thread for getaddrinfo, which would otherwise live as
// long as the pooled connection.
tcp::resolver::results_type resolve(const std::string& host, const std::string& port, const std::stop_token& stop, beast::error_code& ec) {
  if (isIpLiteral(host)) {
    net::io_context none;
    return tcp::resolver(none).resolve(host, port, tcp::resolver::numeric_host | tcp::resolver::numeric_service, ec);
  }
  net::io_context resolving;
  tcp::resolver resolver(resolving);
  std::stop_callback onStop(stop, [&] { net::post(resolving, [&] { resolver.cancel(); }); });
  tcp::resolver::results_type endpoints;
  auto start = [&](auto handler) {
    resolver.async_resolve(host, port, [&endpoints, handler](beast::error_code e, tcp::resolver::results_type r) mutable {
      endpoints = std::move(r);
      handler(e);
    });
  };
  ec = runToEnd(resolving, start, stop);
  return endpoints;
}

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

beast::error_code lastError() { return beast::error_code(errno, boost::system::system_category()); }

// A non-blocking TCP socket read and written synchronously (Beast's SyncReadStream and
// SyncWriteStream). A wait is one poll(2) on the socket and on an eventfd that cancel() signals,
// from any thread; it ends with beast::error::timeout at the deadline and with
// operation_aborted once cancelled, however the cancel and the wait interleave (the eventfd stays
// signalled, and the flag is read before every call).
class PolledSocket {
 public:
  // asio::ssl::stream builds its (unused) timers from the lowest layer's executor.
  using executor_type = net::io_context::executor_type;
  using lowest_layer_type = PolledSocket;

  explicit PolledSocket(net::io_context& ioc) : executor_(ioc.get_executor()), cancel_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (cancel_.get() < 0)
      throw TransportError(TransportError::Kind::Connect, "cannot create the eventfd a connection to the API server needs: " +
                                                              lastError().message() + "; raise the process's open-file limit");
  }
  executor_type get_executor() { return executor_; }
  lowest_layer_type& lowest_layer() { return *this; }
  const lowest_layer_type& lowest_layer() const { return *this; }
  int native_handle() const { return fd_.get(); }

  void expiresAfter(std::chrono::seconds timeout) { deadline_ = Clock::now() + timeout; }
  void expiresNever() { deadline_ = Clock::time_point::max(); }
  void cancel() {
    cancelled_.store(true);
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(cancel_.get(), &one, sizeof one);
  }

  // Tries each endpoint in turn, as asio::async_connect does; the last one's error is returned.
  void connect(const tcp::resolver::results_type& endpoints, beast::error_code& ec) {
    ec = net::error::not_found;
    for (const auto& entry : endpoints) {
      const auto endpoint = entry.endpoint();
      fd_.reset(::socket(endpoint.protocol().family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP));
      if (fd_.get() < 0) {
        ec = lastError();
        continue;
      }
      if (::connect(fd_.get(), endpoint.data(), static_cast<socklen_t>(endpoint.size())) == 0) {
        ec = {};
      } else if (errno != EINPROGRESS) {
        ec = lastError();
      } else if (wait(POLLOUT, ec)) {
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        ec = beast::error_code(err, boost::system::system_category());
      }
      if (!ec) {
        const int on = 1;
        ::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        return;
      }
      fd_.reset();
      if (ec == beast::error::timeout || ec == net::error::operation_aborted) return;
    }
  }

  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, beast::error_code& ec) {
    const IoVectors v(buffers);
    // After a read that took less than it asked for the socket is most likely empty: wait first
    // instead of paying for a read that says so.
    if (v.bytes != 0 && drained_ && !wait(POLLIN, ec)) return 0;
    const std::size_t n = transfer(v, POLLIN, ec, [this](msghdr& m) { return ::recvmsg(fd_.get(), &m, 0); });
    if (ec) return 0;
    if (n == 0 && v.bytes != 0) {
      ec = net::error::eof;
      return 0;
    }
    drained_ = n < v.bytes;
    return n;
  }
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers) {
    return orThrow([&](beast::error_code& ec) { return read_some(buffers, ec); });
  }

  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers, beast::error_code& ec) {
    // MSG_NOSIGNAL: a peer that went away is an error here, not a SIGPIPE for the process.
    return transfer(IoVectors(buffers), POLLOUT, ec, [this](msghdr& m) { return ::sendmsg(fd_.get(), &m, MSG_NOSIGNAL); });
  }
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers) {
    return orThrow([&](beast::error_code& ec) { return write_some(buffers, ec); });
  }

 private:
  // At most this many buffers per call, as asio's own socket operations take.
  static constexpr std::size_t kMaxBuffers = 64;
  struct IoVectors {
    std::array<iovec, kMaxBuffers> iov;  // only the first count are set and read
    std::size_t count = 0;
    std::size_t bytes = 0;
    template <class Buffers>
    explicit IoVectors(const Buffers& buffers) {
      for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers) && count < kMaxBuffers; ++it) {
        const auto b = *it;
        if (b.size() == 0) continue;
        iov[count].iov_base = const_cast<void*>(static_cast<const void*>(b.data()));
        iov[count].iov_len = b.size();
        bytes += b.size();
        ++count;
      }
    }
  };

  // One recvmsg or sendmsg (call) over v, again after EINTR, and after a wait for events when the
  // socket is not ready.
  template <class Call>
  std::size_t transfer(const IoVectors& v, short events, beast::error_code& ec, Call call) {
    ec = {};
    if (v.bytes == 0) return 0;
    for (;;) {
      if (cancelled_.load()) {
        ec = net::error::operation_aborted;
        return 0;
      }
      msghdr msg{};
      msg.msg_iov = const_cast<iovec*>(v.iov.data());
      msg.msg_iovlen = v.count;
      const ssize_t n = call(msg);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        ec = lastError();
        return 0;
      }
      if (!wait(events, ec)) return 0;
    }
  }

  template <class Transfer>
  static std::size_t orThrow(Transfer t) {
    beast::error_code ec;
    const std::size_t n = t(ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  // True when the socket is ready for events (or has an error the next call reports).
  bool wait(short events, beast::error_code& ec) {
    for (;;) {
      int timeoutMs = -1;
      if (deadline_ != Clock::time_point::max()) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
        if (left <= 0) {
          ec = beast::error::timeout;
          return false;
        }
        timeoutMs = static_cast<int>(std::min<long long>(left, INT_MAX));
      }
      std::array<pollfd, 2> fds{{{fd_.get(), events, 0}, {cancel_.get(), POLLIN, 0}}};
      const int r = ::poll(fds.data(), fds.size(), timeoutMs);
      if (r < 0) {
        if (errno == EINTR) continue;
        ec = lastError();
        return false;
      }
      if (fds[1].revents != 0 || cancelled_.load()) {
        ec = net::error::operation_aborted;
        return false;
      }
      if (r > 0) return true;
    }
  }

  executor_type executor_;
  UniqueFd fd_;
  UniqueFd cancel_;
  std::atomic<bool> cancelled_{false};
  Clock::time_point deadline_ = Clock::time_point::max();
  bool drained_ = false;
};

// One kept-alive connection. Its io_context is never run: the TLS stream only needs an executor.
struct Connection {
  net::io_context ioc;
  std::optional<beast::ssl_stream<PolledSocket>> tls;
  std::optional<PolledSocket> plain;
  beast::flat_buffer buffer;
  Clock::time_point idleSince{};
  bool reused = false;

  PolledSocket& socket() { return tls ? tls->next_layer() : *plain; }
  // Runs f on the stream HTTP is spoken over: the TLS stream, or the socket itself.
  template <typename F>
  void onStream(F&& f) {
    if (tls)
      f(*tls);
    else
      f(*plain);
  }
  // An idle connection the server has closed (or written to, which HTTP/1.1 never does unasked) is not reused.
  bool stillOpen() {
    pollfd p{socket().native_handle(), POLLIN | POLLRDHUP, 0};
    return ::poll(&p, 1, 0) == 0 && buffer.size() == 0;
  }
};

// The connection broke before any byte of the answer arrived, on a connection used before: the
// server most likely closed it while idle, as Go's http.Transport assumes (errServerClosedIdle).
struct ClosedWhileIdle {};

bool brokenBeforeAnswer(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::ssl::error::stream_truncated;
}

class BeastTransport : public HttpTransport {
 public:
  explicit BeastTransport(const RestConfig& cfg)
      : cfg_(cfg),
        url_(parseServerUrl(cfg.server)),
        tokens_(cfg.token, cfg.tokenFile),
        tlsContext_(url_.tls ? makeTlsContext(cfg) : nullptr) {
    if (cfg_.insecureSkipTlsVerify) spdlog::warn("!!! TLS verification of {} is DISABLED (insecure-skip-tls-verify) !!!", cfg_.server);
  }

  HttpResponse send(const HttpRequest& request, std::stop_token stop) override { return perform(request, nullptr, kRequestTimeout, stop); }

  HttpResponse stream(const HttpRequest& request, const std::function<void(std::string_view)>& onLine, std::chrono::seconds idleTimeout,
                      std::stop_token stop) override {
    return perform(request, &onLine, idleTimeout, stop);
  }

 private:
  HttpResponse perform(const HttpRequest& request, const std::function<void(std::string_view)>* onLine, std::chrono::seconds timeout,
                       const std::stop_token& stop) {
    // A GET may be sent again when a reused connection turns out to have been closed; other verbs are
    // the caller's to retry (KubeClient::execute), because the server may have acted on them.
    for (int attempt = 0;; ++attempt) {
      if (stop.stop_requested()) throw TransportError(TransportError::Kind::Cancelled, "cancelled before sending");
      // The retry takes a new connection: the others in the pool may have been closed with this one.
      std::unique_ptr<Connection> c = attempt == 0 ? takeIdle() : nullptr;
      if (!c) c = connect(timeout, stop);
      try {
        bool reusable = false;
        HttpResponse out = exchange(*c, request, onLine, timeout, stop, reusable);
        // A stop that came during the call has cancelled this connection for good.
        if (reusable && !stop.stop_requested()) giveBack(std::move(c));
        return out;
      } catch (const ClosedWhileIdle&) {
        if (request.method == "GET" && attempt == 0) continue;
        throw TransportError(TransportError::Kind::Io, request.method + " " + request.path +
                                                           ": the kept-alive connection was closed by the server before it answered; "
                                                           "the request may or may not have been acted on");
      }
    }
  }

  std::unique_ptr<Connection> takeIdle() {
    std::vector<std::unique_ptr<Connection>> expired;
    std::unique_ptr<Connection> found;
    {
      std::lock_guard lock(mu_);
      const auto now = Clock::now();
      while (!idle_.empty()) {
        std::unique_ptr<Connection> c = std::move(idle_.back());
        idle_.pop_back();
        if (now - c->idleSince < kIdleConnectionLife && c->stillOpen()) {
          found = std::move(c);
          break;
        }
        expired.push_back(std::move(c));
      }
    }
    if (found) found->reused = true;
    return found;
  }

  void giveBack(std::unique_ptr<Connection> c) {
    c->idleSince = Clock::now();
    if (c->buffer.capacity() > kStreamChunk) c->buffer.shrink_to_fit();
    std::lock_guard lock(mu_);
    if (idle_.size() < kMaxIdleConnections) idle_.push_back(std::move(c));
  }

  std::unique_ptr<Connection> connect(std::chrono::seconds timeout, const std::stop_token& stop) {
    auto c = std::make_unique<Connection>();
    const std::string where = url_.host + ":" + url_.port;
    if (url_.tls) {
      c->tls.emplace(c->ioc, *tlsContext_);
      SSL* ssl = c->tls->native_handle();
      const std::string& name = cfg_.tlsServerName.empty() ? url_.host : cfg_.tlsServerName;
      const bool ip = isIpLiteral(name);
      // Go's crypto/tls sends no SNI for an IP address and then checks the certificate's IP SANs.
      if (!ip && !SSL_set_tlsext_host_name(ssl, name.c_str()))
        throw TransportError(TransportError::Kind::Tls, "cannot set the TLS server name '" + name + "' for " + where);
      if (!cfg_.insecureSkipTlsVerify) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        const int set =
            ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
        if (set != 1) throw TransportError(TransportError::Kind::Tls, "cannot verify against the name '" + name + "' for " + where);
      }
    } else {
      c->plain.emplace(c->ioc);
    }
    Connection& conn = *c;
    std::stop_callback onStop(stop, [&conn] { conn.socket().cancel(); });
    auto fail = [&](TransportError::Kind kind, const std::string& step, const beast::error_code& ec) {
      if (stop.stop_requested()) throw TransportError(TransportError::Kind::Cancelled, "cancelled while connecting to " + where);
      if (ec == beast::error::timeout)
        throw TransportError(TransportError::Kind::Connect,
                             step + " " + where + " timed out after " + std::to_string(timeout.count()) + " s");
      throw TransportError(kind, step + " " + where + " failed: " + describe(ec));
    };
    beast::error_code ec;
    const tcp::resolver::results_type endpoints = resolve(url_.host, url_.port, stop, ec);
    if (ec) fail(TransportError::Kind::Connect, "resolving", ec);
    conn.socket().expiresAfter(timeout);
    conn.socket().connect(endpoints, ec);
    if (ec) fail(TransportError::Kind::Connect, "connecting to", ec);
    if (conn.tls) {
      conn.tls->handshake(ssl::stream_base::client, ec);
      if (ec) {
        const long verify = SSL_get_verify_result(conn.tls->native_handle());
        if (verify != X509_V_OK && !stop.stop_requested())
          throw TransportError(TransportError::Kind::Tls, "TLS handshake with " + where +
                                                              " failed: the server's certificate was refused (" +
                                                              X509_verify_cert_error_string(verify) +
                                                              "); check certificate-authority-data and tls-server-name in the kubeconfig");
        fail(TransportError::Kind::Tls, "TLS handshake with", ec);
      }
    }
    conn.socket().expiresNever();
    return c;
  }

  template <typename Body>
  static void copyHead(const http::response_parser<Body>& parser, HttpResponse& out) {
    const auto& head = parser.get();
    out.status = static_cast<int>(head.result_int());
    for (const auto& field : head) {
      auto [it, added] = out.headers.try_emplace(lower(std::string(field.name_string())), std::string(field.value()));
      if (!added) it->second += ", " + std::string(field.value());
    }
  }

  HttpResponse exchange(Connection& c, const HttpRequest& request, const std::function<void(std::string_view)>* onLine,
                        std::chrono::seconds timeout, const std::stop_token& stop, bool& reusable) {
    std::stop_callback onStop(stop, [&c] { c.socket().cancel(); });
    const std::string what = request.method + " " + request.path;
    // The first error decides: a stop wins, then a reused connection closed before it answered, then the kind.
    auto fail = [&](const beast::error_code& ec, bool answered) -> TransportError {
      if (stop.stop_requested()) return TransportError(TransportError::Kind::Cancelled, "cancelled: " + what);
      if (!answered && c.reused && brokenBeforeAnswer(ec)) throw ClosedWhileIdle{};
      if (ec == beast::error::timeout)
        return TransportError(TransportError::Kind::Timeout, what + ": no answer within " + std::to_string(timeout.count()) + " s");
      return TransportError(TransportError::Kind::Io, what + ": " + describe(ec));
    };

    // The body is sent from the caller's string, not copied into the message.
    http::request<http::span_body<const char>> req;
    req.version(11);
    req.method_string(request.method);
    req.target(url_.pathPrefix + request.path);
    req.set(http::field::host, url_.authority);
    req.set(http::field::user_agent, cfg_.userAgent);
    const std::string token = tokens_.token();
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    bool contentType = false;
    for (const auto& [name, value] : request.headers) {
      contentType = contentType || lower(name) == "content-type";
      req.insert(name, value);
    }
    const bool withBody = !request.body.empty() || request.method == "POST" || request.method == "PUT" || request.method == "PATCH";
    if (withBody && !contentType) req.set(http::field::content_type, "application/json");
    req.body() = boost::beast::span<const char>(request.body.data(), request.body.size());
    if (withBody) req.prepare_payload();

    c.socket().expiresAfter(timeout);
    beast::error_code ec;
    c.onStream([&](auto& stream) { http::write(stream, req, ec); });
    if (ec) throw fail(ec, false);

    HttpResponse out;
    if (!onLine) {
      http::response_parser<http::string_body> parser;
      parser.header_limit(kMaxHeaderBytes);
      parser.body_limit(kMaxResponseBodyBytes);
      c.onStream([&](auto& stream) { http::read(stream, c.buffer, parser, ec); });
      if (ec == http::error::body_limit) throw tooLarge(what);
      if (ec) throw fail(ec, parser.got_some());
      copyHead(parser, out);
      out.body = std::move(parser.get().body());
      c.socket().expiresNever();
      reusable = parser.keep_alive();
      return out;
    }

    http::response_parser<http::buffer_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    // Not boost::none: Boost 1.74 compares a Content-Length against an empty limit as exceeding it.
    // The stream's own bound is per line (StreamLines), an error body's is checked below.
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    c.onStream([&](auto& stream) { http::read_header(stream, c.buffer, parser, ec); });
    if (ec) throw fail(ec, parser.got_some());
    copyHead(parser, out);
    const bool ok = out.status >= 200 && out.status < 300;
    if (!ok && parser.content_length() && *parser.content_length() > kMaxResponseBodyBytes) throw tooLarge(what);
    // Left uninitialised: an idle watch only ever touches the first pages of it.
    auto chunk = std::make_unique_for_overwrite<char[]>(kStreamChunk);
    StreamLines lines(*onLine);
    while (!parser.is_done()) {
      parser.get().body().data = chunk.get();
      parser.get().body().size = kStreamChunk;
      c.socket().expiresAfter(timeout);
      c.onStream([&](auto& stream) { http::read_some(stream, c.buffer, parser, ec); });
      if (ec == http::error::need_buffer) ec = {};
      if (ec) throw fail(ec, true);
      const std::string_view got(chunk.get(), kStreamChunk - parser.get().body().size);
      if (ok) {
        lines.feed(got);
      } else {
        if (out.body.size() + got.size() > kMaxResponseBodyBytes) throw tooLarge(what);
        out.body.append(got);
      }
    }
    if (ok) lines.finish();
    if (stop.stop_requested()) throw TransportError(TransportError::Kind::Cancelled, "cancelled: " + what);
    c.socket().expiresNever();
    // A stream's connection is not kept: a server may close it after the stream ends without saying
    // so (the fake kube-apiserver does), and a watch is re-opened seldom enough to pay for a new one.
    reusable = !ok && parser.keep_alive();
    return out;
  }

  static TransportError tooLarge(const std::string& what) {
    return TransportError(TransportError::Kind::Io, what + ": response body larger than " + std::to_string(kMaxResponseBodyBytes) +
                                                        " bytes (k8s::kMaxResponseBodyBytes); list in smaller pages (limit=)");
  }

  RestConfig cfg_;
  ServerUrl url_;
  TokenSource tokens_;
  std::shared_ptr<ssl::context> tlsContext_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace

std::shared_ptr<HttpTransport> makeBeastTransport(const RestConfig& config) { return std::make_shared<BeastTransport>(config); }

}  // namespace k8s
