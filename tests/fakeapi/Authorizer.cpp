#include "tests/fakeapi/Authorizer.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace fakeapi {

namespace {

json toJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      json o = json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = toJson(kv.second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      json a = json::array();
      for (const auto& v : n) a.push_back(toJson(v));
      return a;
    }
    case YAML::NodeType::Scalar: {
      const std::string s = n.Scalar();
      if (n.Tag() == "!") return s;  // quoted scalars stay strings
      if (s == "true" || s == "True") return true;
      if (s == "false" || s == "False") return false;
      if (s == "null" || s == "~") return nullptr;
      if (!s.empty() && s.find_first_not_of("-0123456789") == std::string::npos && s != "-") {
        try {
          size_t used = 0;
          long long v = std::stoll(s, &used);
          if (used == s.size()) return v;
        } catch (const std::exception&) {
        }
      }
      return s;
    }
    default: return nullptr;
  }
}

bool contains(const json& arr, const std::string& v) {
  if (!arr.is_array()) return false;
  for (const auto& e : arr)
    if (e.is_string() && e.get<std::string>() == v) return true;
  return false;
}

}  // namespace

json yamlToJson(const std::string& text) { return toJson(YAML::Load(text)); }

std::vector<json> yamlDocumentsToJson(const std::string& text) {
  std::vector<json> out;
  for (const auto& doc : YAML::LoadAll(text))
    if (doc.IsDefined() && !doc.IsNull()) out.push_back(toJson(doc));
  return out;
}

void Authorizer::loadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read RBAC file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    loadYaml(ss.str());
  } catch (const YAML::Exception& e) {
    throw std::runtime_error("RBAC file " + path + ": " + e.what());
  }
}

void Authorizer::loadYaml(const std::string& text) {
  for (const auto& doc : yamlDocumentsToJson(text)) {
    if (!doc.is_object()) continue;
    std::string kind = doc.value("kind", "");
    if (kind == "List") {
      for (const auto& item : doc.value("items", json::array())) loadYaml(item.dump());
      continue;
    }
    json md = doc.value("metadata", json::object());
    std::string name = md.value("name", "");
    std::string ns = md.value("namespace", "");
    if (kind == "ClusterRole") {
      clusterRoles_[name] = doc.value("rules", json::array());
    } else if (kind == "Role") {
      roles_[(ns.empty() ? "default" : ns) + "/" + name] = doc.value("rules", json::array());
    } else if (kind == "ClusterRoleBinding" || kind == "RoleBinding") {
      json ref = doc.value("roleRef", json::object());
      bindings_.push_back({kind == "RoleBinding" ? (ns.empty() ? "default" : ns) : "", ref.value("kind", "ClusterRole"),
                           ref.value("name", ""), doc.value("subjects", json::array())});
    }
  }
}

size_t Authorizer::ruleCount() const {
  size_t n = 0;
  for (const auto& [k, r] : clusterRoles_) n += r.size();
  for (const auto& [k, r] : roles_) n += r.size();
  return n;
}

bool Authorizer::subjectMatches(const json& s, const std::string& bindingNs, const UserInfo& u) const {
  std::string kind = s.value("kind", "");
  std::string name = s.value("name", "");
  if (kind == "User") return name == u.name;
  if (kind == "Group") return u.inGroup(name);
  if (kind == "ServiceAccount") {
    std::string ns = s.value("namespace", bindingNs);
    return u.name == "system:serviceaccount:" + ns + ":" + name;
  }
  return false;
}

bool Authorizer::ruleAllows(const json& rule, const Attributes& a) {
  const json verbs = rule.value("verbs", json::array());
  if (!contains(verbs, a.verb) && !contains(verbs, "*")) return false;
  if (!a.resourceRequest) {
    for (const auto& u : rule.value("nonResourceURLs", json::array())) {
      if (!u.is_string()) continue;
      std::string p = u.get<std::string>();
      if (p == "*" || p == a.path) return true;
      if (!p.empty() && p.back() == '*' && a.path.compare(0, p.size() - 1, p, 0, p.size() - 1) == 0) return true;
    }
    return false;
  }
  const json groups = rule.value("apiGroups", json::array());
  if (!contains(groups, a.group) && !contains(groups, "*")) return false;
  const json res = rule.value("resources", json::array());
  std::string combined = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
  bool resOk = contains(res, "*") || contains(res, combined) || (!a.subresource.empty() && contains(res, "*/" + a.subresource));
  if (!resOk) return false;
  const json names = rule.value("resourceNames", json::array());
  if (names.is_array() && !names.empty() && !contains(names, a.name)) return false;
  return true;
}

bool Authorizer::authorize(const Attributes& a) const {
  if (a.user.inGroup("system:masters")) return true;
  for (const auto& b : bindings_) {
    if (!b.ns.empty() && (!a.resourceRequest || b.ns != a.ns)) continue;
    bool subj = false;
    for (const auto& s : b.subjects)
      if (subjectMatches(s, b.ns, a.user)) {
        subj = true;
        break;
      }
    if (!subj) continue;
    const json* rules = nullptr;
    if (b.roleKind == "ClusterRole") {
      auto it = clusterRoles_.find(b.roleName);
      if (it != clusterRoles_.end()) rules = &it->second;
    } else {
      auto it = roles_.find(b.ns + "/" + b.roleName);
      if (it != roles_.end()) rules = &it->second;
    }
    if (!rules || !rules->is_array()) continue;
    for (const auto& r : *rules)
      if (ruleAllows(r, a)) return true;
  }
  return false;
}

std::string Authorizer::deniedReason(const Attributes& a) {
  std::string who = "User " + json(a.user.name).dump();
  if (!a.resourceRequest) return who + " cannot " + a.verb + " path " + json(a.path).dump();
  std::string res = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
  std::string scope = a.ns.empty() ? "at the cluster scope" : "in the namespace " + json(a.ns).dump();
  return who + " cannot " + a.verb + " resource " + json(res).dump() + " in API group " + json(a.group).dump() + " " + scope;
}

ApiError Authorizer::forbiddenError(const Attributes& a) {
  if (!a.resourceRequest) return ApiError(403, "Forbidden", "forbidden: " + deniedReason(a));
  ResourceInfo r;
  r.group = a.group;
  r.resource = a.resource;
  return forbiddenObject(r, a.name, deniedReason(a));
}

}  // namespace fakeapi
