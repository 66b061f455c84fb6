#pragma once
// Minimal DER encoding helpers for building certificates without OpenSSL's ASN.1 templates,
// whose allocations and encode/decode round trips cost more than the CA signature (bench/).
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace signers::der {

using Bytes = std::vector<unsigned char>;

inline constexpr unsigned char kInteger = 0x02, kBitString = 0x03, kOctetString = 0x04, kNull = 0x05, kOid = 0x06, kUtf8String = 0x0c,
                               kPrintableString = 0x13, kIa5String = 0x16, kUtcTime = 0x17, kGeneralizedTime = 0x18, kSequence = 0x30,
                               kSet = 0x31;

void appendLength(Bytes& out, std::size_t length);
// Appends tag, length and content.
void appendTlv(Bytes& out, unsigned char tag, std::span<const unsigned char> content);
void appendTlv(Bytes& out, unsigned char tag, std::string_view content);
Bytes tlv(unsigned char tag, std::span<const unsigned char> content);

// Non-negative INTEGER from big-endian magnitude bytes (minimal encoding, 0x00 pad when needed).
void appendUnsignedInteger(Bytes& out, std::span<const unsigned char> magnitude);
// BIT STRING of whole octets (unused-bits octet 0).
void appendBitString(Bytes& out, std::span<const unsigned char> bits);
// UTCTime for 1950..2049, GeneralizedTime otherwise (RFC 5280 4.1.2.5).
void appendTime(Bytes& out, int64_t unixSeconds);
// The DER of an OID given its dotted or short name, e.g. "2.5.29.19".
Bytes oid(std::string_view dotted);
// PrintableString when every character allows it (as Go does), else UTF8String.
void appendDirectoryString(Bytes& out, std::string_view value);

}  // namespace signers::der
