// approver.kubeletServing.dnsNameRegexes: RE2 (linear time), case-insensitive, full match, where
// "{node}" stands for the requesting node's name. Patterns without {node} are compiled once here.
// A pattern with it means the pattern with the name RE2-escaped in its place; most are matched
// without compiling anything per node (see SplitTemplate), the rest are compiled once per node
// name, kept in a bounded cache.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace csrop {

class NodeNameRegexes {
 public:
  // Why the pattern cannot be used, or nullopt. Compiled with {node} replaced by a sample node name,
  // exactly as it is compiled for a real one.
  static std::optional<std::string> check(const std::string& pattern);

  // Precondition: every pattern passed check() (the configuration loader ensures it); a pattern
  // that does not compile matches nothing.
  explicit NodeNameRegexes(std::vector<std::string> patterns);
  ~NodeNameRegexes();

  bool empty() const { return fixed_.empty() && templates_.empty(); }
  // dnsName must already be bounded (<= 253 characters); nodeName longer than that matches nothing.
  bool matches(std::string_view dnsName, const std::string& nodeName);

  // A compiled pattern and the DFA states its matches build cost about 17 KB per node (heaptrack,
  // e2e bench): 1,024 nodes held 17 MiB, more than 10,000 cached CSRs. A kubelet files one serving
  // CSR per rotation, so entries are reused within a CSR's checks and by its duplicates, rarely
  // across CSRs; a miss costs one compile.
  static constexpr std::size_t kMaxCachedNodes = 64;
  // Node names compiled for now (for tests: a template matched by its split compiles none).
  std::size_t cachedNodes();

 private:
  using Compiled = std::vector<std::shared_ptr<const re2::RE2>>;
  // A template "B{node}A" whose B and A are regexes on their own and join nothing across the
  // placeholder: it matches a text exactly when the text is some b, then the node name (ASCII,
  // case-insensitive), then some a, with B matching b and A matching a. Compiled once, not per node
  // (a compile and its first match cost about 35 us, once for every CSR of a kubelet).
  struct SplitTemplate {
    std::shared_ptr<const re2::RE2> before, after;
    bool matches(std::string_view text, std::string_view lowerNodeName) const;
  };
  static std::optional<SplitTemplate> split(const std::string& pattern);
  std::shared_ptr<const Compiled> forNode(const std::string& nodeName);

  Compiled fixed_;
  std::vector<std::string> templates_;
  // Parallel to templates_: the split, when the template has a safe one.
  std::vector<std::optional<SplitTemplate>> splits_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const Compiled>> perNode_;
};

}  // namespace csrop
