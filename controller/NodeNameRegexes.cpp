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

}  // namespace

std::optional<std::string> NodeNameRegexes::check(const std::string& pattern) {
  auto re = compile(substituteNode(pattern, re2::RE2::QuoteMeta(kSampleNode)));
  if (re->ok()) return std::nullopt;
  return "is not a valid RE2 regex (with {node} standing for a node name): " + re->error();
}

NodeNameRegexes::NodeNameRegexes(std::vector<std::string> patterns) {
  for (auto& p : patterns) {
    if (p.find(kNodePlaceholder) != std::string::npos) {
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

bool NodeNameRegexes::matches(std::string_view dnsName, const std::string& nodeName) {
  const re2::StringPiece text(dnsName.data(), dnsName.size());
  const auto fullMatch = [&](const std::shared_ptr<const re2::RE2>& re) { return re->ok() && re2::RE2::FullMatch(text, *re); };
  if (std::any_of(fixed_.begin(), fixed_.end(), fullMatch)) return true;
  if (templates_.empty() || nodeName.empty() || nodeName.size() > kMaxNodeNameChars) return false;
  const auto compiled = forNode(nodeName);
  return std::any_of(compiled->begin(), compiled->end(), fullMatch);
}

}  // namespace csrop
