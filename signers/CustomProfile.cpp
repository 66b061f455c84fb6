#include <algorithm>
#include <cctype>

#include "signers/Profiles.h"

namespace signers {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool matchesSuffix(const std::string& name, const std::string& suffix) {
  if (name == suffix) return true;
  return name.size() > suffix.size() + 1 && name.ends_with(suffix) && name[name.size() - suffix.size() - 1] == '.';
}

}  // namespace

Result<std::shared_ptr<const CustomProfile>> CustomProfile::compile(const SignerConfig& config) {
  using R = Result<std::shared_ptr<const CustomProfile>>;
  const std::string who = "signer " + config.signerName + ": ";
  std::shared_ptr<CustomProfile> p(new CustomProfile());
  if (config.allowedUsages.empty()) return R::fail(who + "allowedUsages must list at least one usage");
  for (const auto& u : config.allowedUsages) {
    if (!isKnownUsage(u)) return R::fail(who + "allowedUsages has unknown usage \"" + u + "\"");
    if (isForbiddenUsage(u)) return R::fail(who + "allowedUsages may not contain \"" + u + "\"");
    p->allowedUsages_.insert(u);
  }
  for (const auto& u : config.requiredUsages) {
    if (!p->allowedUsages_.contains(u)) return R::fail(who + "requiredUsages has \"" + u + "\", which is not in allowedUsages");
    p->requiredUsages_.insert(u);
  }
  p->allowDns_ = config.allowDns;
  p->allowIp_ = config.allowIp;
  p->allowEmail_ = config.allowEmail;
  p->allowUri_ = config.allowUri;
  for (const auto& s : config.dnsSuffixes) {
    std::string suffix = lower(s);
    if (suffix.starts_with(".")) suffix.erase(0, 1);
    if (!isWellFormedDnsName(suffix) || suffix.starts_with("*.")) return R::fail(who + "dnsSuffixes entry \"" + s + "\" is not a DNS name");
    p->dnsSuffixes_.push_back(suffix);
  }
  for (const auto& r : config.dnsRegexes) {
    try {
      p->dnsRegexes_.emplace_back(r, std::regex::ECMAScript | std::regex::icase);
    } catch (const std::regex_error& e) {
      return R::fail(who + "dnsRegexes entry \"" + r + "\" is not a valid regex: " + e.what());
    }
  }
  for (const auto& c : config.ipCidrs) {
    auto cidr = Cidr::parse(c);
    if (!cidr) return R::fail(who + "ipCidrs entry \"" + c + "\" is not a CIDR such as 10.0.0.0/8 or fd00::/8");
    p->ipCidrs_.push_back(*cidr);
  }
  if (config.allowedOrganizations.size() == 1 && config.allowedOrganizations[0] == "*") {
    p->anyOrganization_ = true;
  } else {
    p->allowedOrganizations_ = config.allowedOrganizations;
  }
  if (!config.commonNameRegex.empty()) {
    try {
      p->commonNameRegex_.emplace(config.commonNameRegex, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return R::fail(who + "commonNameRegex is not a valid regex: " + e.what());
    }
  }
  if (config.maxSans < 0) return R::fail(who + "maxSans must not be negative");
  p->maxSans_ = static_cast<std::size_t>(config.maxSans);
  return R::ok(std::move(p));
}

std::optional<std::string> CustomProfile::validate(const ParsedRequest& req, const UsageSet& usages) const {
  for (const auto& u : usages) {
    if (!allowedUsages_.contains(u)) return "usage \"" + u + "\" is not allowed by this signer, allowed: " + formatUsageList(allowedUsages_);
  }
  for (const auto& u : requiredUsages_) {
    if (!usages.contains(u)) return "missing required usage: " + u;
  }
  if (req.sanCount() > maxSans_) {
    return "request has " + std::to_string(req.sanCount()) + " subjectAltNames, more than this signer's limit of " +
           std::to_string(maxSans_);
  }
  if (!req.dnsNames.empty() && !allowDns_) return "DNS subjectAltNames are not allowed";
  if (!req.ipAddresses.empty() && !allowIp_) return "IP subjectAltNames are not allowed";
  if (!req.emailAddresses.empty() && !allowEmail_) return "Email subjectAltNames are not allowed";
  if (!req.uris.empty() && !allowUri_) return "URI subjectAltNames are not allowed";
  for (const auto& dns : req.dnsNames) {
    if (!isWellFormedDnsName(dns)) return "DNS subjectAltName \"" + dns + "\" is not a valid DNS name";
    if (dnsSuffixes_.empty() && dnsRegexes_.empty()) continue;
    std::string name = lower(dns);
    bool ok = std::any_of(dnsSuffixes_.begin(), dnsSuffixes_.end(), [&](const auto& s) { return matchesSuffix(name, s); }) ||
              std::any_of(dnsRegexes_.begin(), dnsRegexes_.end(), [&](const auto& r) { return std::regex_match(dns, r); });
    if (!ok) return "DNS subjectAltName \"" + dns + "\" is not allowed by this signer";
  }
  if (!ipCidrs_.empty()) {
    for (const auto& ip : req.ipAddresses) {
      bool ok = std::any_of(ipCidrs_.begin(), ipCidrs_.end(), [&](const Cidr& c) { return c.contains(ip); });
      if (!ok) return "IP subjectAltName " + ip.toString() + " is not inside an allowed range";
    }
  }
  if (!anyOrganization_) {
    for (const auto& o : req.organizations) {
      if (std::find(allowedOrganizations_.begin(), allowedOrganizations_.end(), o) == allowedOrganizations_.end()) {
        return "subject organization \"" + o + "\" is not allowed by this signer";
      }
    }
  }
  if (commonNameRegex_ && !std::regex_match(req.commonName, *commonNameRegex_)) {
    return "subject common name \"" + req.commonName + "\" is not allowed by this signer";
  }
  return std::nullopt;
}

}  // namespace signers
