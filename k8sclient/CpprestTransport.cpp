// The only file that includes cpprest: HttpTransport over web::http::client with OpenSSL.
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <cpprest/http_client.h>
#include <cpprest/rawptrstream.h>
#include <cpprest/containerstream.h>
#include <pplx/threadpool.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <system_error>

#include "k8sclient/HttpTransport.h"
#include "k8sclient/StreamLines.h"
#include "k8sclient/TokenSource.h"

namespace k8s {

namespace {

using web::http::client::http_client;
using web::http::client::http_client_config;

constexpr std::chrono::seconds kRequestTimeout{60};
// One I/O thread, and every cancellation posted to it: cpprest's SSL reads continue from inside
// asio's composed operations, outside the lock asio_connection takes to close a socket
// (http_client_asio.cpp), so a close from another thread while a body is still arriving could
// free the socket's reactor state under a read (seen as a crash in epoll_reactor::start_op after
// an oversized body was abandoned). On one thread a close never overlaps a read, cpprest's own
// timeouts included. It is also cheaper: fewer cross-thread wake-ups per request.
constexpr size_t kIoThreads = 1;
constexpr size_t kChunk = 64 * 1024;

void cancelOnIoThread(const pplx::cancellation_token_source& cts) {
  boost::asio::post(crossplat::threadpool::shared_instance().service(), [cts]() mutable { cts.cancel(); });
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Replaces the store cpprest pre-loads with the system paths, so that only the configured CA is trusted.
void trustOnly(boost::asio::ssl::context& ctx, const std::string& caPem) {
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  if (!store) throw std::runtime_error("X509_STORE_new failed");
  // SSL_CTX_set_cert_store takes ownership (and frees the previous store).
  SSL_CTX_set_cert_store(ctx.native_handle(), store.release());
  ctx.add_certificate_authority(boost::asio::buffer(caPem.data(), caPem.size()));
}

class CpprestTransport : public HttpTransport {
 public:
  explicit CpprestTransport(const RestConfig& cfg)
      : cfg_(cfg), tokens_(cfg.token, cfg.tokenFile), requestClient_(makeClient(kRequestTimeout)) {
    if (cfg_.insecureSkipTlsVerify) spdlog::warn("!!! TLS verification of {} is DISABLED (insecure-skip-tls-verify) !!!", cfg_.server);
  }

  HttpResponse send(const HttpRequest& request, std::stop_token stop) override { return perform(*requestClient_, request, nullptr, stop); }

  HttpResponse stream(const HttpRequest& request, const std::function<void(std::string_view)>& onLine, std::chrono::seconds idleTimeout,
                      std::stop_token stop) override {
    return perform(streamClient(idleTimeout), request, &onLine, stop);
  }

 private:
  std::unique_ptr<http_client> makeClient(std::chrono::seconds timeout) const {
    http_client_config c;
    c.set_timeout(timeout);
    c.set_validate_certificates(!cfg_.insecureSkipTlsVerify);
    RestConfig cfg = cfg_;
    c.set_ssl_context_callback([cfg](boost::asio::ssl::context& ctx) {
      // A watch or a pooled connection sits idle most of the time; without this each keeps its
      // OpenSSL read and write buffers (about 34 KB) for its whole life.
      SSL_CTX_set_mode(ctx.native_handle(), SSL_MODE_RELEASE_BUFFERS);
      if (!cfg.caPem.empty()) trustOnly(ctx, cfg.caPem);
      if (!cfg.clientCertPem.empty()) {
        ctx.use_certificate_chain(boost::asio::buffer(cfg.clientCertPem.data(), cfg.clientCertPem.size()));
        ctx.use_private_key(boost::asio::buffer(cfg.clientKeyPem.data(), cfg.clientKeyPem.size()), boost::asio::ssl::context::pem);
      }
    });
    return std::make_unique<http_client>(web::uri(cfg_.server), c);
  }

  // The inactivity timeout is fixed per http_client, so watches get their own client per timeout value.
  http_client& streamClient(std::chrono::seconds idle) {
    std::lock_guard lock(mu_);
    auto& slot = streamClients_[idle.count()];
    if (!slot) slot = makeClient(idle);
    return *slot;
  }

  web::http::http_request build(const HttpRequest& r) {
    web::http::http_request req(r.method);
    req.set_request_uri(r.path);
    std::string contentType = "application/json";
    for (const auto& [k, v] : r.headers) {
      if (lower(k) == "content-type")
        contentType = v;
      else
        req.headers().add(k, v);
    }
    req.headers().add("User-Agent", cfg_.userAgent);
    // cpprest takes the Host header as the name for SNI and certificate verification (calc_cn_host).
    if (!cfg_.tlsServerName.empty()) req.headers().add("Host", cfg_.tlsServerName);
    std::string token = tokens_.token();
    if (!token.empty()) req.headers().add("Authorization", "Bearer " + token);
    if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") req.set_body(r.body, contentType);
    return req;
  }

  static TransportError classify(const std::exception& e, const std::stop_token& stop) {
    std::string what = e.what();
    if (stop.stop_requested()) return TransportError(TransportError::Kind::Cancelled, "cancelled: " + what);
    if (auto* he = dynamic_cast<const web::http::http_exception*>(&e)) {
      auto ec = he->error_code();
      if (ec == std::errc::timed_out) return TransportError(TransportError::Kind::Timeout, what);
      if (ec == std::errc::operation_canceled) return TransportError(TransportError::Kind::Cancelled, what);
    }
    if (dynamic_cast<const pplx::task_canceled*>(&e)) return TransportError(TransportError::Kind::Cancelled, what);
    std::string l = lower(what);
    if (l.find("ssl") != std::string::npos || l.find("certificate") != std::string::npos || l.find("handshake") != std::string::npos)
      return TransportError(TransportError::Kind::Tls, what);
    if (l.find("connect") != std::string::npos || l.find("resolve") != std::string::npos)
      return TransportError(TransportError::Kind::Connect, what);
    return TransportError(TransportError::Kind::Io, what);
  }

  // The whole body, or abandon() once it is known to exceed kMaxResponseBodyBytes: up front from
  // Content-Length, else as the bytes arrive (chunked), so at most one chunk past the limit is held.
  template <typename Abandon>
  static std::string readBounded(web::http::http_response& resp, const HttpResponse& out, const Abandon& abandon) {
    const std::string tooLarge = "response body larger than " + std::to_string(kMaxResponseBodyBytes) +
                                 " bytes (k8s::kMaxResponseBodyBytes); list in smaller pages (limit=)";
    const std::string length = out.header("content-length");
    if (!length.empty() && std::strtoull(length.c_str(), nullptr, 10) > kMaxResponseBodyBytes) abandon(tooLarge);
    auto buffer = resp.body().streambuf();
    auto chunk = std::make_unique_for_overwrite<uint8_t[]>(kChunk);
    std::string body;
    for (;;) {
      const size_t n = buffer.getn(chunk.get(), kChunk).get();
      if (n == 0) return body;
      if (body.size() + n > kMaxResponseBodyBytes) abandon(tooLarge);
      body.append(reinterpret_cast<const char*>(chunk.get()), n);
    }
  }

  HttpResponse perform(http_client& client, const HttpRequest& request, const std::function<void(std::string_view)>* onLine,
                       std::stop_token stop) {
    if (stop.stop_requested()) throw TransportError(TransportError::Kind::Cancelled, "cancelled before sending");
    pplx::cancellation_token_source cts;
    // Cancelling the token aborts the socket, which ends a blocked read_line within milliseconds.
    std::stop_callback onStop(stop, [&cts] { cancelOnIoThread(cts); });
    HttpResponse out;
    try {
      web::http::http_response resp = client.request(build(request), cts.get_token()).get();
      out.status = resp.status_code();
      for (const auto& [k, v] : resp.headers()) out.headers[lower(k)] = v;
      bool ok = out.status >= 200 && out.status < 300;
      // Drops the connection: the rest of this body must not be read by the next request on it.
      auto abandon = [&](const std::string& why) {
        cancelOnIoThread(cts);
        throw TransportError(TransportError::Kind::Io, request.method + " " + request.path + ": " + why);
      };
      if (!onLine || !ok) {
        out.body = readBounded(resp, out, abandon);
        return out;
      }
      // Reads whatever has arrived (at least one byte, so an idle watch blocks here) and hands
      // out complete lines. cpprest's read_line goes through the stream buffer one character at a
      // time, which made reading watch events the operator's largest CPU cost under load.
      auto buffer = resp.body().streambuf();
      // Left uninitialised: an idle watch only ever touches the first pages of it.
      auto chunk = std::make_unique_for_overwrite<uint8_t[]>(kChunk);
      StreamLines lines(*onLine);
      try {
        for (;;) {
          const size_t want = std::clamp<size_t>(buffer.in_avail(), 1, kChunk);
          const size_t n = buffer.getn(chunk.get(), want).get();
          if (n == 0) break;
          lines.feed(std::string_view(reinterpret_cast<const char*>(chunk.get()), n));
        }
        lines.finish();
      } catch (...) {
        // Drops the connection: the rest of this body must not be read by the next request on it.
        cancelOnIoThread(cts);
        throw;
      }
      if (stop.stop_requested()) throw TransportError(TransportError::Kind::Cancelled, "cancelled");
      return out;
    } catch (const TransportError&) {
      throw;
    } catch (const web::http::http_exception& e) {
      throw classify(e, stop);
    } catch (const pplx::task_canceled& e) {
      throw classify(e, stop);
    } catch (const boost::system::system_error& e) {
      throw classify(e, stop);
    } catch (const std::ios_base::failure& e) {
      throw classify(e, stop);
    }
  }

  RestConfig cfg_;
  TokenSource tokens_;
  std::unique_ptr<http_client> requestClient_;
  std::mutex mu_;
  std::map<long, std::unique_ptr<http_client>> streamClients_;
};

}  // namespace

std::shared_ptr<HttpTransport> makeCpprestTransport(const RestConfig& config) {
  // cpprest's shared pool only runs asio I/O and task continuations; callers block on .get() in their
  // own threads. Its default of 40 threads costs memory (stacks, malloc arenas) for no throughput.
  static std::once_flag pool;
  std::call_once(pool, [] {
    try {
      crossplat::threadpool::initialize_with_threads(kIoThreads);
    } catch (const std::exception& e) {
      spdlog::debug("cpprest thread pool already initialised: {}", e.what());
    }
  });
  // cpprest calls set_default_verify_paths() on every new connection's context before our callback
  // replaces its store (http_client_asio.cpp, asio_connection::upgrade_to_ssl), which parses the whole
  // system bundle, about 140 certificates, per connection only to throw them away. When a CA is
  // configured the system store is never consulted, so point OpenSSL's default file at nothing.
  // OpenSSL reads it with getenv on each connection. setenv is not safe against a concurrent getenv,
  // so it happens once, when the first transport with a CA is made: the operator makes its only
  // transport before it starts any thread.
  if (!config.caPem.empty()) {
    static std::once_flag noSystemBundle;
    std::call_once(noSystemBundle, [] { setenv(X509_get_default_cert_file_env(), "/dev/null", 1); });
  }
  return std::make_shared<CpprestTransport>(config);
}

}  // namespace k8s
