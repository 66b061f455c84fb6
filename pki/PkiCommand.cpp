#include "pki/PkiCommand.h"

#include <exception>
#include <filesystem>
#include <iostream>

#include "pki/PkiArgs.h"
#include "pki/PkiCheckExpiration.h"
#include "pki/PkiInit.h"
#include "pki/PkiKubeconfigUser.h"
#include "pki/PkiRenew.h"
#include "pki/PkiSign.h"
#include "pki/PkiVerify.h"

namespace csrop {

namespace {

constexpr const char* kUsage = R"(Usage: csr-operator pki <command> [flags]

Offline PKI for a kubeadm tree (/etc/kubernetes with pki/ and pki/etcd/), e.g. kubeadm's External CA mode.

Commands:
  init --dir DIR [--root-ca CERT --root-key KEY] [--days N]
      Create kubernetes-ca, etcd-ca and kubernetes-front-proxy-ca (self-signed, or intermediates of the
      given root) and the service-account key pair sa.key/sa.pub under DIR/pki. Existing pairs are kept.
  sign --dir DIR [--ca-dir DIR] [--days N] [--force] [--dry-run]
      Sign every *.csr written by `kubeadm certs generate-csr` with its CA and kubeadm profile, write
      the .crt files and embed client certificates into the .conf kubeconfigs. Nothing is written when
      any request is refused. Existing certificates are only replaced with --force.
  check-expiration [--dir DIR | --cert-dir DIR --kubeconfig-dir DIR] [-o text|json|yaml] [--warn-within DURATION]
      kubeadm's expiration table (or its CertificateExpirationInfo as JSON/YAML); exits 1 when something
      is missing, unreadable or expires within DURATION (default 30d).
  renew <name|all> [--dir DIR | --cert-dir DIR --kubeconfig-dir DIR] [--ca-dir DIR] [--validity-period D]
        [--new-key] [--dry-run]
      kubeadm's `certs renew`: re-issue certificates from their own subject, SANs and usages with a new
      validity (default 365d) by their CA, for the same key unless --new-key. A certificate that breaks its
      profile is refused; nothing is written when any is. Names: <renew-names>.
  kubeconfig user --client-name NAME [--org O ...] [--validity-period D]
        (--config kubeadm.yaml | --server https://HOST:PORT [--cluster-name NAME]) [--ca-cert F --ca-key F]
        [--out FILE] [--allow-system-masters]
      kubeadm's `kubeconfig user` with the CA offline: a new key and a client certificate (default 365d)
      in a kubeconfig on stdout or in FILE (0600). O=system:masters is refused without --allow-system-masters.
  verify --dir DIR [--allow-missing]
      Check issuer, chain, CN, O, SANs, key usages and keys against kubeadm's tables; exits 1 on any deviation.

Directories default to kubeadm's: /etc/kubernetes and /etc/kubernetes/pki; --dir DIR means DIR and DIR/pki.
Exit codes: 0 success, 1 refused / deviation / missing / expiring, 2 usage error or unusable directory.
)";

std::string usage() {
  std::string u = kUsage;
  const std::string marker = "<renew-names>";
  u.replace(u.find(marker), marker.size(), pki::renewNamesText());
  return u;
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

int dispatch(const std::string& command, const std::vector<std::string>& rest) {
  using namespace pki;
  if (command == "init") {
    PkiArgs a(rest, {"dir", "root-ca", "root-key", "days"}, {});
    InitOptions o;
    o.dir = a.required("dir");
    o.rootCertFile = a.value("root-ca").value_or("");
    o.rootKeyFile = a.value("root-key").value_or("");
    if (o.rootCertFile.empty() != o.rootKeyFile.empty()) throw PkiUsageError("--root-ca and --root-key go together");
    if (auto d = a.value("days")) o.days = parsePositiveInt("days", *d);
    return runPkiInit(o, std::cout, std::cerr);
  }
  if (command == "sign") {
    PkiArgs a(rest, {"dir", "ca-dir", "days"}, {"force", "dry-run"});
    SignOptions o;
    o.dir = a.required("dir");
    if (auto c = a.value("ca-dir")) o.caDir = *c;
    if (auto d = a.value("days")) o.days = parsePositiveInt("days", *d);
    if (o.days > 3650) throw PkiUsageError("--days must be at most 3650");
    o.force = a.has("force");
    o.dryRun = a.has("dry-run");
    return runPkiSign(o, std::cout, std::cerr);
  }
  if (command == "check-expiration") {
    PkiArgs a(rest, {"dir", "kubeconfig-dir", "cert-dir", "output", "o", "warn-within"}, {});
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
    return runPkiCheckExpiration(o, std::cout, std::cerr);
  }
  if (command == "renew") {
    if (rest.empty() || rest.front().starts_with("-")) throw PkiUsageError("renew needs a certificate name or all: " + renewNamesText());
    if (!isRenewName(rest.front())) {
      throw PkiUsageError("renew: \"" + rest.front() + "\" is not a certificate kubeadm renews; one of " + renewNamesText());
    }
    PkiArgs a(std::vector<std::string>(rest.begin() + 1, rest.end()), {"dir", "kubeconfig-dir", "cert-dir", "ca-dir", "validity-period"},
              {"new-key", "dry-run"});
    RenewOptions o;
    o.target = rest.front();
    treeDirs(a, o.kubeconfigDir, o.certDir);
    if (auto c = a.value("ca-dir")) o.caDir = *c;
    o.validity = validityPeriod(a, o.validity);
    o.newKey = a.has("new-key");
    o.dryRun = a.has("dry-run");
    return runPkiRenew(o, std::cout, std::cerr);
  }
  if (command == "kubeconfig") {
    if (rest.empty() || rest.front() != "user") throw PkiUsageError("kubeconfig has one subcommand: kubeconfig user");
    PkiArgs a(std::vector<std::string>(rest.begin() + 1, rest.end()),
              {"client-name", "org", "validity-period", "config", "server", "cluster-name", "ca-cert", "ca-key", "out"},
              {"allow-system-masters"});
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
    o.outFile = a.value("out").value_or("");
    o.allowSystemMasters = a.has("allow-system-masters");
    return runPkiKubeconfigUser(o, std::cout, std::cerr);
  }
  if (command == "verify") {
    PkiArgs a(rest, {"dir"}, {"allow-missing"});
    VerifyOptions o;
    o.dir = a.required("dir");
    o.allowMissing = a.has("allow-missing");
    return runPkiVerify(o, std::cout, std::cerr);
  }
  throw PkiUsageError("unknown pki command \"" + command + "\"");
}

}  // namespace

int runPkiCommand(const std::vector<std::string>& args) {
  if (args.empty() || args.front() == "help" || args.front() == "--help" || args.front() == "-h") {
    (args.empty() ? std::cerr : std::cout) << usage();
    return args.empty() ? 2 : 0;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  for (const auto& a : rest) {
    if (a == "--help" || a == "-h") {
      std::cout << usage();
      return 0;
    }
  }
  try {
    return dispatch(args.front(), rest);
  } catch (const pki::PkiUsageError& e) {
    std::cerr << "csr-operator pki: " << e.what() << "\n\n" << usage();
    return 2;
  } catch (const std::exception& e) {
    // Last line of defence: a filesystem or allocation failure still ends with a message, not a crash.
    std::cerr << "csr-operator pki " << args.front() << ": error: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace csrop
