// http.bindAddress as run binds it, read once by the configuration loader (so check-config refuses
// what run would) and again by HealthServer: "host:port", "[ipv6]:port" or ":port" (every address),
// the port 0..65535 (0: any free port), the host an IP address (a name would be resolved only when
// binding, and could bind somewhere else than meant).
#pragma once

#include "signers/Result.h"

#include <string>

namespace csrop {

struct BindAddress {
  std::string host;  // an IP address; "0.0.0.0" for ":port"
  int port = 0;
};

// The error says what is wrong and how to write it, without naming the key or the text ("has no port; ...").
signers::Result<BindAddress> parseBindAddress(const std::string& text);

}  // namespace csrop
