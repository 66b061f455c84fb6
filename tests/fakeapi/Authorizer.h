// RBAC authorizer of the fake kube-apiserver, loaded from the same YAML manifests a cluster would get
// (ClusterRole, ClusterRoleBinding, Role, RoleBinding; other kinds are ignored). system:masters may
// do everything, as in kube.
#pragma once

#include "tests/fakeapi/Api.h"

namespace fakeapi {

struct Attributes {
  UserInfo user;
  std::string verb;
  bool resourceRequest = true;
  std::string group;
  std::string resource;
  std::string subresource;
  std::string name;
  std::string ns;
  std::string path;  // non-resource requests
};

class Authorizer {
 public:
  void loadFile(const std::string& path);
  void loadYaml(const std::string& text);
  bool authorize(const Attributes& a) const;
  // kube's message: User "u" cannot update resource "x/y" in API group "g" at the cluster scope
  static std::string deniedReason(const Attributes& a);
  // The whole 403 for a resource request, shaped like kube's (qualified resource, name, reason).
  static ApiError forbiddenError(const Attributes& a);
  size_t ruleCount() const;

 private:
  struct Binding {
    std::string ns;  // empty for ClusterRoleBinding
    std::string roleKind;
    std::string roleName;
    json subjects;
  };
  bool subjectMatches(const json& subject, const std::string& bindingNs, const UserInfo& u) const;
  static bool ruleAllows(const json& rule, const Attributes& a);

  std::map<std::string, json> clusterRoles_;  // name -> rules
  std::map<std::string, json> roles_;         // ns/name -> rules
  std::vector<Binding> bindings_;
};

json yamlToJson(const std::string& text);  // first document only
std::vector<json> yamlDocumentsToJson(const std::string& text);

}  // namespace fakeapi
