#pragma once
// What a kubelet asks for, recognised in one place for the signer profiles and the approval
// policies: who a node is (system:node:<name> in system:nodes), and the exact shape of a kubelet
// client or serving request. Same rules, order and wording as Kubernetes'
// pkg/apis/certificates/helpers.go (ValidateKubeletClientCSR, ValidateKubeletServingCSR).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signers/CertificateRequest.h"
#include "signers/Usages.h"

namespace signers {

inline constexpr std::string_view kNodeUserPrefix = "system:node:";
inline constexpr std::string_view kNodesGroup = "system:nodes";

// The <name> of "system:node:<name>", or empty when the username is not a node's (also for an
// empty name).
std::string nodeNameOf(std::string_view username);
// A node username in the system:nodes group: how the Node authorizer knows a kubelet.
bool isNodeRequester(std::string_view username, const std::vector<std::string>& groups);

// The subject organization is exactly [system:nodes].
bool organizationIsSystemNodes(const ParsedRequest& req);

// {digital signature, key encipherment, server auth} or, for keys that cannot encipher,
// {digital signature, server auth}.
bool isKubeletServingUsageSet(const UsageSet& usages);
// {digital signature, key encipherment, client auth} or {digital signature, client auth}.
bool isKubeletClientUsageSet(const UsageSet& usages);

// Why the request is not a kubelet serving request, or nullopt.
std::optional<std::string> validateKubeletServing(const ParsedRequest& req, const UsageSet& usages);
// Why the request is not a kubelet client request, or nullopt. The signer refuses such a request
// for kube-apiserver-client-kubelet; the approver leaves it alone (sarapprove.go isNodeClientCert).
std::optional<std::string> validateKubeletClient(const ParsedRequest& req, const UsageSet& usages);

}  // namespace signers
