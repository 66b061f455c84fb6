#include "pki/ProfileMatch.h"

#include <re2/re2.h>

#include <algorithm>
#include <set>

#include "signers/Profiles.h"

namespace csrop::pki {
namespace {

std::string quoteList(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + ("\"" + s + "\"");
  return out.empty() ? "none" : out;
}

// The pattern is one of KubeadmProfiles' built-in ones; the CN is the requester's, so it is bounded
// first and matched by RE2 (linear time). `pki` checks one file per run, so compiling here is once.
bool matchesPattern(const std::string& pattern, const std::string& commonName) {
  if (commonName.size() > signers::kMaxSubjectValueChars) return false;
  re2::RE2::Options options;
  options.set_log_errors(false);
  const re2::RE2 re(pattern, options);
  return re.ok() && re2::RE2::FullMatch(commonName, re);
}

}  // namespace

std::optional<std::string> checkCommonName(const CertProfile& p, const std::string& commonName) {
  bool ok = p.commonNamePattern.empty() ? commonName == p.commonName : matchesPattern(p.commonNamePattern, commonName);
  if (ok) return std::nullopt;
  return "CN is \"" + commonName + "\", expected " + p.commonNameHint;
}

std::optional<std::string> checkOrganizations(const CertProfile& p, std::vector<std::string> organizations) {
  std::sort(organizations.begin(), organizations.end());
  for (auto choice : p.organizationChoices) {
    std::sort(choice.begin(), choice.end());
    if (choice == organizations) return std::nullopt;
  }
  std::string have = organizations.empty() ? "no O" : "O=" + quoteList(organizations);
  std::string why;
  if (std::find(organizations.begin(), organizations.end(), "system:masters") != organizations.end()) {
    why = " (system:masters bypasses RBAC; only super-admin.conf and apiserver-kubelet-client may carry it)";
  }
  return "subject has " + have + ", expected " + describeOrganizations(p.organizationChoices) + why;
}

std::optional<std::string> checkSanTypes(const CertProfile& p, const std::vector<std::string>& dnsNames, std::size_t ipCount,
                                         const std::vector<std::string>& emails, const std::vector<std::string>& uris) {
  if (!emails.empty()) return "asks for email SANs " + quoteList(emails) + "; kubeadm certificates carry none";
  if (!uris.empty()) return "asks for URI SANs " + quoteList(uris) + "; kubeadm certificates carry none";
  if (!dnsNames.empty() && !p.allowDnsSans) {
    return "asks for DNS SANs " + quoteList(dnsNames) + " but " + p.name + " is a " + kindName(p.kind) + " certificate without SANs";
  }
  if (ipCount > 0 && !p.allowIpSans) {
    return "asks for " + std::to_string(ipCount) + " IP SAN(s) but " + p.name + " is a " + kindName(p.kind) + " certificate without SANs";
  }
  for (const auto& d : dnsNames) {
    if (d.find('*') != std::string::npos) return "asks for the wildcard DNS SAN \"" + d + "\"; kubeadm never uses wildcards";
  }
  return std::nullopt;
}

signers::SignerConfig signerConfigFor(const CertProfile& p, const std::string& caCertFile, const std::string& caKeyFile,
                                      std::chrono::seconds maxDuration) {
  signers::SignerConfig c;
  std::string path = p.name;
  std::replace(path.begin(), path.end(), '.', '-');
  c.signerName = "pki.csr-operator.local/" + path;
  c.caCertFile = caCertFile;
  c.caKeyFile = caKeyFile;
  c.maxDuration = maxDuration;
  c.allowedUsages = usagesFor(p.kind, true);
  c.requiredUsages = {p.kind == CertKind::Client ? "client auth" : "server auth"};
  c.allowDns = p.allowDnsSans;
  c.allowIp = p.allowIpSans;
  std::set<std::string> orgs;
  for (const auto& choice : p.organizationChoices) orgs.insert(choice.begin(), choice.end());
  c.allowedOrganizations.assign(orgs.begin(), orgs.end());
  c.commonNameRegex = p.commonNamePattern.empty() ? re2::RE2::QuoteMeta(p.commonName) : p.commonNamePattern;
  // kubeadm's super-admin.conf and apiserver-kubelet-client carry system:masters by design.
  c.permitSystemMasters = orgs.contains("system:masters");
  return c;
}

}  // namespace csrop::pki
