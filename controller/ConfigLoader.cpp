#include "controller/ConfigLoader.h"

#include "controller/BindAddress.h"
#include "controller/DnsNameFilter.h"
#include "controller/NodeNameRegexes.h"
#include "controller/PodCertificatePolicy.h"
#include "k8sclient/InformerCore.h"
#include "signers/Duration.h"
#include "signers/FileUtil.h"
#include "signers/OpenSslPtr.h"
#include "signers/Pkcs11Uri.h"
#include "signers/PodCertificate.h"
#include "signers/Profiles.h"

#include <openssl/pem.h>

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace csrop {
namespace {

// Where an override is named in errors: its flag or environment variable, or "--set <path>".
std::string originOf(const ConfigOverride& o) { return o.origin.empty() ? "--set " + o.path : o.origin; }

// The file being read and the paths that overrides wrote over it, so that a problem is reported
// where the user can fix it: the file and line, or the --set, flag or variable that wrote the value.
struct ConfigSource {
  struct Written {
    std::string path;
    std::string origin;
  };
  std::string name;
  std::vector<Written> overridden;  // in the order applied

  std::string locate(const std::string& path, const YAML::Node& at) const {
    // The last override that wrote the path or a mapping above it is the one whose value was read.
    for (auto o = overridden.rbegin(); o != overridden.rend(); ++o)
      if (path == o->path || path.rfind(o->path + ".", 0) == 0 || path.rfind(o->path + "[", 0) == 0) return o->origin;
    return name + ":" + std::to_string(at.Mark().line + 1);
  }
};

[[noreturn]] void failAt(const ConfigSource& source, const std::string& path, const YAML::Node& at, const std::string& what,
                         const std::string& locatedBy = "") {
  std::ostringstream msg;
  msg << source.locate(locatedBy.empty() ? path : locatedBy, at) << ": " << (path.empty() ? "<root>" : path) << " " << what;
  throw ConfigFileError(msg.str());
}

// Wraps one YAML mapping; every key read is remembered so that leftovers are reported as unknown.
class Section {
 public:
  Section(const YAML::Node& node, std::string path, const ConfigSource& source) : node_(node), path_(std::move(path)), source_(source) {
    if (node_ && !node_.IsNull() && !node_.IsMap()) fail(node_, "must be a mapping");
  }

  [[noreturn]] void fail(const YAML::Node& at, const std::string& what) const { failAt(source_, path_, at, what); }
  [[noreturn]] void failKey(const std::string& key, const std::string& what) { failAt(source_, keyPath(key), child(key), what); }

  YAML::Node child(const std::string& key) {
    seen_.insert(key);
    if (!node_ || !node_.IsMap()) return YAML::Node();
    return node_[key];
  }

  std::string keyPath(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  template <class T>
  void read(const std::string& key, T& out) {
    YAML::Node n = child(key);
    if (!n || n.IsNull()) return;
    if (!n.IsScalar()) failAt(source_, keyPath(key), n, "must be a scalar value");
    try {
      out = n.as<T>();
    } catch (const YAML::Exception&) {
      failAt(source_, keyPath(key), n, "has the wrong type: got '" + n.Scalar() + "'");
    }
  }
  void read(const std::string& key, bool& out) {
    YAML::Node n = child(key);
    if (!n || n.IsNull()) return;
    if (!n.IsScalar()) failAt(source_, keyPath(key), n, "must be a scalar value");
    const auto value = parseBoolean(n.Scalar());
    if (!value) failAt(source_, keyPath(key), n, "has the wrong type: got '" + n.Scalar() + "'; write true or false");
    out = *value;
  }

  void readDuration(const std::string& key, std::chrono::milliseconds& out) {
    std::string text;
    read(key, text);
    if (text.empty()) return;
    auto d = signers::parseDuration(text);
    if (!d) failKey(key, "is not a duration: '" + text + "': " + d.error() + "; write e.g. 15s, 10m, 8760h or 30d");
    out = std::chrono::duration_cast<std::chrono::milliseconds>(d.value());
  }
  void readDuration(const std::string& key, std::chrono::seconds& out) {
    std::chrono::milliseconds ms = out;
    readDuration(key, ms);
    out = std::chrono::duration_cast<std::chrono::seconds>(ms);
  }

  void readStrings(const std::string& key, std::vector<std::string>& out) {
    YAML::Node n = child(key);
    if (!n || n.IsNull()) return;
    if (!n.IsSequence()) failAt(source_, keyPath(key), n, "must be a list of strings");
    out.clear();
    for (const auto& item : n) {
      if (!item.IsScalar()) failAt(source_, keyPath(key), item, "must contain only strings");
      out.push_back(item.Scalar());
    }
  }

  template <class E>
  void readEnum(const std::string& key, E& out, const std::vector<std::pair<std::string, E>>& choices) {
    std::string text;
    read(key, text);
    if (text.empty()) return;
    std::string allowed;
    for (const auto& [name, value] : choices) {
      if (name == text) {
        out = value;
        return;
      }
      allowed += (allowed.empty() ? "" : ", ") + name;
    }
    failKey(key, "is '" + text + "'; use one of: " + allowed);
  }

  Section sub(const std::string& key) { return Section(child(key), keyPath(key), source_); }
  const YAML::Node& node() const { return node_; }
  const ConfigSource& source() const { return source_; }

  // Reports the first key that no reader asked for.
  void finish() const {
    if (!node_ || !node_.IsMap()) return;
    for (const auto& kv : node_) {
      // A list or mapping used as a key (`? [a]: b`, `{x}: y`) has no string form; as<std::string>
      // would throw YAML's bad conversion past ConfigFileError (found by tests/fuzz/fuzz_config_yaml).
      if (!kv.first.IsScalar()) failAt(source_, path_, kv.first, "has a key that is a list or mapping; keys are plain names");
      const auto key = kv.first.as<std::string>();
      if (!seen_.count(key)) {
        std::string known;
        for (const auto& s : seen_) known += (known.empty() ? "" : ", ") + s;
        failAt(source_, path_, kv.first, "has unknown key '" + key + "'; known keys here: " + known, keyPath(key));
      }
    }
  }

 private:
  YAML::Node node_;
  std::string path_;
  const ConfigSource& source_;
  std::set<std::string> seen_;
};

void requireRange(Section& s, const std::string& key, double value, double lo, double hi) {
  // Written so that NaN (.nan in YAML, "nan" from a flag) is outside every range.
  if (!(value >= lo && value <= hi)) {
    std::ostringstream msg;
    msg << "is " << value << "; it must be between " << lo << " and " << hi;
    s.failKey(key, msg.str());
  }
}

void parseChecks(Section s, KubeletServingChecks& c) {
  s.read("requesterIsNode", c.requesterIsNode);
  s.read("commonName", c.commonName);
  s.read("organization", c.organization);
  s.read("usages", c.usages);
  s.read("noEmailOrUri", c.noEmailOrUri);
  s.read("nodeExists", c.nodeExists);
  s.read("ipAddresses", c.ipAddresses);
  s.read("dnsNames", c.dnsNames);
  s.read("expiration", c.expiration);
  s.finish();
}

void readCidrs(Section& s, const std::string& key, std::vector<signers::Cidr>& out) {
  std::vector<std::string> texts;
  s.readStrings(key, texts);
  for (const auto& text : texts) {
    auto cidr = signers::Cidr::parse(text);
    if (!cidr) s.failKey(key, "has '" + text + "', which is not a CIDR; write e.g. 10.0.0.0/8 or fd00::/64");
    out.push_back(*cidr);
  }
}

template <class D>
void requireDuration(Section& s, const std::string& key, D value, D lo, D hi, const std::string& lowText, const std::string& highText) {
  if (value < lo || value > hi) s.failKey(key, "must be between " + lowText + " and " + highText);
}

// A cluster domain is a plain DNS name: lower-case labels of [a-z0-9-], no leading or trailing dot.
bool isClusterDomain(const std::string& d) {
  static const std::regex shape("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");
  return !d.empty() && d.size() <= 253 && std::regex_match(d, shape);
}

void parseNodeIdentity(Section& s, KubeletServingConfig& k) {
  s.readEnum("addressSource", k.addressSource, {{"node", AddressSource::Node}, {"machine", AddressSource::Machine}});
  s.readEnum("machineApiGroup", k.machineApiGroup,
             {{"cluster.x-k8s.io", MachineApiGroup::ClusterApi}, {"machine.openshift.io", MachineApiGroup::OpenShift}});
  s.read("machineNamespace", k.machineNamespace);
  s.read("machineKubeconfig", k.machineKubeconfig);
  s.readDuration("machineDeadline", k.machineDeadline);
  requireDuration(s, "machineDeadline", k.machineDeadline, std::chrono::seconds(0), std::chrono::seconds(24 * 3600), "0s", "24h");
  const bool machine = k.addressSource == AddressSource::Machine;
  // Where the Machines are read from means nothing to the node source: a value there is a mistake.
  if (!machine && !k.machineNamespace.empty())
    s.failKey("machineNamespace", "applies only to addressSource: machine; set addressSource: machine or remove the key");
  if (!machine && !k.machineKubeconfig.empty())
    s.failKey("machineKubeconfig", "applies only to addressSource: machine; set addressSource: machine or remove the key");
  // The Machine source compares DNS names with the Machine's addresses only; a pattern would be a
  // second, node-independent way in (docs/node-identity.md).
  if (machine && !k.dnsNamePatterns.empty())
    s.failKey("dnsNamePatterns", "cannot be used with addressSource: machine, where only the Machine's addresses count; remove them");
  if (machine && !k.dnsNameRegexes.empty())
    s.failKey("dnsNameRegexes", "cannot be used with addressSource: machine, where only the Machine's addresses count; remove them");
  s.read("renewalContinuity", k.renewalContinuity);
  s.readDuration("renewalDialTimeout", k.renewalDialTimeout);
  requireDuration(s, "renewalDialTimeout", k.renewalDialTimeout, std::chrono::milliseconds(100), std::chrono::milliseconds(30000), "100ms",
                  "30s");
  s.read("clusterDomain", k.clusterDomain);
  if (!isClusterDomain(k.clusterDomain))
    s.failKey("clusterDomain",
              "is '" + k.clusterDomain + "', which is not a lower-case DNS name without a trailing dot; write e.g. cluster.local");
  readCidrs(s, "serviceCIDRs", k.serviceCIDRs);
  readCidrs(s, "deniedCIDRs", k.deniedCIDRs);
  s.readDuration("historyWindow", k.historyWindow);
  requireDuration(s, "historyWindow", k.historyWindow, std::chrono::seconds(60), std::chrono::seconds(30 * 24 * 3600), "1m", "720h");
  s.readDuration("addressSettle", k.addressSettle);
  requireDuration(s, "addressSettle", k.addressSettle, std::chrono::seconds(0), std::chrono::seconds(3600), "0s", "1h");
  s.read("maxAddressesPerNode", k.maxAddressesPerNode);
  requireRange(s, "maxAddressesPerNode", k.maxAddressesPerNode, 1, 1024);
}

void parseKubeletServing(Section s, KubeletServingConfig& k) {
  s.read("enabled", k.enabled);
  s.readEnum("nonNodeRequester", k.nonNodeRequester, {{"deny", NonNodeRequester::Deny}, {"ignore", NonNodeRequester::Ignore}});
  s.read("maxExpirationSeconds", k.maxExpirationSeconds);
  if (k.maxExpirationSeconds < 600) s.failKey("maxExpirationSeconds", "must be at least 600 (the API server's minimum)");
  readCidrs(s, "allowedCIDRs", k.allowedCIDRs);
  s.readStrings("dnsNamePatterns", k.dnsNamePatterns);
  for (const auto& p : k.dnsNamePatterns) {
    if (p.find("{node}") == std::string::npos)
      s.failKey("dnsNamePatterns",
                "has '" + p + "' without {node}; a pattern must be anchored to the node name (use dnsNameRegexes for anything else)");
  }
  s.readStrings("dnsNameRegexes", k.dnsNameRegexes);
  for (const auto& r : k.dnsNameRegexes)
    if (auto problem = NodeNameRegexes::check(r)) s.failKey("dnsNameRegexes", "has '" + r + "', which " + *problem);
  s.read("dnsNamesMustMatch", k.dnsNamesMustMatch);
  if (auto problem = DnsNameFilter::check(k.dnsNamesMustMatch))
    s.failKey("dnsNamesMustMatch", "is '" + k.dnsNamesMustMatch + "', which " + *problem);
  s.read("maxDNSNames", k.maxDNSNames);
  requireRange(s, "maxDNSNames", k.maxDNSNames, 1, 100);
  Section dns = s.sub("dnsResolution");
  dns.read("enabled", k.dnsResolution.enabled);
  dns.readDuration("timeout", k.dnsResolution.timeout);
  dns.readEnum("onFailure", k.dnsResolution.onFailure, {{"retry", ResolutionFailure::Retry}, {"deny", ResolutionFailure::Deny}});
  dns.finish();
  parseChecks(s.sub("checks"), k.checks);
  parseNodeIdentity(s, k);
  s.finish();
}

void parseApprover(Section s, ApproverConfig& a) {
  s.read("enabled", a.enabled);
  s.readEnum("mode", a.mode, {{"enforce", ApproverMode::Enforce}, {"observe", ApproverMode::Observe}});
  s.readEnum("denyMode", a.denyMode, {{"deny", DenyMode::Deny}, {"skip", DenyMode::Skip}});
  s.read("maxPendingPerRequester", a.maxPendingPerRequester);
  requireRange(s, "maxPendingPerRequester", a.maxPendingPerRequester, 1, 10000);
  parseKubeletServing(s.sub("kubeletServing"), a.kubeletServing);
  Section client = s.sub("kubeletClient");
  client.read("enabled", a.kubeletClient.enabled);
  client.finish();
  YAML::Node rules = s.child("rules");
  if (rules && !rules.IsNull()) {
    if (!rules.IsSequence()) s.failKey("rules", "must be a list");
    for (std::size_t i = 0; i < rules.size(); ++i) {
      Section r(rules[i], s.keyPath("rules[" + std::to_string(i) + "]"), s.source());
      RequesterRule rule;
      r.read("signerName", rule.signerName);
      if (rule.signerName.empty()) r.fail(rules[i], "needs a signerName");
      if (rule.signerName.rfind("kubernetes.io/", 0) == 0)
        r.fail(rules[i], "names the built-in signer '" + rule.signerName +
                             "'; requester rules are for custom signers only (the kubernetes.io signers have their own policies)");
      r.readStrings("users", rule.users);
      r.readStrings("groups", rule.groups);
      r.readStrings("serviceAccounts", rule.serviceAccounts);
      for (const auto& sa : rule.serviceAccounts)
        if (sa.find('/') == std::string::npos) r.fail(rules[i], "serviceAccounts entry '" + sa + "' must be namespace/name");
      if (rule.users.empty() && rule.groups.empty() && rule.serviceAccounts.empty())
        r.fail(rules[i], "approves nobody; list users, groups or serviceAccounts");
      r.finish();
      a.rules.push_back(std::move(rule));
    }
  }
  s.finish();
}

void parseKeyPolicy(Section s, signers::KeyPolicy& p) {
  s.read("minRsaBits", p.minRsaBits);
  if (p.minRsaBits < 2048) s.failKey("minRsaBits", "must be at least 2048");
  s.read("allowRsa", p.allowRsa);
  s.read("allowP256", p.allowP256);
  s.read("allowP384", p.allowP384);
  s.read("allowEd25519", p.allowEd25519);
  s.finish();
}

// The settings of a key on a PKCS#11 token, read here and in signers.defaults.
// For signers.list entries and podCertificates.signers alike (the same field names).
template <class KeyConfig>
void readTokenKeySettings(Section& s, KeyConfig& c) {
  s.read("caKeyPinFile", c.caKeyPinFile);
  s.read("caKeyPinEnv", c.caKeyPinEnv);
  s.read("pkcs11Module", c.pkcs11Module);
  s.read("pkcs11Sessions", c.pkcs11Sessions);
  requireRange(s, "pkcs11Sessions", c.pkcs11Sessions, 0, 256);
}

// caKeyFile is a file, or a PKCS#11 URI with its PIN source; the two kinds' settings do not mix.
template <class KeyConfig>
void checkKeySource(Section& s, const YAML::Node& at, const KeyConfig& c) {
  if (!signers::isPkcs11Uri(c.caKeyFile)) {
    if (!c.caKeyPinFile.empty() || !c.caKeyPinEnv.empty() || !c.pkcs11Module.empty())
      s.fail(at, "sets caKeyPinFile, caKeyPinEnv or pkcs11Module, which are for a key on a token; caKeyFile is not a pkcs11: URI");
    return;
  }
  if (auto uri = signers::parsePkcs11Uri(c.caKeyFile); !uri) s.fail(at, "caKeyFile: " + uri.error());
  if (!c.caKeyPassphraseFile.empty())
    s.fail(at, "sets caKeyPassphraseFile for a key on a token; the token's PIN goes in caKeyPinFile or caKeyPinEnv");
  if (!c.caKeyPinFile.empty() && !c.caKeyPinEnv.empty()) s.fail(at, "sets both caKeyPinFile and caKeyPinEnv; keep one");
  if (!c.pkcs11Module.empty() && !c.pkcs11Module.starts_with("/"))
    s.fail(at, "pkcs11Module '" + c.pkcs11Module + "' must be the absolute path of the module's shared library");
}

void parseSigner(Section s, signers::SignerConfig& c, bool& publishTrustBundle) {
  s.read("signerName", c.signerName);
  s.read("caCertFile", c.caCertFile);
  s.read("caKeyFile", c.caKeyFile);
  s.read("caKeyPassphraseFile", c.caKeyPassphraseFile);
  readTokenKeySettings(s, c);
  s.readStrings("chainFiles", c.chainFiles);
  s.read("includeChain", c.includeChain);
  s.readDuration("maxDuration", c.maxDuration);
  parseKeyPolicy(s.sub("keyPolicy"), c.keyPolicy);
  s.readStrings("allowedUsages", c.allowedUsages);
  s.readStrings("requiredUsages", c.requiredUsages);
  s.read("allowDNS", c.allowDns);
  s.read("allowIP", c.allowIp);
  s.read("allowEmail", c.allowEmail);
  s.read("allowURI", c.allowUri);
  s.readStrings("dnsSuffixes", c.dnsSuffixes);
  s.readStrings("dnsRegexes", c.dnsRegexes);
  s.readStrings("ipCIDRs", c.ipCidrs);
  s.readStrings("allowedOrganizations", c.allowedOrganizations);
  s.read("commonNameRegex", c.commonNameRegex);
  Section bundle = s.sub("trustBundle");
  bundle.read("publish", publishTrustBundle);
  bundle.finish();
  s.finish();
}

void parseSigners(Section s, Config& config) {
  signers::SignerConfig defaults;
  Section d = s.sub("defaults");
  d.read("caCertFile", defaults.caCertFile);
  d.read("caKeyFile", defaults.caKeyFile);
  d.read("caKeyPassphraseFile", defaults.caKeyPassphraseFile);
  readTokenKeySettings(d, defaults);
  d.readDuration("maxDuration", defaults.maxDuration);
  d.finish();
  s.readDuration("reloadInterval", config.caReloadInterval);
  YAML::Node list = s.child("list");
  if (list && !list.IsNull()) {
    if (!list.IsSequence()) s.failKey("list", "must be a list of signers");
    std::set<std::string> names;
    for (std::size_t i = 0; i < list.size(); ++i) {
      Section entry(list[i], s.keyPath("list[" + std::to_string(i) + "]"), s.source());
      signers::SignerConfig c = defaults;
      bool publish = false;
      parseSigner(entry, c, publish);
      if (c.signerName.empty()) entry.fail(list[i], "needs a signerName");
      if (c.signerName.find('/') == std::string::npos)
        entry.fail(list[i], "signerName '" + c.signerName + "' must look like example.com/signer-name");
      if (c.caCertFile.empty() || c.caKeyFile.empty()) entry.fail(list[i], "needs caCertFile and caKeyFile (here or in signers.defaults)");
      checkKeySource(entry, list[i], c);
      if (!names.insert(c.signerName).second) entry.fail(list[i], "repeats signer '" + c.signerName + "'");
      if (publish) config.trustBundles.csrSigners.push_back(c.signerName);
      config.signers.push_back(std::move(c));
    }
  }
  s.finish();
}

void readDnsTemplates(Section& s, std::vector<std::string>& out) {
  s.readStrings("dnsNameTemplates", out);
  static const std::regex placeholder("\\{([^}]*)\\}");
  for (const auto& t : out)
    for (auto it = std::sregex_iterator(t.begin(), t.end(), placeholder); it != std::sregex_iterator(); ++it) {
      const std::string name = (*it)[1];
      if (name != "pod" && name != "namespace" && name != "serviceAccount")
        s.failKey("dnsNameTemplates", "has '" + t + "' with {" + name + "}; the placeholders are {pod}, {namespace} and {serviceAccount}");
    }
}

// A pod certificate is a leaf: what would let it act as a CA is refused here, not only by the signer.
void readPodUsages(Section& s, std::vector<std::string>& out, bool required) {
  s.readStrings("usages", out);
  if (required && out.empty()) s.failKey("usages", "is empty; list e.g. [digital signature, client auth, server auth]");
  static const std::set<std::string> allowed{"digital signature", "key encipherment", "key agreement", "client auth", "server auth"};
  for (const auto& u : out)
    if (!allowed.count(u))
      s.failKey(
          "usages",
          "has '" + u + "'; pod certificates may use only digital signature, key encipherment, key agreement, client auth, server auth");
}

void parseUserAnnotations(Section& s, PodCertificateSignerConfig& c) {
  YAML::Node annotations = s.child("userAnnotations");
  if (!annotations || annotations.IsNull()) return;
  if (!annotations.IsMap()) s.failKey("userAnnotations", "must map an annotation key to its values and what each selects");
  for (const auto& key : annotations) {
    if (!key.first.IsScalar()) s.failKey("userAnnotations", "has a key that is a list or mapping; keys are annotation names");
    const std::string name = key.first.Scalar();
    // The API server requires the keys of unverifiedUserAnnotations to be domain-prefixed.
    if (name.find('/') == std::string::npos)
      s.failKey("userAnnotations", "has key '" + name + "'; unverifiedUserAnnotations keys are domain-prefixed, e.g. example.com/profile");
    Section values(key.second, s.keyPath("userAnnotations." + name), s.source());
    if (!key.second.IsMap() || key.second.size() == 0)
      values.fail(key.second, "lists no values; map each allowed value to the dnsNameTemplates and usages it selects");
    for (const auto& value : key.second) {
      if (!value.first.IsScalar()) values.fail(value.first, "has a value that is a list or mapping; values are plain strings");
      Section choice = values.sub(value.first.Scalar());
      PodIdentityChoiceConfig selected;
      readDnsTemplates(choice, selected.dnsNameTemplates);
      readPodUsages(choice, selected.usages, false);
      choice.finish();
      c.userAnnotations[name][value.first.Scalar()] = std::move(selected);
    }
  }
}

void parsePodCertificateSigner(Section s, PodCertificateSignerConfig& c) {
  s.read("signerName", c.signerName);
  s.read("caCertFile", c.caCertFile);
  s.read("caKeyFile", c.caKeyFile);
  s.read("caKeyPassphraseFile", c.caKeyPassphraseFile);
  readTokenKeySettings(s, c);
  s.readStrings("chainFiles", c.chainFiles);
  s.readStrings("allowedNamespaces", c.allowedNamespaces);
  s.readStrings("allowedServiceAccounts", c.allowedServiceAccounts);
  for (const auto& sa : c.allowedServiceAccounts) {
    const auto slash = sa.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == sa.size() || sa.find('/', slash + 1) != std::string::npos)
      s.failKey("allowedServiceAccounts",
                "has '" + sa + "'; write namespace/name, or namespace/* for every service account of a namespace");
  }
  s.read("spiffeId", c.spiffeId);
  s.read("trustDomain", c.trustDomain);
  if (!isClusterDomain(c.trustDomain))
    s.failKey("trustDomain",
              "is '" + c.trustDomain + "', which is not a lower-case DNS name (SPIFFE trust domain); write e.g. cluster.local");
  readDnsTemplates(s, c.dnsNameTemplates);
  readPodUsages(s, c.usages, true);
  if (!c.spiffeId && c.dnsNameTemplates.empty())
    s.failKey("spiffeId", "is false and dnsNameTemplates is empty: a certificate would carry no identity; keep spiffeId or list templates");
  parseUserAnnotations(s, c);
  s.readDuration("maxLifetime", c.maxLifetime);
  // The API server's bounds on a pod certificate's lifetime: 1 h to maxExpirationSeconds' 91 days.
  requireDuration(s, "maxLifetime", c.maxLifetime, std::chrono::seconds(3600), std::chrono::seconds(7862400), "1h", "2184h (91 days)");
  s.readStrings("allowedKeyTypes", c.allowedKeyTypes);
  static const std::set<std::string> keyTypes{"RSA3072", "RSA4096", "ECDSAP256", "ECDSAP384", "ECDSAP521", "ED25519"};
  if (c.allowedKeyTypes.empty())
    s.failKey("allowedKeyTypes", "is empty; list at least one of RSA3072, RSA4096, ECDSAP256, ECDSAP384, ECDSAP521, ED25519");
  for (const auto& k : c.allowedKeyTypes)
    if (!keyTypes.count(k))
      s.failKey("allowedKeyTypes",
                "has '" + k + "'; the kubelet's key types are RSA3072, RSA4096, ECDSAP256, ECDSAP384, ECDSAP521, ED25519");
  Section refresh = s.sub("refresh");
  refresh.read("from", c.refreshFrom);
  refresh.read("to", c.refreshTo);
  requireRange(refresh, "from", c.refreshFrom, 0.1, 0.9);
  requireRange(refresh, "to", c.refreshTo, c.refreshFrom, 0.9);
  refresh.finish();
  Section bundle = s.sub("trustBundle");
  bundle.read("publish", c.publishTrustBundle);
  bundle.finish();
  s.read("verifyPod", c.verifyPod);
  Section review = s.sub("accessReview");
  review.read("verb", c.accessReview.verb);
  review.read("group", c.accessReview.group);
  review.read("resource", c.accessReview.resource);
  review.read("name", c.accessReview.name);
  if (!c.accessReview.verb.empty() && c.accessReview.resource.empty())
    review.failKey("resource", "is empty while verb is set; name the resource the service account must be allowed, e.g. signers");
  if (c.accessReview.verb.empty() && (!c.accessReview.resource.empty() || !c.accessReview.group.empty() || !c.accessReview.name.empty()))
    review.failKey("verb", "is empty, so no review is asked and the other fields would be ignored; set verb, e.g. request");
  review.finish();
  s.finish();
}

void parsePodCertificates(Section s, Config& config) {
  YAML::Node list = s.child("signers");
  if (list && !list.IsNull()) {
    if (!list.IsSequence()) s.failKey("signers", "must be a list of pod certificate signers");
    std::set<std::string> names;
    for (const auto& csrSigner : config.signers) names.insert(csrSigner.signerName);
    for (std::size_t i = 0; i < list.size(); ++i) {
      Section entry(list[i], s.keyPath("signers[" + std::to_string(i) + "]"), s.source());
      PodCertificateSignerConfig c;
      parsePodCertificateSigner(entry, c);
      if (c.signerName.empty()) entry.fail(list[i], "needs a signerName");
      if (c.signerName.find('/') == std::string::npos)
        entry.fail(list[i], "signerName '" + c.signerName + "' must look like example.com/pod-identity");
      // kubernetes.io names are reserved (kubernetes.io/kube-apiserver-client-pod is Kubernetes' own).
      if (c.signerName.rfind("kubernetes.io", 0) == 0)
        entry.fail(list[i], "signerName '" + c.signerName + "' is reserved for Kubernetes; use a name under your own domain");
      if (c.caCertFile.empty() || c.caKeyFile.empty()) entry.fail(list[i], "needs caCertFile and caKeyFile");
      checkKeySource(entry, list[i], c);
      if (!names.insert(c.signerName).second)
        entry.fail(list[i], "repeats signer '" + c.signerName + "' (also in signers.list or earlier here); give each signer name one CA");
      if (c.allowedNamespaces.empty() && c.allowedServiceAccounts.empty())
        spdlog::warn("{}: {} allows nobody (allowedNamespaces and allowedServiceAccounts are empty): every request is denied",
                     s.source().name, entry.keyPath("signerName"));
      config.podCertificates.signers.push_back(std::move(c));
    }
  }
  s.finish();
}

void parseTrustBundles(Section s, TrustBundlesConfig& t) {
  s.read("nameSuffix", t.nameSuffix);
  // The suffix is also a label value (how our bundles are found for garbage collection).
  static const std::regex labelValue("[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?");
  if (!std::regex_match(t.nameSuffix, labelValue))
    s.failKey("nameSuffix", "is '" + t.nameSuffix + "'; write 1 to 63 lower-case letters, digits, '.' or '-', e.g. csr-operator");
  s.finish();
}

}  // namespace

std::optional<std::chrono::milliseconds> parseDuration(const std::string& text) {
  auto d = signers::parseDuration(text);
  if (!d) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(d.value());
}

namespace {

// yaml-cpp keeps both pairs of a key written twice in one mapping, but every lookup finds the first:
// the second would be dropped without a word. Refused anywhere in the document (as Kubernetes'
// strict decoding refuses duplicate fields), walked without recursion so no nesting depth can
// exhaust the stack, and each node once: an alias is the anchored node again (same position), and
// walking it again per alias would be exponential in a YAML bomb. `where` names the source, e.g.
// "c.yaml" (then the line is added) or a --set.
void refuseDuplicateKeys(const YAML::Node& root, const std::string& where, bool withLine) {
  std::vector<YAML::Node> pending{root};
  std::set<int> walked;
  while (!pending.empty()) {
    const YAML::Node node = pending.back();
    pending.pop_back();
    if ((node.IsSequence() || node.IsMap()) && !walked.insert(node.Mark().pos).second) continue;
    if (node.IsSequence())
      for (const auto& item : node) pending.push_back(item);
    if (!node.IsMap()) continue;
    std::map<std::string, int> firstLine;
    for (const auto& kv : node) {
      pending.push_back(kv.second);
      if (!kv.first.IsScalar()) continue;  // Section::finish reports a list or mapping used as a key
      const int line = kv.first.Mark().line + 1;
      const auto [first, inserted] = firstLine.emplace(kv.first.Scalar(), line);
      if (!inserted)
        throw ConfigFileError(where + (withLine ? ":" + std::to_string(line) : "") + ": key '" + kv.first.Scalar() +
                              "' is written twice in one mapping" +
                              (withLine ? " (first on line " + std::to_string(first->second) + ")" : "") +
                              "; YAML would keep only one of them silently: remove the other");
    }
  }
}

YAML::Node commaList(const std::string& text) {
  YAML::Node list(YAML::NodeType::Sequence);
  for (std::size_t start = 0; start <= text.size();) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) list.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return list;
}

YAML::Node overrideValue(const ConfigOverride& o, const std::string& flag) {
  switch (o.form) {
    case OverrideForm::Text: return YAML::Node(o.value);
    case OverrideForm::CommaList: return commaList(o.value);
    case OverrideForm::Yaml: break;
  }
  YAML::Node value;
  try {
    value = YAML::Load(o.value);
  } catch (const YAML::Exception& e) {
    throw ConfigFileError(flag + ": the value is not valid YAML: " + e.msg);
  }
  refuseDuplicateKeys(value, flag, false);
  return value;
}

// `signers.list[NAME].KEY`: KEY of the entry of signers.list whose signerName is NAME, appended when
// there is none; NAME kubernetes.io/* is every kubernetes.io entry, and at least one must exist.
// Returns the paths written, as the reader names them (signers.list[2].caCertFile), so that an
// error in the value names the flag.
std::optional<std::vector<std::string>> applyListItemOverride(YAML::Node& root, const ConfigOverride& o, const std::string& flag) {
  static const std::regex item(R"(signers\.list\[([^\]]+)\]\.([A-Za-z][A-Za-z0-9]*))");
  std::smatch m;
  if (!std::regex_match(o.path, m, item)) return std::nullopt;
  const std::string name = m[1], key = m[2];
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) throw ConfigFileError(flag + ": the configuration is not a mapping");
  if (!root["signers"] || root["signers"].IsNull()) root["signers"] = YAML::Node(YAML::NodeType::Map);
  YAML::Node signersNode = root["signers"];
  if (!signersNode.IsMap()) throw ConfigFileError(flag + ": signers is not a mapping");
  if (!signersNode["list"] || signersNode["list"].IsNull()) signersNode["list"] = YAML::Node(YAML::NodeType::Sequence);
  YAML::Node list = signersNode["list"];
  if (!list.IsSequence()) throw ConfigFileError(flag + ": signers.list is not a list");
  const bool every = name == "kubernetes.io/*";
  std::vector<std::string> written;
  for (std::size_t i = 0; i < list.size(); ++i) {
    YAML::Node entry = list[i];
    if (!entry.IsMap() || !entry["signerName"] || !entry["signerName"].IsScalar()) continue;
    const std::string signer = entry["signerName"].Scalar();
    if (every ? signer.rfind("kubernetes.io/", 0) == 0 : signer == name) {
      entry[key] = YAML::Node(o.value);
      written.push_back("signers.list[" + std::to_string(i) + "]." + key);
    }
  }
  if (written.empty() && every)
    throw ConfigFileError(flag +
                          ": no kubernetes.io signer is in signers.list (nor given by a --cluster-signing-*-file flag) to apply it to; "
                          "add one or drop the flag");
  if (written.empty()) {
    YAML::Node entry(YAML::NodeType::Map);
    entry["signerName"] = name;
    entry[key] = YAML::Node(o.value);
    list.push_back(entry);
    written.push_back("signers.list[" + std::to_string(list.size() - 1) + "]." + key);
  }
  return written;
}

