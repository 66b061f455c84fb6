// What the subject, usages and lifetime say, and what the signer's profile would refuse.
#include "controller/ServingChecks.h"

#include "signers/CertificateRequest.h"
#include "signers/KubeletRequests.h"

namespace csrop::serving {

std::optional<Verdict> commonName(const ServingPolicyContext&, ServingRequest& r) {
  if (r.request.commonName != r.csr.spec.username)
    return Verdict::deny("CommonNameMismatch", "subject common name \"" + r.request.commonName + "\" does not equal the requester \"" +
                                                   r.csr.spec.username + "\"");
  return std::nullopt;
}

std::optional<Verdict> organization(const ServingPolicyContext&, ServingRequest& r) {
  if (!signers::organizationIsSystemNodes(r.request))
    return Verdict::deny("OrganizationMismatch", "subject organization is not exactly [system:nodes]");
  return std::nullopt;
}

std::optional<Verdict> usages(const ServingPolicyContext&, ServingRequest& r) {
  const auto& listed = r.csr.spec.usages;
  if (!signers::listsEachUsageOnce(listed) || !signers::isKubeletServingUsageSet(signers::toUsageSet(listed)))
    return Verdict::deny("UsagesNotAllowed",
                         "usages " + signers::formatRequestedUsages(listed) +
                             " are not [digital signature, key encipherment, server auth] or [digital signature, server auth]");
  return std::nullopt;
}

std::optional<Verdict> expiration(const ServingPolicyContext& p, ServingRequest& r) {
  const auto& e = r.csr.spec.expirationSeconds;
  if (e && *e > p.config.maxExpirationSeconds)
    return Verdict::deny("ExpirationTooLong", "spec.expirationSeconds " + std::to_string(*e) + " exceeds the maximum of " +
                                                  std::to_string(p.config.maxExpirationSeconds));
  return std::nullopt;
}

// Bounded lengths, valid DNS names, no reserved IPs, no duplicates, no CA request, no weak key,
// the node's own CN: nothing is approved only for the signer to mark it Failed.
std::optional<Verdict> signerProfile(const ServingPolicyContext& p, ServingRequest& r) {
  return signerWouldRefuse(p.signer, r.csr, r.request);
}

}  // namespace csrop::serving
