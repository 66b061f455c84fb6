#include "signers/Der.h"

#include <charconv>
#include <ctime>
#include <stdexcept>
#include <string>

namespace signers::der {

void appendLength(Bytes& out, std::size_t length) {
  if (length < 0x80) {
    out.push_back(static_cast<unsigned char>(length));
    return;
  }
  unsigned char tmp[sizeof(std::size_t)];
  int n = 0;
  for (std::size_t v = length; v != 0; v >>= 8) tmp[n++] = static_cast<unsigned char>(v & 0xff);
  out.push_back(static_cast<unsigned char>(0x80 | n));
  while (n > 0) out.push_back(tmp[--n]);
}

void appendTlv(Bytes& out, unsigned char tag, std::span<const unsigned char> content) {
  out.push_back(tag);
  appendLength(out, content.size());
  out.insert(out.end(), content.begin(), content.end());
}

void appendTlv(Bytes& out, unsigned char tag, std::string_view content) {
  appendTlv(out, tag, std::span(reinterpret_cast<const unsigned char*>(content.data()), content.size()));
}

Bytes tlv(unsigned char tag, std::span<const unsigned char> content) {
  Bytes out;
  out.reserve(content.size() + 6);
  appendTlv(out, tag, content);
  return out;
}

void appendUnsignedInteger(Bytes& out, std::span<const unsigned char> magnitude) {
  std::size_t start = 0;
  while (start + 1 < magnitude.size() && magnitude[start] == 0) ++start;
  auto m = magnitude.subspan(start);
  bool pad = m.empty() || (m[0] & 0x80) != 0;
  out.push_back(kInteger);
  appendLength(out, m.size() + (pad ? 1 : 0));
  if (pad) out.push_back(0);
  out.insert(out.end(), m.begin(), m.end());
}

void appendBitString(Bytes& out, std::span<const unsigned char> bits) {
  out.push_back(kBitString);
  appendLength(out, bits.size() + 1);
  out.push_back(0);
  out.insert(out.end(), bits.begin(), bits.end());
}

void appendTime(Bytes& out, int64_t unixSeconds) {
  std::time_t t = static_cast<std::time_t>(unixSeconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  int year = tm.tm_year + 1900;
  char buf[32];
  if (year >= 1950 && year < 2050) {
    std::snprintf(buf, sizeof buf, "%02d%02d%02d%02d%02d%02dZ", year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    appendTlv(out, kUtcTime, std::string_view(buf));
  } else {
    std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02dZ", year, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    appendTlv(out, kGeneralizedTime, std::string_view(buf));
  }
}

Bytes oid(std::string_view dotted) {
  std::vector<uint64_t> arcs;
  std::size_t pos = 0;
  while (pos <= dotted.size()) {
    auto dot = dotted.find('.', pos);
    auto part = dotted.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc() || p != part.data() + part.size()) throw std::invalid_argument("bad OID " + std::string(dotted));
    arcs.push_back(v);
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  if (arcs.size() < 2) throw std::invalid_argument("bad OID " + std::string(dotted));
  Bytes body;
  auto appendArc = [&body](uint64_t v) {
    unsigned char tmp[10];
    int n = 0;
    do {
      tmp[n++] = static_cast<unsigned char>(v & 0x7f);
      v >>= 7;
    } while (v != 0);
    while (n > 1) body.push_back(static_cast<unsigned char>(tmp[--n] | 0x80));
    body.push_back(tmp[0]);
  };
  appendArc(arcs[0] * 40 + arcs[1]);
  for (std::size_t i = 2; i < arcs.size(); ++i) appendArc(arcs[i]);
  return tlv(kOid, body);
}

void appendDirectoryString(Bytes& out, std::string_view value) {
  auto printable = [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view(" '()+,-./:=?").find(static_cast<char>(c)) != std::string_view::npos;
  };
  bool allPrintable = true;
  for (unsigned char c : value) allPrintable = allPrintable && printable(c);
  appendTlv(out, allPrintable ? kPrintableString : kUtf8String, value);
}

}  // namespace signers::der
