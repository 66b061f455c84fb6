#include "controller/HealthServer.h"

#include "controller/BindAddress.h"

#include "controller/HealthRequestParser.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <list>
#include <optional>
#include <stdexcept>
#include <thread>

namespace csrop {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

struct Reply {
  http::status status;
  std::string body;
  const char* contentType = "text/plain";
  bool close = false;
};

}  // namespace

// Everything below runs on the one I/O thread, so the session list needs no lock.
struct HealthServer::Impl {
  class Session;

  Impl(std::function<std::string()> r, std::function<std::string()> m, HealthServerLimits l)
      : notReady(std::move(r)), metrics(std::move(m)), limits(l) {}

  void accept();
  void admit(tcp::socket socket);
  Reply route(const http::request<http::empty_body>& req) const;

  std::function<std::string()> notReady;
  std::function<std::string()> metrics;
  HealthServerLimits limits;
  std::list<Session*> sessions;  // oldest first; each session removes itself when it ends
  std::atomic<std::size_t> open{0};
  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  net::steady_timer acceptPause{ioc};
  int port = 0;
  std::thread thread;
};

class HealthServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Impl& server, tcp::socket socket)
      : server_(server), stream_(std::move(socket)), buffer_(HealthHeaderReader::makeBuffer(server.limits.maxHeaderBytes)) {
    position_ = server_.sessions.insert(server_.sessions.end(), this);
    server_.open.fetch_add(1);
  }
  ~Session() {
    server_.sessions.erase(position_);
    server_.open.fetch_sub(1);
  }

  void start() { readRequest(); }
  bool waitingForRequest() const { return waiting_; }
  void evict() {
    beast::error_code ec;
    stream_.socket().close(ec);
  }

 private:
  void readRequest() {
    reader_.emplace(server_.limits.maxHeaderBytes);
    waiting_ = true;
    stream_.expires_after(server_.limits.requestTimeout);
    parseBuffered();
  }

  // A pipelined request may already be buffered; otherwise read what the client sends next.
  void parseBuffered() {
    switch (reader_->feed(buffer_)) {
      case HealthHeaderReader::State::Done: return onHeader({});
      case HealthHeaderReader::State::Failed: return onHeader(reader_->error());
      case HealthHeaderReader::State::NeedMore: break;
    }
    stream_.async_read_some(buffer_.prepare(HealthHeaderReader::room(buffer_)),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              if (ec) return self->onHeader(ec);
                              self->buffer_.commit(n);
                              self->parseBuffered();
                            });
  }

  void onHeader(beast::error_code ec) {
    waiting_ = false;
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
      return send({http::status::request_header_fields_too_large, "request header too large\n", "text/plain", true}, 11);
    if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset)
      return close();
    // Nothing here takes a body; it is never read, so it cannot take memory either.
    if (ec == http::error::body_limit)
      return send({http::status::payload_too_large, "request bodies are not accepted\n", "text/plain", true}, 11);
    if (ec) return send({http::status::bad_request, "malformed request\n", "text/plain", true}, 11);
    const auto& req = reader_->parser().get();
    if (reader_->parser().chunked())
      return send({http::status::payload_too_large, "request bodies are not accepted\n", "text/plain", true}, req.version());
    Reply reply = server_.route(req);
    reply.close = reply.close || !req.keep_alive();
    send(std::move(reply), req.version(), req.method() == http::verb::head);
  }

  void send(Reply reply, unsigned version, bool headOnly = false) {
    response_ = {};
    response_.version(version);
    response_.result(reply.status);
    response_.set(http::field::content_type, reply.contentType);
    response_.keep_alive(!reply.close);
    response_.content_length(reply.body.size());
    if (!headOnly) response_.body() = std::move(reply.body);
    close_ = reply.close;
    stream_.expires_after(server_.limits.writeTimeout);
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || self->close_) return self->close();
      self->readRequest();
    });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  Impl& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;  // capped at maxHeaderBytes: a header that does not fit is refused
  std::optional<HealthHeaderReader> reader_;
  http::response<http::string_body> response_;
  bool waiting_ = false, close_ = false;
  std::list<Session*>::iterator position_;
};

Reply HealthServer::Impl::route(const http::request<http::empty_body>& req) const {
  if (req.method() != http::verb::get && req.method() != http::verb::head)
    return {http::status::method_not_allowed, "method not allowed\n"};
  const std::string_view target(req.target().data(), req.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/healthz") return {http::status::ok, "ok\n"};
  if (path == "/readyz") {
    const std::string why = notReady();
    return {why.empty() ? http::status::ok : http::status::service_unavailable, why.empty() ? "ok\n" : why + "\n"};
  }
  if (path == "/metrics") return {http::status::ok, metrics(), "text/plain; version=0.0.4; charset=utf-8"};
  return {http::status::not_found, "not found\n"};
}

void HealthServer::Impl::admit(tcp::socket socket) {
  if (sessions.size() >= limits.maxConnections) {
    Session* oldestIdle = nullptr;
    for (Session* s : sessions)
      if (s->waitingForRequest()) {
        oldestIdle = s;
        break;
      }
    if (!oldestIdle) {
      beast::error_code ec;
      socket.close(ec);  // every slot is busy answering; the client retries
      return;
    }
    oldestIdle->evict();
  }
  std::make_shared<Session>(*this, std::move(socket))->start();
}

void HealthServer::Impl::accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;
    if (!ec) {
      admit(std::move(socket));
      return accept();
    }
    // Out of descriptors or memory: try again shortly instead of spinning on the error.
    acceptPause.expires_after(std::chrono::milliseconds(100));
    acceptPause.async_wait([this](beast::error_code waited) {
      if (waited != net::error::operation_aborted) accept();
    });
  });
}

HealthServer::HealthServer(const std::string& bindAddress, std::function<std::string()> notReady, std::function<std::string()> metrics,
                           HealthServerLimits limits)
    : impl_(std::make_unique<Impl>(std::move(notReady), std::move(metrics), limits)) {
  const auto parsed = parseBindAddress(bindAddress);
  if (!parsed) throw std::runtime_error("http.bindAddress '" + bindAddress + "' " + parsed.error());
  beast::error_code ec;
  const auto address = net::ip::make_address(parsed.value().host, ec);
  if (ec) throw std::runtime_error("http.bindAddress '" + bindAddress + "': '" + parsed.value().host + "' is not an IP address");
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(parsed.value().port));
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot serve http on " + bindAddress + ": " + ec.message() + "; choose another http.bindAddress");
  impl_->port = acceptor.local_endpoint().port();
  impl_->accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->ioc.run(); });
}

HealthServer::~HealthServer() {
  impl_->ioc.stop();
  impl_->thread.join();
}

int HealthServer::port() const { return impl_->port; }

std::size_t HealthServer::openConnections() const { return impl_->open.load(); }

}  // namespace csrop
