#pragma once
// Who asked for a certificate, as the API server recorded it in the CSR.
#include <string>
#include <vector>

namespace signers {

// spec.username and spec.groups, set by the API server. Empty when unknown (then only the rules
// that do not depend on the requester apply).
struct Requester {
  std::string username;
  std::vector<std::string> groups;
};

}  // namespace signers