std::vector<std::string> applyOverride(YAML::Node& root, const ConfigOverride& o) {
  const std::string flag = originOf(o) + "=" + o.value;
  if (auto written = applyListItemOverride(root, o, flag)) return *written;
  static const std::regex keyPath("[A-Za-z][A-Za-z0-9]*(\\.[A-Za-z][A-Za-z0-9]*)*");
  if (!std::regex_match(o.path, keyPath))
    throw ConfigFileError(flag + ": the path must be keys joined by dots, e.g. approver.kubeletServing.maxDNSNames");
  const YAML::Node value = overrideValue(o, flag);
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  // yaml-cpp nodes are handles and `=` assigns through them, so the walk rebinds `at` with reset().
  YAML::Node at;
  at.reset(root);
  std::string walked;
  for (std::size_t start = 0;;) {
    const auto dot = o.path.find('.', start);
    const std::string key = o.path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!at.IsMap())
      throw ConfigFileError(flag + ": " + (walked.empty() ? "the configuration" : walked) + " is not a mapping, so it has no key '" + key +
                            "'");
    walked += (walked.empty() ? "" : ".") + key;
    if (dot == std::string::npos) {
      at[key] = value;
      return {o.path};
    }
    if (!at[key] || at[key].IsNull()) at[key] = YAML::Node(YAML::NodeType::Map);
    YAML::Node child = at[key];
    at.reset(child);
    start = dot + 1;
  }
}

}  // namespace

