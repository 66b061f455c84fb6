// Reading and writing the fields of an API object's JSON: a missing key and an explicit null both
// mean "absent", as in Go's encoding/json with omitempty, and an empty value is written as no key.
// Shared by the typed objects in k8sclient/.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "k8sclient/Base64.h"

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

template <class T>
inline std::optional<T> getOpt(const nlohmann::json& j, const char* key) {
  const nlohmann::json* f = field(j, key);
  if (!f) return std::nullopt;
  if constexpr (std::is_same_v<T, std::string>) {
    if (!f->is_string()) return std::nullopt;
    return f->get<T>();
  } else {
    if (!f->is_number()) return std::nullopt;
    // Go's encoding/json refuses a fraction or an out-of-range value for an int32/int64 field, and
    // converting one here would be undefined behaviour (found by tests/fuzz/fuzz_objects).
    const bool fits = f->is_number_unsigned() ? f->get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<T>::max())
                                              : f->is_number_integer() && f->get<std::int64_t>() >= std::numeric_limits<T>::min() &&
                                                    f->get<std::int64_t>() <= std::numeric_limits<T>::max();
    if (!fits)
      throw std::out_of_range(std::string("field ") + key + ": " + f->dump() +
                              " is not a whole number in the range of its type; the object cannot be read");
    return f->get<T>();
  }
}

template <class T>
inline T getOr(const nlohmann::json& j, const char* key, T fallback) {
  const nlohmann::json* f = field(j, key);
  if (!f) return fallback;
  return f->get<T>();
}

inline std::vector<std::string> getStrings(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  if (const nlohmann::json* f = field(j, key); f && f->is_array())
    for (const auto& v : *f)
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

inline std::map<std::string, std::string> getStrMap(const nlohmann::json& j, const char* key) {
  std::map<std::string, std::string> out;
  if (const nlohmann::json* f = field(j, key); f && f->is_object())
    for (auto it = f->begin(); it != f->end(); ++it)
      if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
  return out;
}

inline std::string getBytes(const nlohmann::json& j, const char* key, const char* where) {
  std::string s = getStr(j, key);
  if (s.empty()) return s;
  auto decoded = base64Decode(s);
  if (!decoded) throw std::runtime_error(std::string(where) + " is not valid base64");
  return *decoded;
}

inline nlohmann::json& objectAt(nlohmann::json& j, const char* key) {
  if (!j.is_object()) j = nlohmann::json::object();
  nlohmann::json& f = j[key];
  if (!f.is_object()) f = nlohmann::json::object();
  return f;
}

// Go's omitempty: an empty value removes the key, so clearing a field in C++ clears it on the server.
inline void put(nlohmann::json& j, const char* key, const std::string& v) {
  if (v.empty())
    j.erase(key);
  else
    j[key] = v;
}

template <class C>
inline void putContainer(nlohmann::json& j, const char* key, const C& v) {
  if (v.empty())
    j.erase(key);
  else
    j[key] = v;
}

template <class T>
inline void putOpt(nlohmann::json& j, const char* key, const std::optional<T>& v) {
  if (!v)
    j.erase(key);
  else
    j[key] = *v;
}

inline void dropIfEmpty(nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it != j.end() && it->is_object() && it->empty()) j.erase(it);
}

inline nlohmann::json base(const nlohmann::json& raw, const char* apiVersion, const char* kind) {
  nlohmann::json j = raw.is_object() ? raw : nlohmann::json::object();
  j["apiVersion"] = apiVersion;
  j["kind"] = kind;
  return j;
}

}  // namespace k8s::json_fields
