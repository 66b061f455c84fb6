// Plain-HTTP endpoint for probes and scraping: /healthz (the process is alive), /readyz
// (informers synced and every signer can sign; else 503 with the reason) and /metrics (Prometheus text).
// The listener is unauthenticated and reachable by anyone who can reach the pod, so every
// resource it spends on a client is bounded (see HealthServerLimits). Boost.Beast stays behind
// this interface; handlers never block.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace csrop {

struct HealthServerLimits {
  // Request line plus headers; more is answered 431 and the connection closed.
  std::size_t maxHeaderBytes = 8 * 1024;
  // From the moment a connection waits for a request until its header is complete; covers both a
  // slow header and an idle keep-alive connection.
  std::chrono::milliseconds requestTimeout{10000};
  std::chrono::milliseconds writeTimeout{10000};
  // Open connections. When full, a new connection replaces the oldest one still waiting for its
  // request, so idle connections cannot lock probes out.
  std::size_t maxConnections = 64;
};

class HealthServer {
 public:
  // bindAddress: "host:port" or ":port"; port 0 picks a free port (see port()). notReady: empty when
  // ready, else the reason /readyz answers 503 with.
  HealthServer(const std::string& bindAddress, std::function<std::string()> notReady, std::function<std::string()> metrics,
               HealthServerLimits limits = {});
  ~HealthServer();
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  int port() const;
  std::size_t openConnections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace csrop
