#include "signers/Pem.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

namespace signers {
namespace {

using R = Result<PemBlock>;

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kEnd = "-----END ";
constexpr std::string_view kDashes = "-----";

// 0..63 for the base64 alphabet, 64 for '=', 255 for anything else.
constexpr std::array<unsigned char, 256> kBase64 = [] {
  std::array<unsigned char, 256> t{};
  t.fill(255);
  constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < alphabet.size(); ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<unsigned char>(i);
  t['='] = 64;
  return t;
}();

// Splits off one line ending in "\n" or "\r\n"; false when there is no line break left.
bool nextLine(std::string_view& text, std::string_view& line) {
  auto nl = text.find('\n');
  if (nl == std::string_view::npos) return false;
  line = text.substr(0, nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  text.remove_prefix(nl + 1);
  return true;
}

bool onlyWhitespace(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

std::optional<std::string> decodeBase64(std::string_view b64, std::vector<unsigned char>& out) {
  if (b64.empty() || b64.size() % 4 != 0) return "the PEM body is not a whole number of base64 quads (truncated?)";
  std::size_t padding = 0;
  while (padding < 2 && b64[b64.size() - 1 - padding] == '=') ++padding;
  out.clear();
  out.reserve(b64.size() / 4 * 3);
  uint32_t acc = 0;
  std::size_t data = b64.size() - padding;
  for (std::size_t i = 0; i < data; ++i) {
    unsigned char v = kBase64[static_cast<unsigned char>(b64[i])];
    if (v > 63) return "the PEM body has '=' before its end (padding in the middle, or a second block glued on)";
    acc = (acc << 6) | v;
    if (i % 4 == 3) {
      out.push_back(static_cast<unsigned char>(acc >> 16));
      out.push_back(static_cast<unsigned char>(acc >> 8));
      out.push_back(static_cast<unsigned char>(acc));
      acc = 0;
    }
  }
  // One '=' leaves 18 bits (2 bytes + 2 unused), two leave 12 bits (1 byte + 4 unused). Go's
  // StdEncoding ignores non-zero unused bits; refusing them keeps one text per request.
  if (padding == 1) {
    if ((acc & 0x3) != 0) return std::string("the PEM body's base64 padding is not canonical (unused bits set)");
    out.push_back(static_cast<unsigned char>(acc >> 10));
    out.push_back(static_cast<unsigned char>(acc >> 2));
  } else if (padding == 2) {
    if ((acc & 0xf) != 0) return std::string("the PEM body's base64 padding is not canonical (unused bits set)");
    out.push_back(static_cast<unsigned char>(acc >> 4));
  }
  return std::nullopt;
}

}  // namespace

Result<PemBlock> decodeSinglePemBlock(std::string_view text) {
  if (!text.starts_with(kBegin)) {
    if (text.find(kBegin) != std::string_view::npos) {
      return R::fail("the PEM text has bytes before its BEGIN line; only one bare PEM block is accepted");
    }
    return R::fail("request is not PEM encoded (no BEGIN line)");
  }
  std::string_view rest = text;
  std::string_view line;
  if (!nextLine(rest, line) || !line.ends_with(kDashes) || line.size() < kBegin.size() + kDashes.size()) {
    return R::fail("the PEM BEGIN line is malformed (it must be \"-----BEGIN <type>-----\" and a line break)");
  }
  PemBlock block;
  block.label = std::string(line.substr(kBegin.size(), line.size() - kBegin.size() - kDashes.size()));
  const std::string endLine = std::string(kEnd) + block.label + std::string(kDashes);

  std::string b64;
  b64.reserve(rest.size());
  for (int lineNo = 2;; ++lineNo) {
    if (rest.starts_with(endLine)) break;
    if (!nextLine(rest, line)) {
      return R::fail("the PEM END line \"" + endLine + "\" is missing or not on a line of its own (truncated, or glued to the base64)");
    }
    if (auto at = line.find(kEnd); at == 0) {
      return R::fail("the PEM END line does not match its BEGIN line (expected \"" + endLine + "\")");
    } else if (at != std::string_view::npos) {
      return R::fail("the PEM END line is glued to the base64 on line " + std::to_string(lineNo) + "; it must start a line of its own");
    }
    if (line.find(':') != std::string_view::npos) return R::fail("PEM headers are not allowed in a certificate request");
    if (line.empty()) return R::fail("the PEM body has an empty line " + std::to_string(lineNo));
    for (char c : line) {
      if (kBase64[static_cast<unsigned char>(c)] == 255) {
        return R::fail("line " + std::to_string(lineNo) + " of the PEM body is not base64 (spaces, other characters or a second BEGIN line)");
      }
    }
    b64.append(line);
  }
  // Go's getLine ends the END line at "\n" (dropping one "\r" right before it) and then allows
  // only spaces and tabs on it; a lone "\r" makes Go skip the block.
  std::string_view after = rest.substr(endLine.size());
  after.remove_prefix(std::min(after.size(), after.find_first_not_of(" \t")));
  if (after.starts_with("\r\n")) after.remove_prefix(2);
  else if (after.starts_with("\n")) after.remove_prefix(1);
  else if (!after.empty()) return R::fail("the PEM END line ends in a character other than spaces, tabs and a line break");
  if (!onlyWhitespace(after)) {
    return R::fail("the PEM text continues after its END line (garbage or a second block); send exactly one block");
  }
  if (auto err = decodeBase64(b64, block.der)) return R::fail(*err);
  return R::ok(std::move(block));
}

}  // namespace signers
