#include "pki/PkiCommand.h"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <set>

#include "pki/PkiArgs.h"
#include "signers/Pkcs11Uri.h"
#include "pki/PkiCheckExpiration.h"
#include "pki/PkiInit.h"
#include "pki/PkiKubeconfigUser.h"
#include "pki/PkiRenew.h"
#include "pki/PkiSign.h"
#include "pki/PkiVerify.h"

namespace csrop {

namespace {

// Each subcommand: its name, flags (value flags, then switches) and help. The help of `pki X --help`
// is its entry; `pki --help` lists them all.
struct Spec {
  const char* name;
  std::set<std::string> valueFlags;
  std::set<std::string> switches;
  const char* help;  // synopsis line(s), then the description, each line indented by 2
};

const std::vector<Spec>& specs() {
  static const std::vector<Spec> all = {
      {"init",
       {"dir", "root-ca", "root-key", "days", "key-uri", "key-type", "ca-key-pin-file", "pkcs11-module"},
       {},
       R"(init --dir DIR [--root-ca CERT --root-key KEY] [--days N]
        [--key-uri pkcs11:token=T;object=O --ca-key-pin-file F [--key-type rsa|ecdsa] [--pkcs11-module PATH]]
      Create kubernetes-ca, etcd-ca and kubernetes-front-proxy-ca (self-signed, or intermediates of the
      given root) and the service-account key pair sa.key/sa.pub under DIR/pki. Existing pairs are kept.
      With --key-uri the kubernetes CA's key pair is generated on the PKCS#11 token (never extractable;
      RSA 2048 by default, or ECDSA P-256) and only ca.crt is written, no ca.key; an object already
      labelled O on the token is never replaced. etcd-ca, front-proxy-ca and sa.key stay files.
)"},
      {"sign",
       {"dir", "ca-dir", "days", "ca-key", "ca-key-pin-file", "pkcs11-module"},
       {"force", "dry-run"},
       R"(sign --dir DIR [--ca-dir DIR] [--ca-key KEY] [--days N] [--force] [--dry-run]
      Sign every *.csr written by `kubeadm certs generate-csr` with its CA and kubeadm profile, write
      the .crt files and embed client certificates into the .conf kubeconfigs. Nothing is written when
      any request is refused. Existing certificates are only replaced with --force.
)"},
      {"check-expiration",
       {"dir", "kubeconfig-dir", "cert-dir", "output", "o", "warn-within"},
       {},
       R"(check-expiration [--dir DIR | --cert-dir DIR --kubeconfig-dir DIR] [-o text|json|yaml] [--warn-within DURATION]
      kubeadm's expiration table (or its CertificateExpirationInfo as JSON/YAML); exits 1 when something
      is missing, unreadable or expires within DURATION (default 30d).
)"},
      {"renew",
       {"dir", "kubeconfig-dir", "cert-dir", "ca-dir", "validity-period", "ca-key", "ca-key-pin-file", "pkcs11-module"},
       {"new-key", "dry-run"},
       R"(renew <name|all> [--dir DIR | --cert-dir DIR --kubeconfig-dir DIR] [--ca-dir DIR] [--ca-key KEY] [--validity-period D]
        [--new-key] [--dry-run]
      kubeadm's `certs renew`: re-issue certificates from their own subject, SANs and usages with a new
      validity (default 365d) by their CA, for the same key unless --new-key. A certificate that breaks its
      profile is refused; nothing is written when any is. Names: <renew-names>.
)"},
      {"kubeconfig user",
       {"client-name", "org", "validity-period", "config", "server", "cluster-name", "ca-cert", "ca-key", "ca-key-pin-file",
        "pkcs11-module", "out"},
       {"allow-system-masters"},
       R"(kubeconfig user --client-name NAME [--org O ...] [--validity-period D]
        (--config kubeadm.yaml | --server https://HOST:PORT [--cluster-name NAME]) [--ca-cert F --ca-key F]
        [--out FILE] [--allow-system-masters]
      kubeadm's `kubeconfig user` with the CA offline: a new key and a client certificate (default 365d)
      in a kubeconfig on stdout or in FILE (0600). O=system:masters is refused without --allow-system-masters.
)"},
      {"verify", {"dir"}, {"allow-missing"}, R"(verify --dir DIR [--allow-missing]
      Check issuer, chain, CN, O, SANs, key usages and keys against kubeadm's tables; exits 1 on any deviation.
)"},
  };
  return all;
}

const Spec* findSpec(const std::string& name) {
  for (const auto& s : specs())
    if (name == s.name) return &s;
  return nullptr;
}

constexpr const char* kIntro = R"(Usage: csr-operator pki <command> [flags]

Offline PKI for a kubeadm tree (/etc/kubernetes with pki/ and pki/etcd/), e.g. kubeadm's External CA mode.
)";
constexpr const char* kFooter = R"(
Directories default to kubeadm's: /etc/kubernetes and /etc/kubernetes/pki; --dir DIR means DIR and DIR/pki.
--ca-key KEY: the kubernetes CA's key instead of <ca-dir>/ca.key, a file or a PKCS#11 URI
(pkcs11:token=...;object=...) with --ca-key-pin-file F (the user PIN) and --pkcs11-module PATH
(default: p11-kit's proxy).
Exit codes: 0 success, 1 refused / deviation / missing / expiring, 2 usage error or unusable directory.
)";

std::string helpOf(const Spec& s) {
  std::string h = s.help;
  const std::string marker = "<renew-names>";
  if (auto at = h.find(marker); at != std::string::npos) h.replace(at, marker.size(), pki::renewNamesText());
  return "  " + h;
}

std::string usage() {
  std::string u = std::string(kIntro) + "\nCommands:\n";
  for (const auto& s : specs()) u += helpOf(s);
  return u + kFooter;
}

// kubeadm's --kubeconfig-dir and --cert-dir, or --dir for both (DIR and DIR/pki).
void treeDirs(const pki::PkiArgs& a, std::filesystem::path& kubeconfigDir, std::filesystem::path& certDir) {
  if (auto d = a.value("dir")) {
    if (a.value("kubeconfig-dir") || a.value("cert-dir")) {
      throw pki::PkiUsageError("--dir DIR means --kubeconfig-dir DIR --cert-dir DIR/pki; give either --dir or those two");
    }
    kubeconfigDir = *d;
    certDir = std::filesystem::path(*d) / "pki";
  }
  if (auto k = a.value("kubeconfig-dir")) kubeconfigDir = *k;
  if (auto c = a.value("cert-dir")) certDir = *c;
}

// --validity-period: at least the signer's minimum (10m), at most 10 years, as `pki sign --days`.
std::chrono::seconds validityPeriod(const pki::PkiArgs& a, std::chrono::seconds fallback) {
  auto v = a.value("validity-period");
  if (!v) return fallback;
  auto d = pki::parseDuration(*v);
  if (d < std::chrono::minutes(10) || d > std::chrono::hours(24 * 3650)) {
    throw pki::PkiUsageError("--validity-period must be between 10m and 3650d, got \"" + *v + "\"");
  }
  return d;
}

// --ca-key (a key file or a PKCS#11 URI), with --ca-key-pin-file and --pkcs11-module for a token key.
pki::CaKeySource caKeySource(const pki::PkiArgs& a) {
  pki::CaKeySource k{a.value("ca-key").value_or(""), a.value("ca-key-pin-file").value_or(""), a.value("pkcs11-module").value_or("")};
  if ((!k.pinFile.empty() || !k.pkcs11Module.empty()) && !signers::isPkcs11Uri(k.key))
    throw pki::PkiUsageError("--ca-key-pin-file and --pkcs11-module are for a CA key on a token: give --ca-key pkcs11:...");
  return k;
}

int dispatch(const Spec& spec, const std::vector<std::string>& rest, std::ostream& out, std::ostream& err) {
  using namespace pki;
  const std::string command = spec.name;
  if (command == "init") {
    PkiArgs a(rest, spec.valueFlags, spec.switches);
    InitOptions o;
    o.dir = a.required("dir");
    o.rootCertFile = a.value("root-ca").value_or("");
    o.rootKeyFile = a.value("root-key").value_or("");
    if (o.rootCertFile.empty() != o.rootKeyFile.empty()) throw PkiUsageError("--root-ca and --root-key go together");
    if (auto d = a.value("days")) o.days = parsePositiveInt("days", *d);
    o.tokenKey = {a.value("key-uri").value_or(""), a.value("ca-key-pin-file").value_or(""), a.value("pkcs11-module").value_or("")};
    const auto keyType = a.value("key-type");
    if (o.tokenKey.key.empty() && (keyType || !o.tokenKey.pinFile.empty() || !o.tokenKey.pkcs11Module.empty()))
      throw PkiUsageError(
          "--key-type, --ca-key-pin-file and --pkcs11-module are for a CA key created on a token: give --key-uri pkcs11:...");
    if (!o.tokenKey.key.empty() && !signers::isPkcs11Uri(o.tokenKey.key))
      throw PkiUsageError("--key-uri takes a PKCS#11 URI (pkcs11:token=...;object=...); without it the CA keys are files");
    if (keyType && *keyType != "rsa" && *keyType != "ecdsa")
      throw PkiUsageError("--key-type must be rsa or ecdsa, got \"" + *keyType + "\"");
    if (keyType == "ecdsa") o.tokenKeyType = signers::TokenKeyType::EcdsaP256;
    return runPkiInit(o, out, err);
  }
  if (command == "sign") {
    PkiArgs a(rest, spec.valueFlags, spec.switches);
    SignOptions o;
    o.dir = a.required("dir");
    if (auto c = a.value("ca-dir")) o.caDir = *c;
    o.caKey = caKeySource(a);
    if (auto d = a.value("days")) o.days = parsePositiveInt("days", *d);
    if (o.days > 3650) throw PkiUsageError("--days must be at most 3650");
    o.force = a.has("force");
    o.dryRun = a.has("dry-run");
    return runPkiSign(o, out, err);
  }
  if (command == "check-expiration") {
    PkiArgs a(rest, spec.valueFlags, spec.switches);
    CheckExpirationOptions o;
    treeDirs(a, o.kubeconfigDir, o.certDir);
    if (a.value("output") && a.value("o")) throw PkiUsageError("-o and --output are the same flag; give one");
    // "table" is what earlier versions called kubeadm's "text".
    const std::string output = a.value("output").value_or(a.value("o").value_or("text"));
    if (output == "text" || output == "table")
      o.output = ExpirationOutput::Text;
    else if (output == "json")
      o.output = ExpirationOutput::Json;
    else if (output == "yaml")
      o.output = ExpirationOutput::Yaml;
    else
      throw PkiUsageError("-o/--output must be text, json or yaml, got \"" + output + "\"");
    if (auto w = a.value("warn-within")) o.warnWithin = parseDuration(*w);
    return runPkiCheckExpiration(o, out, err);
  }
  if (command == "renew") {
    if (rest.empty() || rest.front().starts_with("-")) throw PkiUsageError("renew needs a certificate name or all: " + renewNamesText());
    if (!isRenewName(rest.front())) {
      throw PkiUsageError("renew: \"" + rest.front() + "\" is not a certificate kubeadm renews; one of " + renewNamesText());
    }
    PkiArgs a(std::vector<std::string>(rest.begin() + 1, rest.end()), spec.valueFlags, spec.switches);
    RenewOptions o;
    o.target = rest.front();
    treeDirs(a, o.kubeconfigDir, o.certDir);
    if (auto c = a.value("ca-dir")) o.caDir = *c;
    o.caKey = caKeySource(a);
    o.validity = validityPeriod(a, o.validity);
    o.newKey = a.has("new-key");
    o.dryRun = a.has("dry-run");
    return runPkiRenew(o, out, err);
  }
  if (command == "kubeconfig user") {
    PkiArgs a(rest, spec.valueFlags, spec.switches);
    KubeconfigUserOptions o;
    o.clientName = a.required("client-name");
    o.organizations = a.list("org");
    o.validity = validityPeriod(a, o.validity);
    o.configFile = a.value("config").value_or("");
    o.server = a.value("server").value_or("");
    o.clusterName = a.value("cluster-name").value_or("");
    if (o.configFile.empty() && o.server.empty()) throw PkiUsageError("kubeconfig user needs --config or --server");
    o.caCertFile = a.value("ca-cert").value_or("");
    o.caKeyFile = a.value("ca-key").value_or("");
    o.token = caKeySource(a);
    o.outFile = a.value("out").value_or("");
    o.allowSystemMasters = a.has("allow-system-masters");
    return runPkiKubeconfigUser(o, out, err);
  }
  if (command == "verify") {
    PkiArgs a(rest, spec.valueFlags, spec.switches);
    VerifyOptions o;
    o.dir = a.required("dir");
    o.allowMissing = a.has("allow-missing");
    return runPkiVerify(o, out, err);
  }
  throw PkiUsageError("unknown pki command \"" + command + "\"");  // every entry of specs() is handled above
}

}  // namespace

