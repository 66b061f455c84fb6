// Read access to the CSRs the operator caches (client-go's lister): what the controller loop and
// garbage collection read instead of the API server. SignerCaches is the real one.
#pragma once

#include "controller/CachedCsr.h"

#include <optional>
#include <string>
#include <vector>

namespace csrop {

class CsrLister {
 public:
  virtual ~CsrLister() = default;
  virtual std::optional<CachedCsr> get(const std::string& name) const = 0;
  virtual std::vector<CachedCsr> list() const = 0;
};

}  // namespace csrop
