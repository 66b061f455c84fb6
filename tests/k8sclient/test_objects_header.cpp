// Objects.h and IdentityObjects.h are included by most of controller/; they declare the JSON
// conversions with <nlohmann/json_fwd.hpp> so that including them does not cost json.hpp's
// ~70,000 preprocessed lines. This file fails to compile when either pulls json.hpp back in.
#include "k8sclient/IdentityObjects.h"
#include "k8sclient/Objects.h"

#ifdef INCLUDE_NLOHMANN_JSON_HPP_
#error "k8sclient/Objects.h or k8sclient/IdentityObjects.h includes <nlohmann/json.hpp>: include it in the .cpp that needs it"
#endif

#include <doctest/doctest.h>

TEST_CASE("an object's raw JSON is empty until read, without json.hpp in the header") {
  k8s::Node node;
  k8s::Node copy = node;
  CHECK(&copy.raw.get() == &node.raw.get());  // both the shared JSON null: nothing was allocated
}
