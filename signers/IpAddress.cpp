#include "signers/IpAddress.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace signers {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton needs a NUL-terminated string; anything this long is not an address.
  if (text.empty() || text.size() > 45) return std::nullopt;
  std::string s(text);
  IpAddress ip;
  if (s.find(':') == std::string::npos) {
    ip.family = 4;
    // glibc's inet_pton accepts only the strict dotted quad and refuses leading zeros.
    if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) != 1) return std::nullopt;
    return ip;
  }
  ip.family = 6;
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) != 1) return std::nullopt;
  return ip;
}

std::optional<IpAddress> IpAddress::fromBytes(const uint8_t* data, std::size_t length) {
  if (data == nullptr || (length != 4 && length != 16)) return std::nullopt;
  IpAddress ip;
  ip.family = length == 4 ? 4 : 6;
  std::memcpy(ip.bytes.data(), data, length);
  return ip;
}

std::string IpAddress::toString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  // glibc's inet_ntop follows RFC 5952: lower case, longest zero run (first on ties, never a
  // single group) compressed, ::ffff:a.b.c.d for mapped addresses.
  if (inet_ntop(family == 4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf) == nullptr) return {};
  return buf;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto ip = IpAddress::parse(text.substr(0, slash));
  if (!ip) return std::nullopt;
  std::string_view len = text.substr(slash + 1);
  if (len.empty() || len.size() > 3 || (len.size() > 1 && len[0] == '0')) return std::nullopt;
  int prefix = -1;
  auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
  if (ec != std::errc() || ptr != len.data() + len.size()) return std::nullopt;
  int maxPrefix = ip->family == 4 ? 32 : 128;
  if (prefix < 0 || prefix > maxPrefix) return std::nullopt;
  Cidr cidr;
  cidr.prefixLength = prefix;
  cidr.network = *ip;
  for (int bit = prefix; bit < maxPrefix; ++bit) {
    cidr.network.bytes[static_cast<std::size_t>(bit / 8)] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  }
  return cidr;
}

bool Cidr::contains(const IpAddress& address) const {
  if (address.family != network.family) return false;
  int full = prefixLength / 8;
  if (std::memcmp(address.bytes.data(), network.bytes.data(), static_cast<std::size_t>(full)) != 0) return false;
  int rest = prefixLength % 8;
  if (rest == 0) return true;
  auto mask = static_cast<uint8_t>(0xFFu << (8 - rest));
  return (address.bytes[static_cast<std::size_t>(full)] & mask) == (network.bytes[static_cast<std::size_t>(full)] & mask);
}

std::string Cidr::toString() const { return network.toString() + "/" + std::to_string(prefixLength); }

}  // namespace signers
