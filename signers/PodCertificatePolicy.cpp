#include "signers/PodCertificatePolicy.h"

#include <algorithm>
#include <array>
#include <set>

#include "signers/LogText.h"
#include "signers/Profiles.h"
#include "signers/Usages.h"

namespace signers {
namespace {

constexpr std::array<PodKeyType, 6> kAllKeyTypes{PodKeyType::Rsa3072,   PodKeyType::Rsa4096,   PodKeyType::EcdsaP256,
                                                 PodKeyType::EcdsaP384, PodKeyType::EcdsaP521, PodKeyType::Ed25519};

// certificates.MaxMaxExpirationSeconds: the API server refuses a longer spec.maxExpirationSeconds.
constexpr std::chrono::seconds kMaxApiLifetime{7862400};
constexpr std::chrono::seconds kMinLifetime{3600};
constexpr std::size_t kMaxUidChars = 128;
// ValidateUserAnnotations bounds the whole map; these bound what a message may quote.
constexpr std::size_t kMaxAnnotations = 64;
constexpr std::size_t kMaxQuotedChars = 80;

std::string quoted(std::string_view text) {
  std::string cut(text.substr(0, kMaxQuotedChars));
  return "\"" + escapeForLog(cut) + (text.size() > kMaxQuotedChars ? "\"..." : "\"");
}

PodCertificateRefused denied(std::string_view reason, std::string message) {
  return PodCertificateRefused{PodRefusalKind::Denied, std::string(reason), std::move(message)};
}

PodCertificateRefused failed(std::string_view reason, std::string message) {
  return PodCertificateRefused{PodRefusalKind::Failed, std::string(reason), std::move(message)};
}

bool isTrustDomain(std::string_view td) {
  // SPIFFE-ID spec section 2.1: lower-case letters, digits, '.', '-' and '_' only.
  return !td.empty() && td.size() <= 255 && std::all_of(td.begin(), td.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
  });
}

std::optional<std::string> checkUsages(const std::vector<std::string>& usages, const std::string& where) {
  if (usages.empty()) return where + " must list at least one usage";
  if (!listsEachUsageOnce(usages)) return where + " lists a usage twice";
  for (const auto& u : usages) {
    if (!isKnownUsage(u)) return where + ": unknown usage " + quoted(u) + " (use the certificates.k8s.io strings, e.g. \"server auth\")";
    if (isForbiddenUsage(u)) return where + ": usage " + quoted(u) + " is never granted (it would make the certificate a CA)";
  }
  return std::nullopt;
}

// The templates must render to DNS-1123 names for every pod: rendered with the shortest value each
// placeholder can take, so a template that is invalid whatever the pod is refused at load.
std::optional<std::string> checkTemplates(const std::vector<std::string>& templates, const std::string& where) {
  PodCertificateRequestFacts sample;
  sample.podName = sample.namespaceName = sample.serviceAccountName = "a";
  for (const auto& t : templates) {
    auto rendered = renderDnsTemplate(t, sample);
    if (!rendered) {
      return where + ": template " + quoted(t) +
             " has a placeholder other than {pod}, {namespace} and {serviceAccount} or an unmatched brace";
    }
    if (!isDns1123Subdomain(*rendered)) return where + ": template " + quoted(t) + " does not render to a lower-case DNS name";
  }
  return std::nullopt;
}

bool serviceAccountMatches(std::string_view entry, std::string_view ns, std::string_view sa) {
  auto slash = entry.find('/');
  if (slash == std::string_view::npos || entry.substr(0, slash) != ns) return false;
  auto name = entry.substr(slash + 1);
  return name == "*" || name == sa;
}

}  // namespace

const char* podKeyTypeName(PodKeyType type) {
  switch (type) {
    case PodKeyType::Rsa3072: return "RSA3072";
    case PodKeyType::Rsa4096: return "RSA4096";
    case PodKeyType::EcdsaP256: return "ECDSAP256";
    case PodKeyType::EcdsaP384: return "ECDSAP384";
    case PodKeyType::EcdsaP521: return "ECDSAP521";
    case PodKeyType::Ed25519: return "ED25519";
  }
  return "unknown";
}

std::optional<PodKeyType> parsePodKeyType(std::string_view name) {
  for (PodKeyType t : kAllKeyTypes) {
    if (name == podKeyTypeName(t)) return t;
  }
  return std::nullopt;
}

std::span<const PodKeyType> allPodKeyTypes() { return kAllKeyTypes; }

