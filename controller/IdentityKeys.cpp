#include "controller/IdentityKeys.h"

#include <algorithm>
#include <cctype>

namespace csrop {

signers::IpAddress unmappedIp(const signers::IpAddress& ip) {
  if (ip.family != 6) return ip;
  const bool mapped = std::all_of(ip.bytes.begin(), ip.bytes.begin() + 10, [](uint8_t b) { return b == 0; }) && ip.bytes[10] == 0xff &&
                      ip.bytes[11] == 0xff;
  if (!mapped) return ip;
  signers::IpAddress v4;
  v4.family = 4;
  std::copy(ip.bytes.begin() + 12, ip.bytes.end(), v4.bytes.begin());
  return v4;
}

std::string canonicalDnsName(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string ipKey(const signers::IpAddress& ip) { return "ip:" + unmappedIp(ip).toString(); }
std::string dnsKey(std::string_view name) { return "dns:" + canonicalDnsName(name); }

}  // namespace csrop
