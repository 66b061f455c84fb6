// dnsNameRegexes templates matched without a per-node compile must decide exactly what the
// template with the escaped node name in its place decides (the definition users configure by).
#include <doctest/doctest.h>
#include <re2/re2.h>

#include <string>
#include <vector>

#include "controller/NodeNameRegexes.h"

namespace {

// The definition: {node} replaced by the RE2-escaped, lower-cased node name, case-insensitive,
// full match.
bool reference(const std::string& pattern, const std::string& node, const std::string& text) {
  std::string lowered = node;
  for (char& c : lowered)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  std::string substituted = pattern;
  const std::string quoted = re2::RE2::QuoteMeta(lowered);
  for (std::size_t at = 0; (at = substituted.find("{node}", at)) != std::string::npos; at += quoted.size())
    substituted.replace(at, 6, quoted);
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_case_sensitive(false);
  const re2::RE2 re(substituted, options);
  return re.ok() && re2::RE2::FullMatch(text, re);
}

const std::vector<std::string> kBefore = {
    "",    "csr-[0-9]+\\.", ".*\\.", ".*", "[a-z]+-", "x*",   "\\d+\\.", "[^.]+\\.", "a\\.", "\\pL+", "[0-9]{2}", "(a|b)\\.", "^",
    "\\b", "\\0",           "a{2,",  "a{", "\\Qx\\E", "(?i)", "\\x41",   "[(]",      "z?",   "a|",    "a$",       "(?-i)",    "(a)",
};
const std::vector<std::string> kAfter = {
    "",   "\\.example\\.com", "-[0-9]{1,3}", ".*", "[.]svc", "\\..*", "\\.(a|b)", "$",     "\\b.*",  "}", "^",
    "|b", "(?-i)X",           "(b)",         "+",  "?",      "{2}",   "*",        "[0-9]", "\\.\\d",
};
const std::vector<std::string> kNodes = {"n1", "node-a", "a.b", "k8s", "S", "10.0.0.1", "N1", "a", "2", "3", "01", "x-1.y"};

std::vector<std::string> textsFor(const std::string& node) {
  std::string upper = node;
  for (char& c : upper)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return {node,
          upper,
          "csr-1." + node + ".example.com",
          "csr-12." + upper + ".EXAMPLE.com",
          node + "." + node + ".example.com",
          node + node,
          "x." + node,
          "ab-" + node + "-123",
          node + ".svc",
          node + ".x.y",
          "aa" + node,
          "4" + node,
          "a{2," + node,
          node + "0",
          node + node + "." + node,
          "other.example.com",
          "",
          std::string("\xe2\x84\xaa") + node,  // the Kelvin sign, which RE2 folds with 'k'
          "csr-1.n2.example.com",
          "\x02",
          "\x01",
          std::string(1, '\0') + node,
          "aa",
          "aaa",
          "a{2," + node + "}"};
}

}  // namespace

TEST_CASE("NodeNameRegexes: a template matched without a per-node compile decides exactly what the substituted pattern decides") {
  std::size_t cases = 0, matched = 0;
  for (const auto& before : kBefore)
    for (const auto& after : kAfter) {
      const std::string pattern = before + "{node}" + after;
      if (csrop::NodeNameRegexes::check(pattern)) continue;
      csrop::NodeNameRegexes regexes({pattern});
      for (const auto& node : kNodes)
        for (const auto& text : textsFor(node)) {
          const bool expected = reference(pattern, node, text);
          INFO("pattern ", pattern, " node ", node, " text ", text);
          CHECK(regexes.matches(text, node) == expected);
          ++cases;
          matched += expected;
        }
    }
  // Both outcomes are exercised, not only refusals.
  CHECK(cases > 5000);
  CHECK(matched > 500);
}

TEST_CASE("NodeNameRegexes: common templates compile nothing per node, ones that reach across {node} do") {
  for (const std::string pattern : {"csr-[0-9]+\\.{node}\\.example\\.com", "{node}", ".*\\.{node}", "{node}-[a-z]+\\.svc"}) {
    csrop::NodeNameRegexes regexes({pattern});
    for (int i = 0; i < 10; ++i) regexes.matches("csr-1.n" + std::to_string(i) + ".example.com", "n" + std::to_string(i));
    CHECK_MESSAGE(regexes.cachedNodes() == 0, pattern);
  }
  for (const std::string pattern : {"({node}|{node}-alt)\\.example\\.com", "^{node}$", "{node}+", "\\0{node}", "(?i){node}"}) {
    csrop::NodeNameRegexes regexes({pattern});
    regexes.matches("n1.example.com", "n1");
    CHECK_MESSAGE(regexes.cachedNodes() == 1, pattern);
  }
  csrop::NodeNameRegexes regexes({"{node}\\.example\\.com"});
  CHECK(
      regexes.matches("\xe2\x84\xaa"
                      "8s.example.com",
                      "k8s"));  // non-ASCII text: compiled, RE2 folds it
  CHECK(regexes.cachedNodes() == 1);
}
