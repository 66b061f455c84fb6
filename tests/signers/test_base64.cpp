#include <doctest/doctest.h>

#include <optional>
#include <string>

#include "signers/Base64.h"

using signers::Base64Problem;
using signers::Base64Rules;

namespace {

constexpr Base64Rules kExact{};
constexpr Base64Rules kFolded{.skipWhitespace = true};
constexpr Base64Rules kCanonical{.canonicalBits = true};

std::optional<std::string> decoded(std::string_view text, const Base64Rules& rules) {
  std::string out;
  if (signers::base64Decode(text, rules, out)) return std::nullopt;
  return out;
}

std::optional<Base64Problem> problemOf(std::string_view text, const Base64Rules& rules) {
  std::string out;
  return signers::base64Decode(text, rules, out);
}

}  // namespace

TEST_CASE("base64: the RFC 4648 test vectors, both ways") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [bytes, text] : vectors) {
    CHECK(signers::base64Encode(bytes) == text);
    CHECK(decoded(text, kCanonical) == std::string(bytes));
  }
  const std::string binary("\x00\xff\x10\x80", 4);
  CHECK(decoded(signers::base64Encode(binary), kCanonical) == binary);
}

TEST_CASE("base64: whitespace only where the rules allow it") {
  CHECK(decoded("Zm9v\nYmFy\r\n", kFolded) == "foobar");
  CHECK(decoded(" Zm 9v\tYg== ", kFolded) == "foob");
  CHECK(problemOf("Zm9v\nYmFy", kExact) == Base64Problem::NotQuads);
  CHECK(problemOf("Zm9v YmFy", kExact) == Base64Problem::NotQuads);
  CHECK(problemOf("Zm9 ", kExact) == Base64Problem::NotAlphabet);
}

TEST_CASE("base64: padding only at the end, as Go's StdEncoding (OpenSSL's EVP_DecodeBlock took '=' as zero bits)") {
  CHECK(problemOf("Zg=v", kFolded) == Base64Problem::PaddingInside);
  CHECK(problemOf("Zg==Zm8=", kFolded) == Base64Problem::PaddingInside);
  CHECK(problemOf("Z===", kFolded) == Base64Problem::PaddingInside);
  CHECK(problemOf("====", kFolded) == Base64Problem::PaddingInside);
  CHECK(problemOf("Zm9v----", kFolded) == Base64Problem::NotAlphabet);
  CHECK(problemOf("Zm9", kFolded) == Base64Problem::NotQuads);
  CHECK(problemOf("Zm9\x80", kFolded) == Base64Problem::NotAlphabet);
}

TEST_CASE("base64: non-zero unused bits are refused only when canonical bits are asked for") {
  // "Zh==" and "Zg==" both end in 'f' (0x66): Go's StdEncoding reads both.
  CHECK(decoded("Zh==", kFolded) == "f");
  CHECK(problemOf("Zh==", kCanonical) == Base64Problem::NonCanonicalBits);
  CHECK(decoded("Zm9=", kFolded) == "fo");
  CHECK(problemOf("Zm9=", kCanonical) == Base64Problem::NonCanonicalBits);
}

TEST_CASE("base64: isBase64Character is the alphabet and '='") {
  for (char c : std::string("AZaz09+/=")) CHECK(signers::isBase64Character(c));
  for (char c : std::string(" -_.\n:")) CHECK_FALSE(signers::isBase64Character(c));
}
