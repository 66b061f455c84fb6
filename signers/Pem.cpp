#include "signers/Pem.h"

#include <openssl/evp.h>

namespace signers {

std::optional<PemBlock> decodeFirstPemBlock(std::string_view text) {
  static constexpr std::string_view kBegin = "-----BEGIN ";
  static constexpr std::string_view kDashes = "-----";
  std::size_t begin = text.find(kBegin);
  while (begin != std::string_view::npos && begin != 0 && text[begin - 1] != '\n') begin = text.find(kBegin, begin + 1);
  if (begin == std::string_view::npos) return std::nullopt;
  std::size_t labelStart = begin + kBegin.size();
  std::size_t labelEnd = text.find(kDashes, labelStart);
  if (labelEnd == std::string_view::npos) return std::nullopt;
  PemBlock block;
  block.label = std::string(text.substr(labelStart, labelEnd - labelStart));
  if (block.label.find_first_of("\r\n") != std::string::npos) return std::nullopt;
  std::size_t bodyStart = labelEnd + kDashes.size();
  if (bodyStart < text.size() && text[bodyStart] == '\r') ++bodyStart;
  if (bodyStart >= text.size() || text[bodyStart] != '\n') return std::nullopt;
  ++bodyStart;
  std::string endLine = "-----END " + block.label + "-----";
  std::size_t end = text.find(endLine, bodyStart);
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view body = text.substr(bodyStart, end - bodyStart);
  if (body.find(':') != std::string_view::npos) {
    block.hasHeaders = true;
    return block;
  }
  std::string b64;
  b64.reserve(body.size());
  for (char c : body) {
    if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
    if (!ok) return std::nullopt;
    b64.push_back(c);
  }
  if (b64.empty() || b64.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  if (b64.back() == '=') ++padding;
  if (b64.size() >= 2 && b64[b64.size() - 2] == '=') ++padding;
  // '=' is only valid as trailing padding.
  if (b64.find('=') < b64.size() - padding) return std::nullopt;
  block.der.resize(b64.size() / 4 * 3);
  int n = EVP_DecodeBlock(block.der.data(), reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  if (n < 0 || static_cast<std::size_t>(n) < padding) return std::nullopt;
  block.der.resize(static_cast<std::size_t>(n) - padding);
  return block;
}

}  // namespace signers
