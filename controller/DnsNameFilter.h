// approver.kubeletServing.dnsNamesMustMatch: one RE2 regex that every DNS SAN must also match,
// searched anywhere in the name and case-sensitive, as kubelet-csr-approver's -provider-regex
// (Go's regexp.MatchString; RE2 is the syntax Go's regexp implements). It only ever refuses more:
// a name that matches still has to be the node's (addressOwnership).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace csrop {

class DnsNameFilter {
 public:
  // Why the regex cannot be used, or nullopt.
  static std::optional<std::string> check(const std::string& regex);
  // Whether a match anywhere would let names through that only look restricted: not written ^...$.
  static bool unanchored(std::string_view regex);

  // Precondition: check(regex) passed (the configuration loader ensures it); a regex that does not
  // compile allows nothing.
  explicit DnsNameFilter(const std::string& regex);
  ~DnsNameFilter();

  bool allows(std::string_view dnsName) const;
  const std::string& regex() const { return regex_; }

 private:
  std::string regex_;
  std::unique_ptr<const re2::RE2> compiled_;
};

}  // namespace csrop
