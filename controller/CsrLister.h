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
  // Every cached CSR's name. A caller that visits them all reads each with get(): one decoded
  // object at a time, where a list of every decoded CSR would cost more than the cache itself.
  virtual std::vector<std::string> names() const = 0;
};

}  // namespace csrop
