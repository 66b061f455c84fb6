#include "signers/Pem.h"

#include <algorithm>
#include <optional>

#include "signers/Base64.h"

namespace signers {
namespace {

using R = Result<PemBlock>;

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kEnd = "-----END ";
constexpr std::string_view kDashes = "-----";

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

// The body's lines are checked for the alphabet before, so its length and padding are what can
// still be wrong. Canonical bits: Go's StdEncoding ignores non-zero unused bits; refusing them keeps
// one text per request.
std::optional<std::string> decodeBody(std::string_view b64, std::vector<unsigned char>& der) {
  if (b64.empty()) return "the PEM body is not a whole number of base64 quads (truncated?)";
  std::string bytes;
  const auto problem = base64Decode(b64, Base64Rules{.skipWhitespace = false, .canonicalBits = true}, bytes);
  if (!problem) {
    der.assign(bytes.begin(), bytes.end());
    return std::nullopt;
  }
  switch (*problem) {
    case Base64Problem::NotQuads: return "the PEM body is not a whole number of base64 quads (truncated?)";
    case Base64Problem::NotAlphabet: return "the PEM body is not base64";
    case Base64Problem::PaddingInside: return "the PEM body has '=' before its end (padding in the middle, or a second block glued on)";
    case Base64Problem::NonCanonicalBits: return "the PEM body's base64 padding is not canonical (unused bits set)";
  }
  return "the PEM body is not base64";
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
      if (!isBase64Character(c)) {
        return R::fail("line " + std::to_string(lineNo) +
                       " of the PEM body is not base64 (spaces, other characters or a second BEGIN line)");
      }
    }
    b64.append(line);
  }
  // Go's getLine ends the END line at "\n" (dropping one "\r" right before it) and then allows
  // only spaces and tabs on it; a lone "\r" makes Go skip the block.
  std::string_view after = rest.substr(endLine.size());
  after.remove_prefix(std::min(after.size(), after.find_first_not_of(" \t")));
  if (after.starts_with("\r\n"))
    after.remove_prefix(2);
  else if (after.starts_with("\n"))
    after.remove_prefix(1);
  else if (!after.empty())
    return R::fail("the PEM END line ends in a character other than spaces, tabs and a line break");
  if (!onlyWhitespace(after)) {
    return R::fail("the PEM text continues after its END line (garbage or a second block); send exactly one block");
  }
  if (auto err = decodeBody(b64, block.der)) return R::fail(*err);
  return R::ok(std::move(block));
}

}  // namespace signers
