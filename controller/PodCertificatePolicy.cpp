#include "controller/PodCertificatePolicy.h"

namespace csrop {

signers::PodCertificatePolicy podCertificatePolicy(const PodCertificateSignerConfig& c) {
  signers::PodCertificatePolicy p;
  p.signerName = c.signerName;
  p.allowedNamespaces = c.allowedNamespaces;
  p.allowedServiceAccounts = c.allowedServiceAccounts;
  p.spiffeId = c.spiffeId;
  p.trustDomain = c.trustDomain;
  p.dnsNameTemplates = c.dnsNameTemplates;
  p.usages = c.usages;
  for (const auto& [key, values] : c.userAnnotations)
    for (const auto& [value, choice] : values) p.annotationChoices[key][value] = {choice.dnsNameTemplates, choice.usages};
  p.maxLifetime = c.maxLifetime;
  p.allowedKeyTypes.clear();
  // The configuration loader accepted only the kubelet's names.
  for (const auto& name : c.allowedKeyTypes)
    if (const auto type = signers::parsePodKeyType(name)) p.allowedKeyTypes.push_back(*type);
  p.refreshFromFraction = c.refreshFrom;
  p.refreshToFraction = c.refreshTo;
  return p;
}

}  // namespace csrop
