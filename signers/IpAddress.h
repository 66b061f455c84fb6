#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace signers {

struct IpAddress {
  int family = 4;                   // 4 or 6
  std::array<uint8_t, 16> bytes{};  // v4 uses the first 4 bytes, the rest stay zero

  // Strict textual forms only: dotted quad without leading zeros, or RFC 4291 v6 (no zone id).
  static std::optional<IpAddress> parse(std::string_view text);
  // From the raw octets of an iPAddress SAN (4 or 16 bytes).
  static std::optional<IpAddress> fromBytes(const uint8_t* data, std::size_t length);

  std::size_t length() const { return family == 4 ? 4 : 16; }
  // Canonical text; RFC 5952 for v6.
  std::string toString() const;

  // Families are compared strictly: ::ffff:10.0.0.1 is not 10.0.0.1.
  bool operator==(const IpAddress& other) const = default;
};

struct Cidr {
  IpAddress network;  // host bits are cleared by parse
  int prefixLength = 0;

  // "10.0.0.0/8", "fd00::/8". A bare address is refused (write /32 or /128).
  static std::optional<Cidr> parse(std::string_view text);
  // False whenever families differ, so an IPv4-mapped v6 address never matches a v4 range.
  bool contains(const IpAddress& address) const;
  std::string toString() const;

  bool operator==(const Cidr& other) const = default;
};

}  // namespace signers
