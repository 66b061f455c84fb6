#pragma once
// Decoding of the first PEM block of a text, without BIO buffering or per-line copies.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace signers {

struct PemBlock {
  std::string label;       // e.g. "CERTIFICATE REQUEST"
  bool hasHeaders = false;  // RFC 1421 headers such as Proc-Type were present
  std::vector<unsigned char> der;
};

// Text before the BEGIN line is skipped (as Go's pem.Decode does). std::nullopt when there is no
// complete block (missing END line, truncated) or the body is not strict base64.
std::optional<PemBlock> decodeFirstPemBlock(std::string_view text);

}  // namespace signers
