#include "controller/KubeletServingPolicy.h"

#include "controller/NodeNameRegexes.h"
#include "controller/Timestamp.h"
#include "signers/CertificateRequest.h"
#include "signers/IpAddress.h"
#include "signers/Profiles.h"

#include <algorithm>
#include <cctype>

namespace csrop {

struct KubeletServingPolicy::Context {
  const k8s::CertificateSigningRequest& csr;
  const signers::ParsedRequest& request;
  std::string nodeName;
  NodeDirectory& nodes;
  std::optional<Lookup<k8s::Node>> node;

  // The Node is fetched once per evaluation and shared by every check that needs it.
  const Lookup<k8s::Node>& lookupNode() {
    if (!node) node = nodeName.empty() ? Lookup<k8s::Node>::notFound() : nodes.find(nodeName);
    return *node;
  }
};

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size()) text.replace(pos, from.size(), to);
  return text;
}

bool isNodeIdentity(const k8s::CertificateSigningRequest& csr) {
  const auto& user = csr.spec.username;
  return user.size() > kNodeUserPrefix.size() && user.compare(0, kNodeUserPrefix.size(), kNodeUserPrefix) == 0;
}

// The node a CSR speaks for: the authenticated username (set by the API server, cannot be
// forged), falling back to the CN only when the requester check is switched off.
std::string nodeNameOf(const k8s::CertificateSigningRequest& csr, const signers::ParsedRequest& req) {
  if (isNodeIdentity(csr)) return csr.spec.username.substr(kNodeUserPrefix.size());
  const auto& cn = req.commonName;
  if (cn.size() > kNodeUserPrefix.size() && cn.compare(0, kNodeUserPrefix.size(), kNodeUserPrefix) == 0)
    return cn.substr(kNodeUserPrefix.size());
  return {};
}

std::optional<Verdict> nodeLookupFailure(KubeletServingPolicy::Context& c, const char* check) {
  const auto& node = c.lookupNode();
  if (node.state == Lookup<k8s::Node>::State::Error)
    return Verdict::retry("NodeLookupFailed", std::string("could not read Node \"") + c.nodeName + "\" for the " + check + " check: " + node.error);
  if (node.state == Lookup<k8s::Node>::State::NotFound)
    return Verdict::deny("NodeNotFound", std::string("the ") + check + " check needs Node \"" + c.nodeName + "\", which does not exist");
  return std::nullopt;
}

// Since the CSR was created. A CSR without a readable creationTimestamp (the API server always
// sets one) counts as old: the sources then decide at once, on a fresh read, instead of waiting.
std::chrono::seconds ageOf(const k8s::CertificateSigningRequest& csr, std::chrono::system_clock::time_point now) {
  const auto created = parseRfc3339(csr.metadata.creationTimestamp);
  if (!created) return std::chrono::seconds::max();
  return std::max(std::chrono::seconds(0), std::chrono::duration_cast<std::chrono::seconds>(now - *created));
}

// Only the SAN kinds whose checks are on go to the address source; no key, it looks at names only.
signers::ParsedRequest namesToVerify(const signers::ParsedRequest& request, const KubeletServingChecks& on) {
  signers::ParsedRequest names;
  names.commonName = request.commonName;
  if (on.dnsNames) names.dnsNames = request.dnsNames;
  if (on.ipAddresses) names.ipAddresses = request.ipAddresses;
  return names;
}

}  // namespace

DnsNameMatcher configuredDnsNames(const KubeletServingConfig& config) {
  auto regexes = std::make_shared<NodeNameRegexes>(config.dnsNameRegexes);
  return [patterns = config.dnsNamePatterns, regexes](const std::string& nodeName, const std::string& dnsName) {
    const std::string name = lower(dnsName);
    for (const auto& p : patterns)
      if (lower(replaceAll(p, "{node}", nodeName)) == name) return true;
    // signerProfile has refused names over 253 characters already; the bound keeps this safe on its own.
    return name.size() <= signers::kMaxDnsNameChars && regexes->matches(name, nodeName);
  };
}

KubeletServingPolicy::KubeletServingPolicy(KubeletServingConfig config, NodeDirectory& nodes, HostResolver& resolver,
                                           NodeIdentity identity, const signers::Signer* signer)
    : config_(std::move(config)),
      nodes_(nodes),
      resolver_(resolver),
      identity_(std::move(identity)),
      signer_(signer) {
  checks_ = buildChecks();
}

