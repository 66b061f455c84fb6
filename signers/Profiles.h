#pragma once
// Validation rules per signer. Each returns std::nullopt when the request is acceptable, else the
// message the controller puts in the Failed/SignerValidationFailure condition.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "signers/CertificateRequest.h"
#include "signers/CustomProfile.h"
#include "signers/IpAddress.h"
#include "signers/KubeletRequests.h"
#include "signers/Requester.h"
#include "signers/Result.h"
#include "signers/SignerConfig.h"
#include "signers/Usages.h"

namespace signers {

inline constexpr const char* kKubeletServingSigner = "kubernetes.io/kubelet-serving";
inline constexpr const char* kKubeletClientSigner = "kubernetes.io/kube-apiserver-client-kubelet";
inline constexpr const char* kApiServerClientSigner = "kubernetes.io/kube-apiserver-client";
inline constexpr const char* kLegacyUnknownSigner = "kubernetes.io/legacy-unknown";

bool isKubernetesSignerName(const std::string& signerName);  // the four above
// "domain/path" with a dotted DNS domain of at least two labels (API server's ValidateSignerName).
std::optional<std::string> checkSignerNameFormat(const std::string& signerName);

// kube-controller-manager rules, same order and wording (pkg/controller/certificates/signer/signer.go;
// the kubelet signers' in signers/KubeletRequests.h).
std::optional<std::string> validateApiServerClient(const ParsedRequest& req, const std::vector<std::string>& usages);
std::optional<std::string> validateLegacyUnknown(const ParsedRequest& req, const std::vector<std::string>& usages);

// X.520 upper bounds (ub-common-name, ub-organization-name): 64 characters.
inline constexpr std::size_t kMaxSubjectValueChars = 64;
// RFC 1035 section 2.3.4: a name of at most 253 characters (255 octets on the wire), labels of 63.
inline constexpr std::size_t kMaxDnsNameChars = 253;
inline constexpr std::size_t kMaxDnsLabelChars = 63;

// ---- csr-operator's hardening, stricter than kube-controller-manager on purpose (docs/security.md,
// "Signing profile hardening"). The approver calls the same functions before it approves. ----

// CN and every O: at most 64 characters, no C0 control, DEL or C1 control character. Checked
// before any other rule so that nothing matches an unbounded or forged value.
std::optional<std::string> validateSubjectText(const ParsedRequest& req);
// kubernetes.io/kubelet-serving SANs: every DNS name a valid lower-case-able DNS name (no
// wildcard, no trailing dot, no empty label), no DNS name or IP twice, and no unspecified,
// loopback, link-local, multicast, broadcast, IPv4-mapped or IPv4-compatible address.
std::optional<std::string> validateServingNames(const ParsedRequest& req);
inline constexpr std::string_view kDefaultClusterDomain = "cluster.local";
// kubernetes.io/kubelet-serving DNS SANs: never the API server's Service names (kubernetes,
// kubernetes.default, kubernetes.default.svc, kubernetes.default.svc.<clusterDomain>) nor a name
// under .svc or .svc.<clusterDomain>: a node with such a certificate from the CA every pod trusts
// could impersonate the API server or any Service. The signer cannot know the cluster's Service
// IPs; the approver refuses those (controller/ReservedIdentities.h).
std::optional<std::string> validateNotServiceName(const ParsedRequest& req, std::string_view clusterDomain);
// A requester system:node:<n> in system:nodes gets only CN=system:node:<n> from the kubelet
// signers; bootstrap and other requesters keep kube-controller-manager's rule.
std::optional<std::string> validateNodeCommonName(const ParsedRequest& req, const Requester& requester);
// What a Signer for one of the four kubernetes.io signers checks, in its order: subject text, the
// kube-controller-manager profile, the hardening above that applies to it, then the common rules.
// The approver runs it for kubernetes.io signers this instance does not sign (default KeyPolicy).
std::optional<std::string> validateKubernetesProfile(const std::string& signerName, const ParsedRequest& req,
                                                     const std::vector<std::string>& usages, const Requester& requester,
                                                     const KeyPolicy& policy, std::string_view clusterDomain = kDefaultClusterDomain);

// csr-operator's additions, checked on every signer after the profile: the key policy, no CA
// request, no cert sign / crl sign / any, every usage known, at least one usage.
std::optional<std::string> validateKeyPolicy(const ParsedRequest& req, const KeyPolicy& policy);
std::optional<std::string> validateCommonRules(const ParsedRequest& req, const std::vector<std::string>& usages, const KeyPolicy& policy);

// Well-formed DNS SAN: labels of [A-Za-z0-9-] (1..63, no leading/trailing '-'), total <= 253,
// an optional leading "*." wildcard label.
bool isWellFormedDnsName(const std::string& name);

}  // namespace signers
