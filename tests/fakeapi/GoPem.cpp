#include "tests/fakeapi/GoPem.h"

#include <array>
#include <cstdint>

namespace fakeapi::gopem {
namespace {

constexpr std::string_view kPemStart = "\n-----BEGIN ";
constexpr std::string_view kPemEnd = "\n-----END ";
constexpr std::string_view kPemEndOfLine = "-----";

// getLine: up to the first "\n" (a "\r" before it dropped), trailing spaces and tabs trimmed.
std::string_view getLine(std::string_view data, std::string_view& rest) {
  auto i = data.find('\n');
  std::size_t j = 0;
  if (i == std::string_view::npos) {
    i = data.size();
    j = i;
  } else {
    j = i + 1;
    if (i > 0 && data[i - 1] == '\r') --i;
  }
  std::string_view line = data.substr(0, i);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  rest = data.substr(j);
  return line;
}

// bytes.TrimSpace for the ASCII white space Go knows (header keys and values only).
std::string_view trimSpace(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// base64.StdEncoding.Decode: '\r' and '\n' are skipped anywhere, padding is required, nothing may
// follow it, and (not being Strict) unused trailing bits are ignored.
std::optional<std::string> decodeStdBase64(std::string_view in) {
  static constexpr std::array<int, 256> table = [] {
    std::array<int, 256> t{};
    t.fill(-1);
    constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::size_t i = 0; i < alphabet.size(); ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<int>(i);
    return t;
  }();
  std::string chars;
  chars.reserve(in.size());
  for (char c : in) {
    if (c != '\r' && c != '\n') chars.push_back(c);
  }
  if (chars.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (std::size_t q = 0; q < chars.size(); q += 4) {
    bool last = q + 4 == chars.size();
    int v[4];
    int data = 4;
    for (int k = 0; k < 4; ++k) {
      char c = chars[q + static_cast<std::size_t>(k)];
      if (c == '=') {
        // '=' may stand only in places 2 and 3 of the final quantum ("xx==" or "xxx=").
        if (!last || k < 2 || (k == 2 && chars[q + 3] != '=')) return std::nullopt;
        data = k;
        break;
      }
      v[k] = table[static_cast<unsigned char>(c)];
      if (v[k] < 0) return std::nullopt;
    }
    uint32_t acc = 0;
    for (int k = 0; k < data; ++k) acc |= static_cast<uint32_t>(v[k]) << (18 - 6 * k);
    out.push_back(static_cast<char>(acc >> 16));
    if (data > 2) out.push_back(static_cast<char>(acc >> 8));
    if (data > 3) out.push_back(static_cast<char>(acc));
  }
  return out;
}

}  // namespace

std::optional<Block> decode(std::string_view data, std::string_view* restOut) {
  std::string_view rest = data;
  if (restOut) *restOut = data;
  for (;;) {
    if (rest.starts_with(kPemStart.substr(1))) {
      rest.remove_prefix(kPemStart.size() - 1);
    } else if (auto at = rest.find(kPemStart); at != std::string_view::npos) {
      rest.remove_prefix(at + kPemStart.size());
    } else {
      return std::nullopt;
    }

    std::string_view typeLine = getLine(rest, rest);
    if (!typeLine.ends_with(kPemEndOfLine)) continue;
    typeLine.remove_suffix(kPemEndOfLine.size());

    Block block;
    block.type = std::string(typeLine);
    for (;;) {
      if (rest.empty()) return std::nullopt;
      std::string_view next;
      std::string_view line = getLine(rest, next);
      auto colon = line.find(':');
      if (colon == std::string_view::npos) break;
      block.headers[std::string(trimSpace(line.substr(0, colon)))] = std::string(trimSpace(line.substr(colon + 1)));
      rest = next;
    }

    std::size_t endIndex = 0;
    std::size_t endTrailerIndex = 0;
    // Without headers the END line may follow the BEGIN line directly (an empty block).
    if (block.headers.empty() && rest.starts_with(kPemEnd.substr(1))) {
      endIndex = 0;
      endTrailerIndex = kPemEnd.size() - 1;
    } else {
      endIndex = rest.find(kPemEnd);
      if (endIndex == std::string_view::npos) continue;
      endTrailerIndex = endIndex + kPemEnd.size();
    }

    std::string_view endTrailer = rest.substr(endTrailerIndex);
    std::size_t endTrailerLen = typeLine.size() + kPemEndOfLine.size();
    if (endTrailer.size() < endTrailerLen) continue;
    std::string_view restOfEndLine = endTrailer.substr(endTrailerLen);
    endTrailer = endTrailer.substr(0, endTrailerLen);
    if (!endTrailer.starts_with(typeLine) || !endTrailer.ends_with(kPemEndOfLine)) continue;

    std::string_view ignored;
    if (!getLine(restOfEndLine, ignored).empty()) continue;

    std::string base64;
    for (char c : rest.substr(0, endIndex)) {
      if (c != ' ' && c != '\t') base64.push_back(c);
    }
    auto bytes = decodeStdBase64(base64);
    if (!bytes) continue;
    block.bytes = std::move(*bytes);

    std::string_view after;
    getLine(rest.substr(endIndex + kPemEnd.size() - 1), after);
    if (restOut) *restOut = after;
    return block;
  }
}

}  // namespace fakeapi::gopem