std::optional<bool> parseBoolean(const std::string& text) {
  if (text == "1") return true;
  if (text == "0") return false;
  bool value = false;
  if (YAML::convert<bool>::decode(YAML::Node(text), value)) return value;
  return std::nullopt;
}

Config parseConfigText(const std::string& yamlText, const std::string& sourceName, const std::vector<ConfigOverride>& overrides) {
  YAML::Node root;
  try {
    root = YAML::Load(yamlText);
  } catch (const YAML::Exception& e) {
    throw ConfigFileError(sourceName + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
  }
  refuseDuplicateKeys(root, sourceName, true);
  ConfigSource source{sourceName, {}};
  for (const auto& o : overrides) {
    for (const auto& path : applyOverride(root, o)) source.overridden.push_back({path, originOf(o)});
  }
  Config config;
  Section s(root, "", source);
  s.readEnum("logLevel", config.logLevel,
             {{"trace", std::string("trace")},
              {"debug", std::string("debug")},
              {"info", std::string("info")},
              {"warn", std::string("warn")},
              {"error", std::string("error")}});
  s.read("workers", config.workers);
  requireRange(s, "workers", config.workers, 1, 64);
  Section client = s.sub("client");
  client.read("qps", config.qps);
  client.read("burst", config.burst);
  client.readEnum("httpClient", config.httpClient, {{"beast", k8s::HttpClient::Beast}, {"cpprest", k8s::HttpClient::Cpprest}});
  requireRange(client, "qps", config.qps, 0, 100000);
  requireRange(client, "burst", config.burst, 1, 100000);
  client.readDuration("watchSilenceTimeout", config.watchSilenceTimeout);
  // Below 5 s a busy API server's pauses would look like dead streams; past the watch's own
  // timeout the bound would never fire.
  requireDuration(client, "watchSilenceTimeout", config.watchSilenceTimeout, std::chrono::seconds(5), k8s::kWatchTimeout, "5s",
                  std::to_string(k8s::kWatchTimeout.count()) + "s (the watch timeout)");
  client.finish();
  Section http = s.sub("http");
  http.read("bindAddress", config.bindAddress);
  if (const auto bind = parseBindAddress(config.bindAddress); !bind)
    http.failKey("bindAddress", "is '" + config.bindAddress + "', which " + bind.error());
  http.finish();
  Section le = s.sub("leaderElection");
  le.read("enabled", config.leaderElection.enabled);
  le.read("leaseName", config.leaderElection.leaseName);
  le.read("namespace", config.leaderElection.namespace_);
  le.read("identity", config.leaderElection.identity);
  le.readDuration("leaseDuration", config.leaderElection.leaseDuration);
  le.readDuration("renewDeadline", config.leaderElection.renewDeadline);
  le.readDuration("retryPeriod", config.leaderElection.retryPeriod);
  le.finish();
  parseApprover(s.sub("approver"), config.approver);
  parseSigners(s.sub("signers"), config);
  parsePodCertificates(s.sub("podCertificates"), config);
  parseTrustBundles(s.sub("trustBundles"), config.trustBundles);
  Section gc = s.sub("gc");
  gc.read("enabled", config.gc.enabled);
  gc.readDuration("interval", config.gc.interval);
  gc.readDuration("approvedExpiration", config.gc.approvedExpiration);
  gc.readDuration("deniedExpiration", config.gc.deniedExpiration);
  gc.readDuration("pendingExpiration", config.gc.pendingExpiration);
  gc.readDuration("approvedUnissuedExpiration", config.gc.approvedUnissuedExpiration);
  gc.finish();
  s.finish();
  // The kubelet-serving signer profile refuses Service names under this cluster's domain too.
  for (auto& signer : config.signers) signer.clusterDomain = config.approver.kubeletServing.clusterDomain;
  // A token key gets one session per worker unless configured, so signing is not serialised on it.
  for (auto& signer : config.signers)
    if (signer.pkcs11Sessions == 0) signer.pkcs11Sessions = config.workers;
  for (auto& signer : config.podCertificates.signers)
    if (signer.pkcs11Sessions == 0) signer.pkcs11Sessions = config.workers;
  validateConfig(config, sourceName);
  return config;
}

namespace {

// DER of the first certificate in a PEM file; empty when the file cannot be read or parsed (the
// signer's own start reports that), so then only the paths are compared.
std::string firstCertificateDer(const std::string& path) {
  auto pem = signers::readSmallFile(path);
  if (!pem) return {};
  signers::BioPtr bio(BIO_new_mem_buf(pem.value().data(), static_cast<int>(pem.value().size())));
  if (!bio) return {};
  signers::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return {};
  unsigned char* der = nullptr;
  const int length = i2d_X509(cert.get(), &der);
  const signers::OpenSslBytesPtr owned(der);
  if (length <= 0) return {};
  return std::string(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
}

}  // namespace

std::vector<std::string> caSharingWarnings(const Config& config) {
  std::vector<std::string> warnings;
  for (const auto& custom : config.signers) {
    if (signers::isKubernetesSignerName(custom.signerName)) continue;
    const std::string customDer = firstCertificateDer(custom.caCertFile);
    for (const auto& builtIn : config.signers) {
      if (!signers::isKubernetesSignerName(builtIn.signerName)) continue;
      const bool samePath = custom.caCertFile == builtIn.caCertFile;
      if (!samePath && (customDer.empty() || customDer != firstCertificateDer(builtIn.caCertFile))) continue;
      warnings.push_back("custom signer " + custom.signerName + " signs with the same CA as " + builtIn.signerName + " (" +
                         (samePath ? "the same caCertFile " + custom.caCertFile : "the same certificate") +
                         "): whoever trusts that CA for " + builtIn.signerName +
                         " also accepts the custom signer's certificates; give the custom signer its own CA");
    }
  }
  return warnings;
}

void validateConfig(const Config& config, const std::string& sourceName) {
  const auto& le = config.leaderElection;
  auto fail = [&](const std::string& what) { throw ConfigFileError(sourceName + ": " + what); };
  // The same ordering client-go's leaderelection enforces (leaderelection.go NewLeaderElector).
  if (le.enabled) {
    if (le.leaseDuration <= le.renewDeadline) fail("leaderElection.leaseDuration must be greater than renewDeadline");
    if (le.renewDeadline.count() <= 1.2 * le.retryPeriod.count())
      fail("leaderElection.renewDeadline must be greater than 1.2 x retryPeriod");
    if (le.retryPeriod.count() < 100) fail("leaderElection.retryPeriod must be at least 100ms");
  }
  if (config.gc.enabled && config.gc.interval < std::chrono::seconds(10)) fail("gc.interval must be at least 10s");
  if (!config.approver.enabled && config.signers.empty() && config.podCertificates.signers.empty())
    fail("neither the approver nor any signer is enabled; enable approver.enabled or list signers.list or podCertificates.signers");
  const auto& ks = config.approver.kubeletServing;
  const bool servingApprover = config.approver.enabled && ks.enabled;
  if (servingApprover && ks.renewalContinuity &&
      std::none_of(config.signers.begin(), config.signers.end(),
                   [](const signers::SignerConfig& s) { return s.signerName == signers::kKubeletServingSigner; }))
    fail(
        "approver.kubeletServing.renewalContinuity needs this instance to sign kubernetes.io/kubelet-serving (the served "
        "certificate is verified against that signer's CA); add it to signers.list or turn renewalContinuity off");
  for (const auto& pod : config.podCertificates.signers)
    if (const auto problem = signers::validatePodCertificatePolicy(podCertificatePolicy(pod)))
      fail("podCertificates signer " + pod.signerName + ": " + *problem);
  for (const auto& warning : caSharingWarnings(config)) spdlog::warn("{}: {}", sourceName, warning);
  for (const auto& warning : nodeIdentityWarnings(config)) spdlog::warn("{}: {}", sourceName, warning);
}

std::vector<std::string> nodeIdentityWarnings(const Config& config) {
  const auto& ks = config.approver.kubeletServing;
  if (!config.approver.enabled || !ks.enabled || !ks.allowedCIDRs.empty()) return {};
  return {
      "approver.kubeletServing.allowedCIDRs is empty: a kubelet serving certificate may name any IP address its node "
      "holds, in any network; list the node networks (e.g. allowedCIDRs: [10.0.0.0/16]) to bound them"};
}

Config loadConfigFile(const std::string& path, const std::vector<ConfigOverride>& overrides) {
  std::ifstream in(path);
  if (!in) throw ConfigFileError(path + ": cannot read the configuration file; check the path given to --config");
  std::stringstream buf;
  buf << in.rdbuf();
  return parseConfigText(buf.str(), path, overrides);
}

}  // namespace csrop
