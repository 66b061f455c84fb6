#include <algorithm>
#include <cctype>

#include <re2/re2.h>

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

constexpr std::string_view kSystemMasters = "system:masters";

// RE2 refuses nothing at match time and runs in time linear in the input; errors are reported
// here, once, at load.
Result<std::shared_ptr<const re2::RE2>> compileRegex(const std::string& pattern, bool caseSensitive) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_case_sensitive(caseSensitive);
  auto re = std::make_shared<const re2::RE2>(pattern, options);
  if (!re->ok()) return Result<std::shared_ptr<const re2::RE2>>::fail(re->error());
  return Result<std::shared_ptr<const re2::RE2>>::ok(std::move(re));
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
    auto re = compileRegex(r, false);
    if (!re) return R::fail(who + "dnsRegexes entry \"" + r + "\" is not a valid RE2 regex: " + re.error());
    p->dnsRegexes_.push_back(std::move(re.value()));
  }
  for (const auto& c : config.ipCidrs) {
    auto cidr = Cidr::parse(c);
    if (!cidr) return R::fail(who + "ipCidrs entry \"" + c + "\" is not a CIDR such as 10.0.0.0/8 or fd00::/8");
    p->ipCidrs_.push_back(*cidr);
  }
  p->permitSystemMasters_ = config.permitSystemMasters;
  const auto& orgs = config.allowedOrganizations;
  if (!p->permitSystemMasters_ && std::find(orgs.begin(), orgs.end(), kSystemMasters) != orgs.end()) {
    return R::fail(who +
                   "allowedOrganizations may not contain system:masters: that group bypasses RBAC, and no signer of "
                   "csr-operator issues it; remove it");
  }
  if (config.allowedOrganizations.size() == 1 && config.allowedOrganizations[0] == "*") {
    p->anyOrganization_ = true;
  } else {
    p->allowedOrganizations_ = config.allowedOrganizations;
  }
  if (!config.commonNameRegex.empty()) {
    auto re = compileRegex(config.commonNameRegex, true);
    if (!re) return R::fail(who + "commonNameRegex is not a valid RE2 regex: " + re.error());
    p->commonNameRegex_ = std::move(re.value());
  } else if (p->allowedUsages_.contains("client auth")) {
    return R::fail(who +
                   "commonNameRegex is required when allowedUsages contains \"client auth\": the common name is the "
                   "user name the certificate authenticates as; set e.g. commonNameRegex: \"app-[a-z0-9-]+\"");
  }
  if (config.maxSans < 0) return R::fail(who + "maxSans must not be negative");
  p->maxSans_ = static_cast<std::size_t>(config.maxSans);
  return R::ok(std::move(p));
}

std::optional<std::string> CustomProfile::validate(const ParsedRequest& req, const UsageSet& usages) const {
  for (const auto& u : usages) {
    if (!allowedUsages_.contains(u))
      return "usage \"" + u + "\" is not allowed by this signer, allowed: " + formatUsageList(allowedUsages_);
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
    // isWellFormedDnsName bounds the length (253) before any suffix or regex sees the name.
    if (!isWellFormedDnsName(dns)) return "DNS subjectAltName \"" + dns.substr(0, 64) + "\" is not a valid DNS name";
    if (dnsSuffixes_.empty() && dnsRegexes_.empty()) continue;
    std::string name = lower(dns);
    bool ok = std::any_of(dnsSuffixes_.begin(), dnsSuffixes_.end(), [&](const auto& s) { return matchesSuffix(name, s); }) ||
              std::any_of(dnsRegexes_.begin(), dnsRegexes_.end(), [&](const auto& r) { return re2::RE2::FullMatch(dns, *r); });
    if (!ok) return "DNS subjectAltName \"" + dns + "\" is not allowed by this signer";
  }
  if (!ipCidrs_.empty()) {
    for (const auto& ip : req.ipAddresses) {
      bool ok = std::any_of(ipCidrs_.begin(), ipCidrs_.end(), [&](const Cidr& c) { return c.contains(ip); });
      if (!ok) return "IP subjectAltName " + ip.toString() + " is not inside an allowed range";
    }
  }
  for (const auto& o : req.organizations) {
    if (o == kSystemMasters && !permitSystemMasters_) return "subject organization \"system:masters\" is never issued by a custom signer";
  }
  if (!anyOrganization_) {
    for (const auto& o : req.organizations) {
      if (std::find(allowedOrganizations_.begin(), allowedOrganizations_.end(), o) == allowedOrganizations_.end()) {
        return "subject organization \"" + o + "\" is not allowed by this signer";
      }
    }
  }
  if (commonNameRegex_ && !re2::RE2::FullMatch(req.commonName, *commonNameRegex_)) {
    return "subject common name \"" + req.commonName + "\" is not allowed by this signer";
  }
  return std::nullopt;
}

}  // namespace signers
