#include "k8sclient/Base64.h"

#include <array>
#include <cstdint>

namespace k8s {

namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> makeTable() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr auto kTable = makeTable();

bool isSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
}  // namespace

// Both write into a string sized once: appending a character at a time was a visible share of
// the operator's CPU, since every CSR's request and certificate pass through here.
std::string base64Encode(std::string_view bytes) {
  std::string out((bytes.size() + 2) / 3 * 4, '=');
  char* o = out.data();
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) | uint8_t(bytes[i + 2]);
    *o++ = kAlphabet[(v >> 18) & 63];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
    *o++ = kAlphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    if (rest == 2) v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    *o++ = kAlphabet[(v >> 18) & 63];
    *o++ = kAlphabet[(v >> 12) & 63];
    if (rest == 2) *o = kAlphabet[(v >> 6) & 63];
  }
  return out;
}

// Whitespace is skipped; padding only in the last quantum, only in its last two places, and
// nothing but whitespace after it.
std::optional<std::string> base64Decode(std::string_view text) {
  std::string out(text.size() / 4 * 3, '\0');
  char* o = out.data();
  uint32_t v = 0;
  int digits = 0, pad = 0;
  bool ended = false;
  for (char c : text) {
    if (isSpace(c)) continue;
    if (ended) return std::nullopt;
    if (c == '=') {
      if (digits < 2) return std::nullopt;
      ++pad;
      v <<= 6;
    } else {
      if (pad) return std::nullopt;
      const int8_t d = kTable[static_cast<unsigned char>(c)];
      if (d < 0) return std::nullopt;
      v = (v << 6) | uint32_t(d);
    }
    if (++digits < 4) continue;
    *o++ = char((v >> 16) & 0xff);
    if (pad < 2) *o++ = char((v >> 8) & 0xff);
    if (pad < 1) *o++ = char(v & 0xff);
    ended = pad > 0;
    digits = 0;
    v = 0;
  }
  if (digits != 0) return std::nullopt;
  out.resize(static_cast<size_t>(o - out.data()));
  return out;
}

}  // namespace k8s
