#include "controller/HealthServer.h"

#include <cpprest/http_listener.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace csrop {
namespace {

// cpprest cannot report the port it bound, so port 0 is resolved by asking the kernel first.
int freePort(const std::string& host) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  inet_pton(AF_INET, host == "0.0.0.0" ? "0.0.0.0" : host.c_str(), &addr.sin_addr);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot find a free port on " + host);
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

struct HealthServer::Impl {
  std::unique_ptr<web::http::experimental::listener::http_listener> listener;
  int port = 0;
};

HealthServer::HealthServer(const std::string& bindAddress, std::function<bool()> ready, std::function<std::string()> metrics)
    : impl_(std::make_unique<Impl>()) {
  const auto colon = bindAddress.rfind(':');
  if (colon == std::string::npos)
    throw std::runtime_error("http.bindAddress '" + bindAddress + "' must be host:port or :port");
  std::string host = bindAddress.substr(0, colon);
  if (host.empty()) host = "0.0.0.0";
  int port = 0;
  try {
    port = std::stoi(bindAddress.substr(colon + 1));
  } catch (const std::exception&) {
    throw std::runtime_error("http.bindAddress '" + bindAddress + "' has no valid port");
  }
  if (port == 0) port = freePort(host);
  impl_->port = port;
  using namespace web::http;
  impl_->listener = std::make_unique<experimental::listener::http_listener>("http://" + host + ":" + std::to_string(port));
  impl_->listener->support([ready, metrics](http_request req) {
    const auto path = req.relative_uri().path();
    if (req.method() != methods::GET && req.method() != methods::HEAD) {
      req.reply(status_codes::MethodNotAllowed, "method not allowed\n", "text/plain");
      return;
    }
    if (path == "/healthz") {
      req.reply(status_codes::OK, "ok\n", "text/plain");
    } else if (path == "/readyz") {
      const bool ok = ready();
      req.reply(ok ? status_codes::OK : status_codes::ServiceUnavailable, ok ? "ok\n" : "informers not synced\n", "text/plain");
    } else if (path == "/metrics") {
      req.reply(status_codes::OK, metrics(), "text/plain; version=0.0.4; charset=utf-8");
    } else {
      req.reply(status_codes::NotFound, "not found\n", "text/plain");
    }
  });
  try {
    impl_->listener->open().wait();
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot serve http on " + bindAddress + ": " + e.what() + "; choose another http.bindAddress");
  }
}

HealthServer::~HealthServer() {
  try {
    impl_->listener->close().wait();
  } catch (const std::exception&) {
    // Closing at exit: nothing useful to do with a failure here.
  }
}

int HealthServer::port() const { return impl_->port; }

}  // namespace csrop