bool isDns1123Label(std::string_view name) {
  if (name.empty() || name.size() > 63 || name.front() == '-' || name.back() == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

bool isDns1123Subdomain(std::string_view name) {
  if (name.empty() || name.size() > kMaxDnsNameChars) return false;
  for (std::size_t start = 0;;) {
    auto dot = name.find('.', start);
    if (!isDns1123Label(name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::optional<std::string> renderDnsTemplate(std::string_view tmpl, const PodCertificateRequestFacts& request) {
  std::string out;
  for (std::size_t i = 0; i < tmpl.size();) {
    if (tmpl[i] == '}') return std::nullopt;
    if (tmpl[i] != '{') {
      out.push_back(tmpl[i++]);
      continue;
    }
    auto close = tmpl.find('}', i);
    if (close == std::string_view::npos) return std::nullopt;
    auto name = tmpl.substr(i + 1, close - i - 1);
    if (name == "pod") {
      out += request.podName;
    } else if (name == "namespace") {
      out += request.namespaceName;
    } else if (name == "serviceAccount") {
      out += request.serviceAccountName;
    } else {
      return std::nullopt;
    }
    i = close + 1;
  }
  return out;
}

std::optional<std::string> validatePodCertificatePolicy(const PodCertificatePolicy& p) {
  if (auto err = checkSignerNameFormat(p.signerName)) return "pod certificate signer " + quoted(p.signerName) + ": " + *err;
  const std::string who = "pod certificate signer " + p.signerName + ": ";
  // ValidateSignerName reserves kubernetes.io for Kubernetes' own signers.
  if (p.signerName.starts_with("kubernetes.io/") || p.signerName.find(".kubernetes.io/") != std::string::npos) {
    return who + "signer names under kubernetes.io are reserved; use a domain of your own";
  }
  for (const auto& ns : p.allowedNamespaces) {
    if (!isDns1123Label(ns)) return who + "allowedNamespaces: " + quoted(ns) + " is not a namespace name";
  }
  for (const auto& entry : p.allowedServiceAccounts) {
    auto slash = entry.find('/');
    bool ok = slash != std::string::npos && isDns1123Label(std::string_view(entry).substr(0, slash)) &&
              (entry.substr(slash + 1) == "*" || isDns1123Subdomain(std::string_view(entry).substr(slash + 1)));
    if (!ok) return who + "allowedServiceAccounts: " + quoted(entry) + " must be \"namespace/name\" or \"namespace/*\"";
  }
  if (p.spiffeId && !isTrustDomain(p.trustDomain)) {
    return who + "trustDomain " + quoted(p.trustDomain) +
           " must be set to a SPIFFE trust domain (lower-case letters, digits, '.', '-', '_'; e.g. \"cluster.example.com\"), or spiffeId turned off";
  }
  if (!p.spiffeId && p.dnsNameTemplates.empty()) {
    return who + "the certificate would carry no identity: turn spiffeId on or set dnsNameTemplates";
  }
  if (auto err = checkTemplates(p.dnsNameTemplates, who + "dnsNameTemplates")) return err;
  if (auto err = checkUsages(p.usages, who + "usages")) return err;
  for (const auto& [key, values] : p.annotationChoices) {
    // ValidateUserAnnotations: the kubelet copies only domain-prefixed keys.
    if (key.find('/') == std::string::npos || key.size() > 316) {
      return who + "annotationChoices: key " + quoted(key) + " must be a domain-prefixed annotation key (\"example.com/name\")";
    }
    if (values.empty()) return who + "annotationChoices." + key + " lists no values";
    for (const auto& [value, choice] : values) {
      const std::string where = who + "annotationChoices." + key + "." + value;
      if (auto err = checkTemplates(choice.dnsNameTemplates, where + ".dnsNameTemplates")) return err;
      if (!choice.usages.empty()) {
        if (auto err = checkUsages(choice.usages, where + ".usages")) return err;
      }
    }
  }
  if (p.maxLifetime < kMinLifetime || p.maxLifetime > kMaxApiLifetime) {
    return who + "maxLifetime must be between 1h and 2184h (91 days, the API server's limit), got " +
           std::to_string(p.maxLifetime.count()) + "s";
  }
  if (p.allowedKeyTypes.empty()) return who + "allowedKeyTypes must list at least one key type";
  if (std::set<PodKeyType>(p.allowedKeyTypes.begin(), p.allowedKeyTypes.end()).size() != p.allowedKeyTypes.size()) {
    return who + "allowedKeyTypes lists a key type twice";
  }
  if (!(p.refreshFromFraction > 0 && p.refreshFromFraction <= p.refreshToFraction && p.refreshToFraction < 1)) {
    return who + "refresh fractions must satisfy 0 < from <= to < 1 (default 0.5 and 0.8)";
  }
  return std::nullopt;
}

std::optional<PodCertificateRefused> checkRequestFields(const PodCertificateRequestFacts& r) {
  const auto bad = [](std::string field, std::string_view value, std::string rule) {
    return failed(pcr_reason::kInvalidRequest, "spec." + field + " " + quoted(value) + " " + rule);
  };
  if (!isDns1123Label(r.namespaceName)) return bad("namespace", r.namespaceName, "is not a namespace name");
  if (!isDns1123Subdomain(r.podName)) return bad("podName", r.podName, "is not a DNS-1123 subdomain");
  if (!isDns1123Subdomain(r.serviceAccountName)) return bad("serviceAccountName", r.serviceAccountName, "is not a DNS-1123 subdomain");
  if (!isDns1123Subdomain(r.nodeName)) return bad("nodeName", r.nodeName, "is not a DNS-1123 subdomain");
  for (const auto& [field, uid] : {std::pair<const char*, const std::string&>{"podUID", r.podUID},
                                   {"serviceAccountUID", r.serviceAccountUID},
                                   {"nodeUID", r.nodeUID}}) {
    if (uid.empty() || uid.size() > kMaxUidChars) return bad(field, uid, "must be 1 to 128 characters");
  }
  if (r.unverifiedUserAnnotations.size() > kMaxAnnotations) {
    return failed(pcr_reason::kInvalidRequest, "spec.unverifiedUserAnnotations has " + std::to_string(r.unverifiedUserAnnotations.size()) +
                                                   " entries, more than " + std::to_string(kMaxAnnotations));
  }
  return std::nullopt;
}

std::optional<PodCertificateRefused> checkRequesterAllowed(const PodCertificatePolicy& p, const PodCertificateRequestFacts& r) {
  const auto& ns = r.namespaceName;
  if (std::find(p.allowedNamespaces.begin(), p.allowedNamespaces.end(), ns) != p.allowedNamespaces.end()) return std::nullopt;
  bool namespaceListed = false;
  for (const auto& entry : p.allowedServiceAccounts) {
    if (serviceAccountMatches(entry, ns, r.serviceAccountName)) return std::nullopt;
    namespaceListed = namespaceListed || entry.starts_with(ns + "/");
  }
  const std::string subject = "service account " + quoted(ns + "/" + r.serviceAccountName);
  if (namespaceListed) {
    return denied(pcr_reason::kServiceAccountNotAllowed,
                  subject + " may not obtain certificates from signer " + p.signerName + ": it is not in allowedServiceAccounts");
  }
  return denied(pcr_reason::kNamespaceNotAllowed, subject + " may not obtain certificates from signer " + p.signerName + ": namespace " +
                                                      quoted(ns) + " is in neither allowedNamespaces nor allowedServiceAccounts");
}

std::variant<PodIdentity, PodCertificateRefused> resolvePodIdentity(const PodCertificatePolicy& p, const PodCertificateRequestFacts& r,
                                                                    PodKeyType keyType) {
  const PodIdentityChoice* choice = nullptr;
  std::string chosenKey;
  for (const auto& [key, value] : r.unverifiedUserAnnotations) {
    auto known = p.annotationChoices.find(key);
    if (known == p.annotationChoices.end()) {
      std::string allowed;
      for (const auto& [k, v] : p.annotationChoices) allowed += (allowed.empty() ? "" : ", ") + k;
      return denied(pcr_reason::kInvalidUnverifiedUserAnnotations,
                    "spec.unverifiedUserAnnotations: key " + quoted(key) + " is not one signer " + p.signerName +
                        " knows (known: " + (allowed.empty() ? std::string("none") : allowed) + ")");
    }
    auto selected = known->second.find(value);
    if (selected == known->second.end()) {
      std::string allowed;
      for (const auto& [v, c] : known->second) allowed += (allowed.empty() ? "" : ", ") + v;
      return denied(pcr_reason::kInvalidUnverifiedUserAnnotations, "spec.unverifiedUserAnnotations: " + key + " = " + quoted(value) +
                                                                       " is not one of the allowed values (" + allowed + ")");
    }
    if (choice != nullptr) {
      return denied(pcr_reason::kInvalidUnverifiedUserAnnotations,
                    "spec.unverifiedUserAnnotations sets both " + chosenKey + " and " + key + ": at most one may select the identity");
    }
    choice = &selected->second;
    chosenKey = key;
  }

  PodIdentity out;
  if (p.spiffeId) out.spiffeId = "spiffe://" + p.trustDomain + "/ns/" + r.namespaceName + "/sa/" + r.serviceAccountName;
  const auto& templates = choice != nullptr && !choice->dnsNameTemplates.empty() ? choice->dnsNameTemplates : p.dnsNameTemplates;
  for (const auto& t : templates) {
    auto name = renderDnsTemplate(t, r);
    if (!name || !isDns1123Subdomain(*name)) {
      return denied(pcr_reason::kInvalidDnsName, "DNS name template " + quoted(t) + " renders to " + quoted(name.value_or(t)) +
                                                     " for this pod, which is not a DNS-1123 subdomain (at most 253 characters)");
    }
    if (std::find(out.dnsNames.begin(), out.dnsNames.end(), *name) == out.dnsNames.end()) out.dnsNames.push_back(std::move(*name));
  }
  out.usages = choice != nullptr && !choice->usages.empty() ? choice->usages : p.usages;
  const bool rsa = keyType == PodKeyType::Rsa3072 || keyType == PodKeyType::Rsa4096;
  if (rsa && p.addKeyEnciphermentForRsa && std::find(out.usages.begin(), out.usages.end(), "key encipherment") == out.usages.end()) {
    out.usages.push_back("key encipherment");
  }
  return out;
}

}  // namespace signers
