// Plain-HTTP endpoint for probes and scraping: /healthz (the process is alive), /readyz
// (informers synced and the operator can work) and /metrics (Prometheus text).
// The cpprest listener stays behind this interface (handlers never block).
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace csrop {

class HealthServer {
 public:
  // bindAddress: "host:port" or ":port"; port 0 picks a free port (see port()).
  HealthServer(const std::string& bindAddress, std::function<bool()> ready, std::function<std::string()> metrics);
  ~HealthServer();
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace csrop
