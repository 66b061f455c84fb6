// csr-operator's rules on top of kube-controller-manager's signing profiles
// (pkg/controller/certificates/signer/signer.go isKubeletServing / isKubeletClient accept all of
// these). Each refusal quotes the offending value escaped and cut to 64 bytes, so a hostile value
// can neither forge a line nor make the message huge.
#include <algorithm>
#include <set>

#include "signers/KubeletRequests.h"
#include "signers/LogText.h"
#include "signers/Profiles.h"

namespace signers {
namespace {

std::string shown(std::string_view value) {
  constexpr std::size_t kShown = 64;
  if (value.size() <= kShown) return "\"" + escapeForLog(value) + "\"";
  return "\"" + escapeForLog(value.substr(0, kShown)) + "...\" (" + std::to_string(value.size()) + " bytes)";
}

// C0 controls, DEL, and the C1 controls U+0080..U+009F (UTF-8 C2 80..C2 9F).
bool hasControlCharacter(std::string_view value) {
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < value.size() && static_cast<unsigned char>(value[i + 1]) <= 0x9F) return true;
  }
  return false;
}

// Characters, not bytes: UTF-8 continuation bytes do not start a character.
std::size_t characterCount(std::string_view value) {
  return static_cast<std::size_t>(
      std::count_if(value.begin(), value.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::optional<std::string> checkSubjectValue(const char* what, std::string_view value) {
  if (characterCount(value) > kMaxSubjectValueChars) {
    return std::string("subject ") + what + " " + shown(value) + " is longer than " + std::to_string(kMaxSubjectValueChars) +
           " characters (X.520 upper bound)";
  }
  if (hasControlCharacter(value)) {
    return std::string("subject ") + what + " " + shown(value) + " contains a control character";
  }
  return std::nullopt;
}

char lowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowerAscii(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) { return lowerAscii(c); });
  return out;
}

// The reason a DNS SAN is not a plain host name, or nullopt. The length is checked first so
// nothing else ever walks an unbounded name.
std::optional<std::string> dnsNameProblem(std::string_view name) {
  if (name.size() > kMaxDnsNameChars) return "is longer than " + std::to_string(kMaxDnsNameChars) + " characters";
  if (name.empty()) return "is empty";
  if (name.find('*') != std::string_view::npos) return "is a wildcard, which a kubelet serving certificate may not carry";
  if (name.back() == '.') return "ends with a dot";
  std::size_t start = 0;
  while (true) {
    const auto dot = name.find('.', start);
    const auto label = name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) return std::string("has an empty label");
    if (label.size() > kMaxDnsLabelChars) return "has a label longer than " + std::to_string(kMaxDnsLabelChars) + " characters";
    for (char raw : label) {
      const char c = lowerAscii(raw);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return std::string("has a character outside [a-z0-9-]");
    }
    if (label.front() == '-' || label.back() == '-') return std::string("has a label that begins or ends with '-'");
    if (dot == std::string_view::npos) return std::nullopt;
    start = dot + 1;
  }
}

// Addresses a certificate for one host must never name: they belong to every host, to none, or
// smuggle an IPv4 address inside an IPv6 one (RFC 6890 special-purpose registries, RFC 4291 2.5.5).
std::optional<std::string> reservedAddressKind(const IpAddress& ip) {
  const auto& b = ip.bytes;
  if (ip.family == 4) {
    if (b[0] == 0) return "a 'this network' (0.0.0.0/8) address";
    if (b[0] == 127) return "a loopback address";
    if (b[0] == 169 && b[1] == 254) return "a link-local address";
    if (b[0] >= 224 && b[0] <= 239) return "a multicast address";
    if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255) return "the broadcast address";
    return std::nullopt;
  }
  const bool first10Zero = std::all_of(b.begin(), b.begin() + 10, [](uint8_t x) { return x == 0; });
  const bool first12Zero = first10Zero && b[10] == 0 && b[11] == 0;
  const bool last4Zero = b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] == 0;
  if (first12Zero && last4Zero) return "the unspecified address";
  if (first12Zero && b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] == 1) return "a loopback address";
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return "a link-local address";
  if (b[0] == 0xFF) return "a multicast address";
  if (first10Zero && b[10] == 0xFF && b[11] == 0xFF) return "an IPv4-mapped IPv6 address";
  if (first12Zero) return "an IPv4-compatible IPv6 address";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> validateSubjectText(const ParsedRequest& req) {
  if (auto err = checkSubjectValue("common name", req.commonName)) return err;
  for (const auto& o : req.organizations)
    if (auto err = checkSubjectValue("organization", o)) return err;
  return std::nullopt;
}

