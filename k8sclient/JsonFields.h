// Reading optional fields of an API object's JSON: a missing key and an explicit null both mean
// "absent", as in Go's encoding/json with omitempty. Shared by the typed views in k8sclient/.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace k8s::json_fields {

inline const nlohmann::json* field(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

// The string at key, or "" when it is absent or not a string.
inline std::string getStr(const nlohmann::json& j, const char* key) {
  const nlohmann::json* f = field(j, key);
  return f && f->is_string() ? f->get<std::string>() : std::string();
}

}  // namespace k8s::json_fields
