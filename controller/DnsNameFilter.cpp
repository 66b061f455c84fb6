#include "controller/DnsNameFilter.h"

#include <re2/re2.h>

namespace csrop {
namespace {

std::unique_ptr<const re2::RE2> compile(const std::string& regex) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  return std::make_unique<const re2::RE2>(regex, options);
}

}  // namespace

std::optional<std::string> DnsNameFilter::check(const std::string& regex) {
  if (regex.empty()) return std::nullopt;
  const auto re = compile(regex);
  if (re->ok()) return std::nullopt;
  return "is not a valid RE2 regex: " + re->error();
}

bool DnsNameFilter::unanchored(std::string_view regex) {
  if (!regex.starts_with('^') || !regex.ends_with('$')) return true;
  // A top-level alternation (^a|b$) passes this textual test: docs/configuration.md says to wrap
  // the whole regex, ^(...)$. An odd number of backslashes before the final $ makes it a literal dollar sign.
  std::size_t backslashes = 0;
  for (std::size_t i = regex.size() - 1; i > 0 && regex[i - 1] == '\\'; --i) ++backslashes;
  return backslashes % 2 == 1;
}

DnsNameFilter::DnsNameFilter(const std::string& regex) : regex_(regex), compiled_(compile(regex)) {}

DnsNameFilter::~DnsNameFilter() = default;

bool DnsNameFilter::allows(std::string_view dnsName) const {
  return compiled_->ok() && re2::RE2::PartialMatch(re2::StringPiece(dnsName.data(), dnsName.size()), *compiled_);
}

}  // namespace csrop
