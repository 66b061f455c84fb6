#include "tests/fakeapi/HttpServer.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <thread>

namespace fakeapi {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using Stream = beast::ssl_stream<tcp::socket>;

struct HttpServer::Impl {
  Router& router;
  WatchHub& hub;
  const Authenticator& authn;
  net::io_context ioc;
  ssl::context ctx{ssl::context::tls_server};
  tcp::acceptor acceptor{ioc};

  Impl(Router& r, WatchHub& h, const Authenticator& a) : router(r), hub(h), authn(a) {}
  void session(tcp::socket sock);
};

namespace {

class BeastSink : public WatchSink {
 public:
  BeastSink(Stream& s, unsigned version) : s_(s), version_(version) {}
  void begin() override {
    http::response<http::empty_body> res{http::status::ok, version_};
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-cache, private");
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    beast::error_code ec;
    http::write_header(s_, sr, ec);
    began_ = !ec;
  }
  bool write(const std::string& line) override {
    if (!began_) return false;
    beast::error_code ec;
    net::write(s_, http::make_chunk(net::buffer(line)), ec);
    return !ec;
  }
  bool clientGone() override {
    pollfd p{s_.next_layer().native_handle(), POLLRDHUP, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
  }
  void end() {
    if (!began_) return;
    beast::error_code ec;
    net::write(s_, http::make_chunk_last(), ec);
  }
  bool began() const { return began_; }

 private:
  Stream& s_;
  unsigned version_;
  bool began_ = false;
};

template <class Body>
void send(Stream& stream, const Response& r, unsigned version, bool keepAlive, beast::error_code& ec) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::content_type, r.contentType);
  res.set(http::field::cache_control, "no-cache, private");
  for (const auto& [k, v] : r.headers) res.set(k, v);
  res.body() = r.body;
  res.keep_alive(keepAlive);
  res.prepare_payload();
  http::write(stream, res, ec);
}

}  // namespace

void HttpServer::Impl::session(tcp::socket sock) {
  beast::error_code ec;
  sock.set_option(tcp::no_delay(true), ec);
  Stream stream(std::move(sock), ctx);
  stream.handshake(ssl::stream_base::server, ec);
  if (ec) return;
  std::optional<UserInfo> certUser;
  {
    X509* peer = SSL_get1_peer_certificate(stream.native_handle());
    if (peer) {
      certUser = Authenticator::fromCertificate(peer, SSL_get_verify_result(stream.native_handle()) == X509_V_OK);
      X509_free(peer);
    }
  }
  beast::flat_buffer buffer;
  while (true) {
    http::request_parser<http::string_body> parser;
    // kube-apiserver's --max-request-bytes default (3 MiB, MaxRequestBodyBytes in
    // k8s.io/apiserver/pkg/server/config.go), answered as its limitedReadBody does.
    constexpr std::uint64_t kMaxRequestBodyBytes = 3 * 1024 * 1024;
    parser.body_limit(kMaxRequestBodyBytes);
    parser.header_limit(64 * 1024);
    http::read(stream, buffer, parser, ec);
    if (ec == http::error::body_limit) {
      Response tooLarge = errorResponse(
          ApiError(413, "RequestEntityTooLarge", "Request entity too large: limit is " + std::to_string(kMaxRequestBodyBytes)));
      send<http::string_body>(stream, tooLarge, parser.get().version(), false, ec);
      break;
    }
    if (ec) break;
    auto& msg = parser.get();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.body = std::move(msg.body());
    req.contentType = std::string(msg[http::field::content_type]);
    req.accept = std::string(msg[http::field::accept]);
    std::string authz(msg[http::field::authorization]);
    if (!authz.empty())
      req.user = authn.fromBearer(authz);
    else
      req.user = certUser;
    RouteResult result = router.handle(req);
    if (result.watch) {
      BeastSink sink(stream, msg.version());
      try {
        hub.serve(*result.watch, sink);
      } catch (const ApiError& e) {
        if (!sink.began()) {
          send<http::string_body>(stream, errorResponse(e), msg.version(), msg.keep_alive(), ec);
          if (ec || !msg.keep_alive()) break;
          continue;
        }
      }
      sink.end();
      break;  // a watch response ends the connection, as a dropped or timed-out kube watch may
    }
    send<http::string_body>(stream, result.response, msg.version(), msg.keep_alive(), ec);
    if (ec || !msg.keep_alive()) break;
  }
  stream.shutdown(ec);
  stream.next_layer().shutdown(tcp::socket::shutdown_both, ec);
}

HttpServer::HttpServer(Router& router, WatchHub& hub, const Authenticator& authn, const std::string& pkiDir)
    : impl_(std::make_unique<Impl>(router, hub, authn)) {
  auto& ctx = impl_->ctx;
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                  ssl::context::no_tlsv1_1);
  ctx.use_certificate_chain_file(pkiDir + "/server.crt");
  ctx.use_private_key_file(pkiDir + "/server.key", ssl::context::pem);
  ctx.load_verify_file(pkiDir + "/ca.crt");
  SSL_CTX_set_client_CA_list(ctx.native_handle(), SSL_load_client_CA_file((pkiDir + "/ca.crt").c_str()));
  static const unsigned char sid[] = "fake-apiserver";
  SSL_CTX_set_session_id_context(ctx.native_handle(), sid, sizeof sid - 1);
  // Ask for a client certificate but decide in the authenticator (like kube: a bad or missing
  // certificate is an anonymous request answered with 401, not a failed handshake).
  ctx.set_verify_mode(ssl::verify_peer);
  ctx.set_verify_callback([](bool, ssl::verify_context&) { return true; });
}

HttpServer::~HttpServer() = default;

uint16_t HttpServer::bind(const std::string& host, uint16_t port) {
  tcp::endpoint ep(net::ip::make_address(host), port);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(net::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen(net::socket_base::max_listen_connections);
  return impl_->acceptor.local_endpoint().port();
}

void HttpServer::run() {
  while (true) {
    beast::error_code ec;
    tcp::socket sock(impl_->ioc);
    impl_->acceptor.accept(sock, ec);
    if (ec) {
      spdlog::warn("accept failed: {}", ec.message());
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    Impl* impl = impl_.get();
    std::thread([impl, s = std::move(sock)]() mutable {
      try {
        impl->session(std::move(s));
      } catch (const std::exception& e) {
        spdlog::warn("connection ended: {}", e.what());
      }
    }).detach();
  }
}

}  // namespace fakeapi