std::optional<std::string> validateServingNames(const ParsedRequest& req) {
  std::set<std::string> seenDns;
  for (const auto& dns : req.dnsNames) {
    if (auto problem = dnsNameProblem(dns)) return "DNS subjectAltName " + shown(dns) + " " + *problem;
    if (!seenDns.insert(lowerAscii(dns)).second) {
      return "DNS subjectAltName " + shown(dns) + " is listed more than once (names compare case-insensitively)";
    }
  }
  std::vector<IpAddress> seenIps;
  for (const auto& ip : req.ipAddresses) {
    if (auto kind = reservedAddressKind(ip)) return "IP subjectAltName " + ip.toString() + " is " + *kind + ", which no node may claim";
    if (std::find(seenIps.begin(), seenIps.end(), ip) != seenIps.end())
      return "IP subjectAltName " + ip.toString() + " is listed more than once";
    seenIps.push_back(ip);
  }
  return std::nullopt;
}

std::optional<std::string> validateNotServiceName(const ParsedRequest& req, std::string_view clusterDomain) {
  const std::string domain = lowerAscii(clusterDomain);
  const std::string serviceDomain = "svc." + domain;
  for (const auto& dns : req.dnsNames) {
    std::string name = lowerAscii(dns);
    if (!name.empty() && name.back() == '.') name.pop_back();
    if (name == "kubernetes" || name == "kubernetes.default" || name == "kubernetes.default.svc" ||
        name == "kubernetes.default." + serviceDomain)
      return "DNS subjectAltName " + shown(dns) + " is the API server's Service name, which no node may claim";
    const bool underSvc =
        name == "svc" || name.ends_with(".svc") || (!domain.empty() && (name == serviceDomain || name.ends_with("." + serviceDomain)));
    if (underSvc) return "DNS subjectAltName " + shown(dns) + " is a Service name (under .svc), which no node may claim";
  }
  return std::nullopt;
}

std::optional<std::string> validateNodeCommonName(const ParsedRequest& req, const Requester& requester) {
  if (!isNodeRequester(requester.username, requester.groups) || req.commonName == requester.username) return std::nullopt;
  return "subject common name " + shown(req.commonName) + " is not the requesting node " + shown(requester.username) +
         "; a node may only request certificates for itself";
}

std::optional<std::string> validateKubernetesProfile(const std::string& signerName, const ParsedRequest& req,
                                                     const std::vector<std::string>& usages, const Requester& requester,
                                                     const KeyPolicy& policy, std::string_view clusterDomain) {
  if (auto err = validateSubjectText(req)) return err;
  if (signerName == kKubeletServingSigner) {
    if (auto err = validateKubeletServing(req, toUsageSet(usages))) return err;
    if (auto err = validateServingNames(req)) return err;
    if (auto err = validateNotServiceName(req, clusterDomain)) return err;
    if (auto err = validateNodeCommonName(req, requester)) return err;
  } else if (signerName == kKubeletClientSigner) {
    if (auto err = validateKubeletClient(req, toUsageSet(usages))) return err;
    if (auto err = validateNodeCommonName(req, requester)) return err;
  } else if (signerName == kApiServerClientSigner) {
    if (auto err = validateApiServerClient(req, usages)) return err;
  } else if (signerName == kLegacyUnknownSigner) {
    if (auto err = validateLegacyUnknown(req, usages)) return err;
  } else {
    return "\"" + escapeForLog(signerName) + "\" is not a kubernetes.io signer";
  }
  return validateCommonRules(req, usages, policy);
}

}  // namespace signers