std::vector<KubeletServingPolicy::NamedCheck> KubeletServingPolicy::buildChecks() {
  const auto& on = config_.checks;
  std::vector<NamedCheck> checks;

  checks.push_back({"requesterIsNode", on.requesterIsNode, [](Context& c) -> std::optional<Verdict> {
    if (!isNodeIdentity(c.csr))
      return Verdict::deny("RequesterNotNode", "spec.username \"" + c.csr.spec.username + "\" is not a node identity (system:node:<name>)");
    if (!contains(c.csr.spec.groups, kNodesGroup))
      return Verdict::deny("RequesterNotNode", "spec.groups of \"" + c.csr.spec.username + "\" does not contain system:nodes");
    return std::nullopt;
  }});

  checks.push_back({"commonName", on.commonName, [](Context& c) -> std::optional<Verdict> {
    if (c.request.commonName != c.csr.spec.username)
      return Verdict::deny("CommonNameMismatch", "subject common name \"" + c.request.commonName + "\" does not equal the requester \"" + c.csr.spec.username + "\"");
    return std::nullopt;
  }});

  checks.push_back({"organization", on.organization, [](Context& c) -> std::optional<Verdict> {
    if (c.request.organizations != std::vector<std::string>{std::string(kNodesGroup)})
      return Verdict::deny("OrganizationMismatch", "subject organization is not exactly [system:nodes]");
    return std::nullopt;
  }});

  checks.push_back({"usages", on.usages, [](Context& c) -> std::optional<Verdict> {
    static const std::vector<std::vector<std::string>> allowed = {
        {"digital signature", "key encipherment", "server auth"}, {"digital signature", "server auth"}};
    if (!usagesMatchOneOf(c.csr.spec.usages, allowed))
      return Verdict::deny("UsagesNotAllowed", "usages " + joinUsages(c.csr.spec.usages) +
                                                   " are not [digital signature, key encipherment, server auth] or [digital signature, server auth]");
    return std::nullopt;
  }});

  checks.push_back({"noEmailOrUri", on.noEmailOrUri, [](Context& c) -> std::optional<Verdict> {
    if (!c.request.emailAddresses.empty())
      return Verdict::deny("EmailSANNotAllowed", "email subjectAltName \"" + c.request.emailAddresses.front() + "\" is not allowed in a kubelet serving certificate");
    if (!c.request.uris.empty())
      return Verdict::deny("URISANNotAllowed", "URI subjectAltName \"" + c.request.uris.front() + "\" is not allowed in a kubelet serving certificate");
    return std::nullopt;
  }});

  // Always on: a serving certificate without a name serves nothing, and the signer refuses it.
  checks.push_back({"subjectAltNames", true, [](Context& c) -> std::optional<Verdict> {
    if (c.request.dnsNames.empty() && c.request.ipAddresses.empty())
      return Verdict::deny("NoSubjectAltNames", "the request has neither a DNS nor an IP subjectAltName");
    return std::nullopt;
  }});

  checks.push_back({"maxDNSNames", true, [this](Context& c) -> std::optional<Verdict> {
    if (static_cast<int>(c.request.dnsNames.size()) > config_.maxDNSNames)
      return Verdict::deny("TooManyDNSNames", "the request has " + std::to_string(c.request.dnsNames.size()) +
                                                  " DNS names; at most " + std::to_string(config_.maxDNSNames) + " are allowed");
    return std::nullopt;
  }});

  checks.push_back({"expiration", on.expiration, [this](Context& c) -> std::optional<Verdict> {
    const auto& e = c.csr.spec.expirationSeconds;
    if (e && *e > config_.maxExpirationSeconds)
      return Verdict::deny("ExpirationTooLong", "spec.expirationSeconds " + std::to_string(*e) + " exceeds the maximum of " +
                                                    std::to_string(config_.maxExpirationSeconds));
    return std::nullopt;
  }});

  // Always on, before anything that looks a name up or matches it: what the signer would mark
  // Failed is denied here (bounded lengths, valid DNS names, no reserved IPs, no duplicates, no CA
  // request, no weak key, the node's own CN), so nothing is approved only to fail.
  checks.push_back({"signerProfile", true, [this](Context& c) -> std::optional<Verdict> {
    return signerWouldRefuse(signer_, c.csr, c.request);
  }});

  // Always on: the cluster's own names and addresses are never a node's, whatever it lists.
  checks.push_back({"reservedIdentities", true, [this](Context& c) -> std::optional<Verdict> {
    if (auto reserved = identity_.reserved.check(c.request)) return Verdict::deny(reserved->reason, reserved->message);
    return std::nullopt;
  }});

  checks.push_back({"nodeExists", on.nodeExists, [](Context& c) -> std::optional<Verdict> {
    if (c.nodeName.empty())
      return Verdict::deny("NodeUnknown", "neither spec.username nor the common name names a node (system:node:<name>)");
    return nodeLookupFailure(c, "nodeExists");
  }});

  checks.push_back({"allowedCIDRs", !config_.allowedCIDRs.empty(), [this](Context& c) -> std::optional<Verdict> {
    for (const auto& ip : c.request.ipAddresses) {
      const bool inside = std::any_of(config_.allowedCIDRs.begin(), config_.allowedCIDRs.end(),
                                      [&](const signers::Cidr& cidr) { return cidr.contains(ip); });
      if (!inside) return Verdict::deny("IPOutsideAllowedCIDRs", "IP subjectAltName " + ip.toString() + " is outside the allowed CIDRs");
    }
    return std::nullopt;
  }});

  // One question to the address source for both SAN kinds (a Machine or a fresh Node read is
  // fetched once); each kind is asked about only while its check is on.
  checks.push_back({"addressOwnership", on.ipAddresses || on.dnsNames, [this](Context& c) -> std::optional<Verdict> {
    if (c.request.ipAddresses.empty() && c.request.dnsNames.empty()) return std::nullopt;
    if (c.nodeName.empty()) return Verdict::deny("NodeUnknown", "addresses cannot be checked: the request names no node");
    const auto names = namesToVerify(c.request, config_.checks);
    auto verdict = identity_.addresses.verify({c.nodeName, names, ageOf(c.csr, identity_.now())});
    switch (verdict.outcome) {
      case AddressVerdict::Outcome::Owned: return std::nullopt;
      case AddressVerdict::Outcome::NotOwned: return Verdict::deny(verdict.reason, verdict.message);
      case AddressVerdict::Outcome::NotYetKnown: break;
    }
    return Verdict::retry(verdict.reason, verdict.message);
  }});

  checks.push_back({"dnsResolution", config_.dnsResolution.enabled, [this](Context& c) -> std::optional<Verdict> {
    if (c.request.dnsNames.empty()) return std::nullopt;
    if (auto failure = nodeLookupFailure(c, "dnsResolution")) return failure;
    std::vector<signers::IpAddress> owned;
    for (const auto& a : c.lookupNode().value->addresses)
      if (auto ip = signers::IpAddress::parse(a.address)) owned.push_back(*ip);
    const bool denyOnFailure = config_.dnsResolution.onFailure == ResolutionFailure::Deny;
    for (const auto& name : c.request.dnsNames) {
      auto resolved = resolver_.resolve(name, config_.dnsResolution.timeout);
      if (resolved.state != Lookup<std::vector<std::string>>::State::Found || resolved.value->empty()) {
        const std::string why = "DNS name \"" + name + "\" did not resolve" + (resolved.error.empty() ? "" : ": " + resolved.error);
        return denyOnFailure ? Verdict::deny("DNSResolutionFailed", why) : Verdict::retry("DNSResolutionFailed", why);
      }
      for (const auto& text : *resolved.value) {
        auto ip = signers::IpAddress::parse(text);
        if (!ip || std::find(owned.begin(), owned.end(), *ip) == owned.end())
          return Verdict::deny("DNSResolvesElsewhere", "DNS name \"" + name + "\" resolves to " + text + ", which is not an address of Node \"" + c.nodeName + "\"");
      }
    }
    return std::nullopt;
  }});
  return checks;
}

Verdict KubeletServingPolicy::evaluate(const k8s::CertificateSigningRequest& csr) {
  if (!isNodeIdentity(csr) && config_.nonNodeRequester == NonNodeRequester::Ignore)
    return Verdict::skip("NotANodeRequest", "requester \"" + csr.spec.username + "\" is not a node; configured to ignore such CSRs");
  auto parsed = signers::parseCertificateRequest(csr.spec.request);
  if (!parsed) return Verdict::deny("InvalidRequest", "spec.request cannot be used: " + parsed.error());
  Context context{csr, parsed.value(), nodeNameOf(csr, parsed.value()), nodes_, std::nullopt};
  for (const auto& check : checks_) {
    if (!check.enabled) continue;
    if (auto verdict = check.run(context)) return *verdict;
  }
  return Verdict::approve("AutoApproved", "csr-operator verified that node \"" + context.nodeName +
                                              "\" owns every requested name and address");
}

}  // namespace csrop
