// One spelling per identity, so that two spellings of the same name or address can never be
// owned by two different Nodes: DNS names lower-cased without a trailing dot, IPs in canonical
// text with IPv4-mapped IPv6 folded to IPv4 (Go's net.IP.Equal, which TLS clients use to match IP
// SANs, treats ::ffff:10.0.0.1 and 10.0.0.1 as the same address; net/ip.go).
#pragma once

#include "signers/IpAddress.h"

#include <string>
#include <string_view>

namespace csrop {

signers::IpAddress unmappedIp(const signers::IpAddress& ip);
std::string canonicalDnsName(std::string_view name);

// Index keys: "ip:10.0.0.1", "dns:node-a.example.com".
std::string ipKey(const signers::IpAddress& ip);
std::string dnsKey(std::string_view name);

}  // namespace csrop
