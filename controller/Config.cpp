#include "controller/Config.h"

#include <sstream>

namespace csrop {
namespace {

std::string list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
  return out + "]";
}

}  // namespace

std::string describeConfig(const Config& c) {
  std::ostringstream o;
  const auto& ks = c.approver.kubeletServing;
  o << "logLevel=" << c.logLevel << " workers=" << c.workers << " client.qps=" << c.qps << " client.burst=" << c.burst
    << " http.bindAddress=" << c.bindAddress << "\n"
    << "leaderElection.enabled=" << c.leaderElection.enabled << " lease=" << c.leaderElection.namespace_ << "/"
    << c.leaderElection.leaseName << " leaseDuration=" << c.leaderElection.leaseDuration.count()
    << "ms renewDeadline=" << c.leaderElection.renewDeadline.count() << "ms retryPeriod=" << c.leaderElection.retryPeriod.count() << "ms\n"
    << "approver.enabled=" << c.approver.enabled << " mode=" << (c.approver.mode == ApproverMode::Observe ? "observe" : "enforce")
    << " denyMode=" << (c.approver.denyMode == DenyMode::Deny ? "deny" : "skip")
    << " maxPendingPerRequester=" << c.approver.maxPendingPerRequester << "\n"
    << "approver.kubeletServing.enabled=" << ks.enabled
    << " nonNodeRequester=" << (ks.nonNodeRequester == NonNodeRequester::Deny ? "deny" : "ignore")
    << " maxExpirationSeconds=" << ks.maxExpirationSeconds << " maxDNSNames=" << ks.maxDNSNames
    << " dnsNamePatterns=" << list(ks.dnsNamePatterns) << " dnsNameRegexes=" << list(ks.dnsNameRegexes)
    << " dnsNamesMustMatch=" << ks.dnsNamesMustMatch << " allowedCIDRs=[";
  for (std::size_t i = 0; i < ks.allowedCIDRs.size(); ++i) o << (i ? "," : "") << ks.allowedCIDRs[i].toString();
  o << "] dnsResolution=" << ks.dnsResolution.enabled << "\n"
    << "approver.kubeletServing.checks requesterIsNode=" << ks.checks.requesterIsNode << " commonName=" << ks.checks.commonName
    << " organization=" << ks.checks.organization << " usages=" << ks.checks.usages << " noEmailOrUri=" << ks.checks.noEmailOrUri
    << " nodeExists=" << ks.checks.nodeExists << " ipAddresses=" << ks.checks.ipAddresses << " dnsNames=" << ks.checks.dnsNames
    << " expiration=" << ks.checks.expiration << "\n"
    << "approver.kubeletClient.enabled=" << c.approver.kubeletClient.enabled << " rules=" << c.approver.rules.size() << "\n";
  for (const auto& r : c.approver.rules)
    o << "  rule signer=" << r.signerName << " users=" << list(r.users) << " groups=" << list(r.groups)
      << " serviceAccounts=" << list(r.serviceAccounts) << "\n";
  for (const auto& s : c.signers)
    o << "signer " << s.signerName << " caCertFile=" << s.caCertFile << " caKeyFile=" << s.caKeyFile
      << " maxDuration=" << s.maxDuration.count() << "s includeChain=" << s.includeChain << "\n";
  for (const auto& p : c.podCertificates.signers)
    o << "podCertificates signer " << p.signerName << " caCertFile=" << p.caCertFile << " caKeyFile=" << p.caKeyFile
      << " allowedNamespaces=" << list(p.allowedNamespaces) << " allowedServiceAccounts=" << list(p.allowedServiceAccounts)
      << " trustDomain=" << p.trustDomain << " maxLifetime=" << p.maxLifetime.count() << "s allowedKeyTypes=" << list(p.allowedKeyTypes)
      << " trustBundle.publish=" << p.publishTrustBundle << "\n";
  o << "trustBundles.nameSuffix=" << c.trustBundles.nameSuffix << " csrSigners=" << list(c.trustBundles.csrSigners) << "\n";
  o << "signers.reloadInterval=" << c.caReloadInterval.count() << "s gc.enabled=" << c.gc.enabled;
  return o.str();
}

}  // namespace csrop
