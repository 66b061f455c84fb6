#include "signers/Base64.h"

#include <array>
#include <cstdint>

namespace signers {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr unsigned char kPad = 64;
constexpr unsigned char kInvalid = 255;

// 0..63 for the alphabet, kPad for '=', kInvalid for anything else.
constexpr std::array<unsigned char, 256> kValues = [] {
  std::array<unsigned char, 256> t{};
  t.fill(kInvalid);
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<unsigned char>(i);
  t['='] = kPad;
  return t;
}();

bool isSkippedWhitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

bool isBase64Character(char c) { return kValues[static_cast<unsigned char>(c)] != kInvalid; }

std::string base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t at) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[at])); };
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[(v >> shift) & 63];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    const uint32_t v = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<Base64Problem> base64Decode(std::string_view text, const Base64Rules& rules, std::string& bytes) {
  std::string kept;
  if (rules.skipWhitespace) {
    kept.reserve(text.size());
    for (char c : text) {
      if (!isSkippedWhitespace(c)) kept += c;
    }
    text = kept;
  }
  bytes.clear();
  if (text.size() % 4 != 0) return Base64Problem::NotQuads;
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  const std::size_t data = text.size() - padding;
  bytes.reserve(text.size() / 4 * 3);
  uint32_t acc = 0;
  for (std::size_t i = 0; i < data; ++i) {
    const unsigned char v = kValues[static_cast<unsigned char>(text[i])];
    if (v == kInvalid) return Base64Problem::NotAlphabet;
    if (v == kPad) return Base64Problem::PaddingInside;
    acc = (acc << 6) | v;
    if (i % 4 == 3) {
      bytes += static_cast<char>(acc >> 16);
      bytes += static_cast<char>(acc >> 8);
      bytes += static_cast<char>(acc);
      acc = 0;
    }
  }
  // One '=' leaves 18 bits (2 bytes and 2 unused), two leave 12 bits (1 byte and 4 unused).
  const uint32_t unused = padding == 1 ? acc & 0x3 : padding == 2 ? acc & 0xf : 0;
  if (rules.canonicalBits && unused != 0) return Base64Problem::NonCanonicalBits;
  if (padding == 1) {
    bytes += static_cast<char>(acc >> 10);
    bytes += static_cast<char>(acc >> 2);
  } else if (padding == 2) {
    bytes += static_cast<char>(acc >> 4);
  }
  return std::nullopt;
}

}  // namespace signers
