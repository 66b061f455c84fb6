#pragma once
// The policy half of pod-certificate issuance (signers/PodCertificate.h), without keys or a CA:
// the request's own fields, who may obtain a certificate, and what identity it carries.
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "signers/PodCertificate.h"

namespace signers {

// Kubernetes' DNS-1123 rules (apimachinery/pkg/util/validation IsDNS1123Label/Subdomain):
// lower-case [a-z0-9-] labels of 1..63 not starting or ending with '-'; a subdomain is dot-separated
// labels, at most 253 characters.
bool isDns1123Label(std::string_view name);
bool isDns1123Subdomain(std::string_view name);

// The request's own fields as the API server validates them at create (names DNS-1123, UIDs
// 1..128 characters, annotations bounded), checked again: they end up in the certificate.
// Refused Failed InvalidRequest.
std::optional<PodCertificateRefused> checkRequestFields(const PodCertificateRequestFacts& request);

// allowedNamespaces / allowedServiceAccounts: nullopt when allowed, else Denied NamespaceNotAllowed
// (nothing in that namespace is allowed) or ServiceAccountNotAllowed (others in it are).
std::optional<PodCertificateRefused> checkRequesterAllowed(const PodCertificatePolicy& policy, const PodCertificateRequestFacts& request);

struct PodIdentity {
  std::string spiffeId;               // empty when the policy writes none
  std::vector<std::string> dnsNames;  // rendered, validated, in template order, no duplicates
  std::vector<std::string> usages;    // certificates.k8s.io strings
};

// unverifiedUserAnnotations select among the policy's choices (Denied InvalidUnverifiedUserAnnotations
// otherwise); the templates are rendered for this pod (Denied InvalidDNSName when a name is not a
// DNS-1123 subdomain); usages get "key encipherment" for RSA keys when the policy says so.
std::variant<PodIdentity, PodCertificateRefused> resolvePodIdentity(const PodCertificatePolicy& policy,
                                                                    const PodCertificateRequestFacts& request, PodKeyType keyType);

// A template with {pod}, {namespace} and {serviceAccount} replaced; nullopt when it has another
// placeholder or an unmatched brace.
std::optional<std::string> renderDnsTemplate(std::string_view tmpl, const PodCertificateRequestFacts& request);

}  // namespace signers
