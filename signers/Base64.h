#pragma once
// Standard base64 (RFC 4648 section 4, '=' padded): the one codec of signers/ (PEM bodies) and
// pki/ (kubeconfig *-data fields).
#include <optional>
#include <string>
#include <string_view>

namespace signers {

enum class Base64Problem {
  NotQuads,          // the length (without skipped whitespace) is not a multiple of 4
  NotAlphabet,       // a character outside A-Z a-z 0-9 + / =
  PaddingInside,     // '=' anywhere but the last one or two places
  NonCanonicalBits,  // the bits that padding leaves unused are not zero
};

struct Base64Rules {
  // Ignore ' ', '\t', '\r' and '\n' anywhere (YAML and kubeconfig values may be folded).
  bool skipWhitespace = false;
  // Refuse non-zero unused bits before padding, so one byte string has exactly one text. Go's
  // StdEncoding ignores them (encoding/base64/base64.go), which is what a kubeconfig reader follows.
  bool canonicalBits = false;
};

// A-Z a-z 0-9 + / or '='.
bool isBase64Character(char c);

std::string base64Encode(std::string_view bytes);

// Empty text decodes to empty bytes.
std::optional<Base64Problem> base64Decode(std::string_view text, const Base64Rules& rules, std::string& bytes);

}  // namespace signers