std::vector<PkiSubcommand> pkiSubcommands() {
  std::vector<PkiSubcommand> out;
  for (const auto& s : specs()) {
    PkiSubcommand c{s.name, {}};
    for (const auto& f : s.valueFlags) c.flags.push_back((f.size() == 1 ? "-" : "--") + f);
    for (const auto& f : s.switches) c.flags.push_back("--" + f);
    c.flags.push_back("--help");
    out.push_back(std::move(c));
  }
  return out;
}

int runPkiCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const bool wantsHelp = std::any_of(args.begin(), args.end(), [](const std::string& a) { return a == "--help" || a == "-h"; });
  if (args.empty() || args.front() == "help" || (wantsHelp && args.front().starts_with("-"))) {
    if (args.empty()) {
      err << "csr-operator pki: no command given\nsee 'csr-operator pki --help'\n";
      return 2;
    }
    out << usage();
    return 0;
  }
  // "kubeconfig user" is one subcommand of two words.
  const bool twoWords = args.front() == "kubeconfig" && args.size() > 1 && args[1] == "user";
  const std::string name = twoWords ? "kubeconfig user" : args.front();
  const Spec* spec = findSpec(name);
  const std::string where = "csr-operator pki " + (spec ? name : std::string());
  if (!spec) {
    err << "csr-operator pki: unknown pki command \"" << args.front() << "\""
        << (args.front() == "kubeconfig" ? " (did you mean kubeconfig user?)" : "") << "\nsee 'csr-operator pki --help'\n";
    return 2;
  }
  if (wantsHelp) {
    out << "Usage: csr-operator pki " << helpOf(*spec).substr(2) << kFooter;
    return 0;
  }
  std::vector<std::string> rest(args.begin() + (twoWords ? 2 : 1), args.end());
  try {
    return dispatch(*spec, rest, out, err);
  } catch (const pki::PkiUsageError& e) {
    err << where << ": " << e.what() << "\nsee '" << where << " --help'\n";
    return 2;
  } catch (const std::exception& e) {
    // Last line of defence: a filesystem or allocation failure still ends with a message, not a crash.
    err << where << ": error: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace csrop
