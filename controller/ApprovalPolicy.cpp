#include "controller/ApprovalPolicy.h"

#include <algorithm>
#include <set>

namespace csrop {

bool usagesEqual(const std::vector<std::string>& got, const std::vector<std::string>& want) {
  const std::set<std::string> g(got.begin(), got.end());
  const std::set<std::string> w(want.begin(), want.end());
  return g.size() == got.size() && g == w;
}

bool usagesMatchOneOf(const std::vector<std::string>& got, const std::vector<std::vector<std::string>>& allowed) {
  return std::any_of(allowed.begin(), allowed.end(), [&](const auto& set) { return usagesEqual(got, set); });
}

std::string joinUsages(const std::vector<std::string>& usages) {
  std::string out = "[";
  for (std::size_t i = 0; i < usages.size(); ++i) out += (i ? ", " : "") + usages[i];
  return out + "]";
}

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

const char* decisionName(Decision decision) {
  switch (decision) {
    case Decision::Approve: return "approve";
    case Decision::Deny: return "deny";
    case Decision::Skip: return "skip";
    case Decision::Retry: return "retry";
  }
  return "unknown";
}

}  // namespace csrop
