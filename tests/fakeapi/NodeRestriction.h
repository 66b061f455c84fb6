// kube-apiserver's NodeRestriction admission for Node objects
// (plugin/pkg/admission/noderestriction/admission.go, admitNode): a node (user system:node:<name>
// in group system:nodes) may create, update, patch and delete only its own Node, status included;
// it may not change its taints, nor set node-restriction.kubernetes.io/ labels or kubernetes.io /
// k8s.io labels the kubelet does not own. Everything else about its own Node, status.addresses
// included, is the node's to write: that is why status.addresses proves nothing.
#pragma once

#include "tests/fakeapi/Api.h"

#include <optional>

namespace fakeapi::noderestriction {

// The node name when the user is a node (NodeIdentifier: system:node: prefix and system:nodes).
// Throws Forbidden for a node user whose name is empty.
std::optional<std::string> nodeOf(const UserInfo& user);

// verb: create, update, patch or delete; name: the object's (create) or the URL's. Other verbs pass.
void admitNodeRequest(const UserInfo& user, const std::string& verb, const std::string& name);
void admitNodeCreate(const UserInfo& user, const json& node);
void admitNodeUpdate(const UserInfo& user, const json& now, const json& old);

}  // namespace fakeapi::noderestriction
