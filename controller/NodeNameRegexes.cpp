#include "controller/NodeNameRegexes.h"

#include <re2/re2.h>

#include <algorithm>

namespace csrop {
namespace {

constexpr std::string_view kNodePlaceholder = "{node}";
constexpr std::size_t kMaxNodeNameChars = 253;  // a Node name is a DNS-1123 subdomain
constexpr std::string_view kSampleNode = "sample-node-1";

std::string substituteNode(const std::string& pattern, const std::string& quotedNode) {
  std::string out = pattern;
  for (std::size_t pos = 0; (pos = out.find(kNodePlaceholder, pos)) != std::string::npos; pos += quotedNode.size())
    out.replace(pos, kNodePlaceholder.size(), quotedNode);
  return out;
}

std::string lowerAscii(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  return s;
}

std::shared_ptr<const re2::RE2> compile(const std::string& pattern) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_case_sensitive(false);
  return std::make_shared<const re2::RE2>(pattern, options);
}

bool isAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// With both sides ASCII, RE2's case folding of an ASCII literal is exactly this (its non-ASCII
// folds, K for the Kelvin sign, need a non-ASCII text).
bool equalsIgnoringAsciiCase(std::string_view a, std::string_view lowerB) {
  return a.size() == lowerB.size() && std::equal(a.begin(), a.end(), lowerB.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? static_cast<char>(x - 'A' + 'a') : x) == y;
         });
}

// Whether a part of a template means the same taken alone: no groups (a flag like (?i) or an
// alternation inside one reaches across the placeholder), no top-level alternation, no assertion
// about the characters around it (^ $ \A \z \b \B), no \Q...\E quoting. Conservative: a '(' or
// '|' inside a character class also sends the template to the per-node compile.
bool standsAlone(std::string_view part) {
  for (std::size_t i = 0; i < part.size(); ++i) {
    const char c = part[i];
    if (c == '(' || c == ')' || c == '|' || c == '^' || c == '$') return false;
    if (c != '\\') continue;
    if (i + 1 < part.size() && std::string_view("bBAzQE").find(part[i + 1]) != std::string_view::npos) return false;
    ++i;
  }
  return true;
}

// The escaped node name starts with a letter, a digit, '_' or a complete escape; what comes before
// it must not be a token it could extend (\0 and a{2, take digits). A repetition after it needs no
// check: taken alone it does not compile.
bool takesTheNameIn(std::string_view before) {
  return !before.empty() && std::string_view("0123456789,{\\").find(before.back()) != std::string_view::npos;
}

}  // namespace

std::optional<std::string> NodeNameRegexes::check(const std::string& pattern) {
  auto re = compile(substituteNode(pattern, re2::RE2::QuoteMeta(kSampleNode)));
  if (re->ok()) return std::nullopt;
  return "is not a valid RE2 regex (with {node} standing for a node name): " + re->error();
}

std::optional<NodeNameRegexes::SplitTemplate> NodeNameRegexes::split(const std::string& pattern) {
  const std::size_t at = pattern.find(kNodePlaceholder);
  if (at == std::string::npos || pattern.find(kNodePlaceholder, at + kNodePlaceholder.size()) != std::string::npos) return std::nullopt;
  const std::string before = pattern.substr(0, at), after = pattern.substr(at + kNodePlaceholder.size());
  if (!standsAlone(before) || !standsAlone(after) || takesTheNameIn(before)) return std::nullopt;
  SplitTemplate out{compile(before), compile(after)};
  if (!out.before->ok() || !out.after->ok()) return std::nullopt;
  return out;
}

bool NodeNameRegexes::SplitTemplate::matches(std::string_view text, std::string_view lowerNodeName) const {
  if (lowerNodeName.empty() || text.size() < lowerNodeName.size()) return false;
  // Every place the name occurs: "n1.n1.example.com" against {node}\..* must try both.
  for (std::size_t at = 0; at + lowerNodeName.size() <= text.size(); ++at) {
    if (!equalsIgnoringAsciiCase(text.substr(at, lowerNodeName.size()), lowerNodeName)) continue;
    const re2::StringPiece head(text.data(), at), tail(text.data() + at + lowerNodeName.size(), text.size() - at - lowerNodeName.size());
    if (re2::RE2::FullMatch(head, *before) && re2::RE2::FullMatch(tail, *after)) return true;
  }
  return false;
}

NodeNameRegexes::NodeNameRegexes(std::vector<std::string> patterns) {
  for (auto& p : patterns) {
    if (p.find(kNodePlaceholder) != std::string::npos) {
      splits_.push_back(split(p));
      templates_.push_back(std::move(p));
    } else {
      fixed_.push_back(compile(p));
    }
  }
}

NodeNameRegexes::~NodeNameRegexes() = default;

std::shared_ptr<const NodeNameRegexes::Compiled> NodeNameRegexes::forNode(const std::string& nodeName) {
  const std::string key = lowerAscii(nodeName);
  std::lock_guard lock(mutex_);
  if (auto it = perNode_.find(key); it != perNode_.end()) return it->second;
  // Bounded (kMaxCachedNodes): when the cache is full it starts over rather than grow with every
  // node, or every name a requester invents.
  if (perNode_.size() >= kMaxCachedNodes) perNode_.clear();
  auto compiled = std::make_shared<Compiled>();
  const std::string quoted = re2::RE2::QuoteMeta(key);
  for (const auto& t : templates_) compiled->push_back(compile(substituteNode(t, quoted)));
  perNode_.emplace(key, compiled);
  return compiled;
}

std::size_t NodeNameRegexes::cachedNodes() {
  std::lock_guard lock(mutex_);
  return perNode_.size();
}

bool NodeNameRegexes::matches(std::string_view dnsName, const std::string& nodeName) {
  const re2::StringPiece text(dnsName.data(), dnsName.size());
  const auto fullMatch = [&](const std::shared_ptr<const re2::RE2>& re) { return re->ok() && re2::RE2::FullMatch(text, *re); };
  if (std::any_of(fixed_.begin(), fixed_.end(), fullMatch)) return true;
  if (templates_.empty() || nodeName.empty() || nodeName.size() > kMaxNodeNameChars) return false;
  const std::string key = lowerAscii(nodeName);
  const bool ascii = isAscii(dnsName) && isAscii(key);
  std::shared_ptr<const Compiled> compiled;
  for (std::size_t i = 0; i < templates_.size(); ++i) {
    if (ascii && splits_[i]) {
      if (splits_[i]->matches(dnsName, key)) return true;
      continue;
    }
    if (!compiled) compiled = forNode(nodeName);
    if (fullMatch((*compiled)[i])) return true;
  }
  return false;
}

}  // namespace csrop
