#include "pki/PkiCommand.h"

#include <exception>
#include <iostream>

#include "pki/PkiArgs.h"
#include "pki/PkiCheckExpiration.h"
#include "pki/PkiInit.h"
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
  check-expiration --dir DIR [--output table|json] [--warn-within DURATION]
      kubeadm's expiration table; exits 1 when something expires within DURATION (default 30d).
  verify --dir DIR [--allow-missing]
      Check issuer, chain, CN, O, SANs, key usages and keys against kubeadm's tables; exits 1 on any deviation.

Exit codes: 0 success, 1 refused / deviation / expiring, 2 usage error or unusable directory.
)";

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
    PkiArgs a(rest, {"dir", "output", "o", "warn-within"}, {});
    CheckExpirationOptions o;
    o.dir = a.required("dir");
    std::string output = a.value("output").value_or(a.value("o").value_or("table"));
    if (output != "table" && output != "json") throw PkiUsageError("--output must be table or json");
    o.json = output == "json";
    if (auto w = a.value("warn-within")) o.warnWithin = parseDuration(*w);
    return runPkiCheckExpiration(o, std::cout, std::cerr);
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
    (args.empty() ? std::cerr : std::cout) << kUsage;
    return args.empty() ? 2 : 0;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  for (const auto& a : rest) {
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
  }
  try {
    return dispatch(args.front(), rest);
  } catch (const pki::PkiUsageError& e) {
    std::cerr << "csr-operator pki: " << e.what() << "\n\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    // Last line of defence: a filesystem or allocation failure still ends with a message, not a crash.
    std::cerr << "csr-operator pki " << args.front() << ": error: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace csrop
