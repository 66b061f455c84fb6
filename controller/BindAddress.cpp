#include "controller/BindAddress.h"

#include <arpa/inet.h>

namespace csrop {

signers::Result<BindAddress> parseBindAddress(const std::string& text) {
  using R = signers::Result<BindAddress>;
  const std::string how = "; write host:port, [ipv6]:port or :port, e.g. :8080 or 127.0.0.1:8080";
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return R::fail("has no port" + how);
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  const std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535)
    return R::fail("has no valid port (0 to 65535)" + how);
  unsigned char address[16];
  if (inet_pton(AF_INET, host.c_str(), address) != 1 && inet_pton(AF_INET6, host.c_str(), address) != 1)
    return R::fail("has the host '" + host + "', which is not an IP address" + how);
  return R::ok(BindAddress{host, std::stoi(port)});
}

}  // namespace csrop
