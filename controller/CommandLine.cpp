#include "controller/CommandLine.h"

#include <set>

namespace csrop {
namespace {

enum class Kind {
  Value,   // --flag VALUE or --flag=VALUE
  List,    // the same, a comma-separated list
  Switch,  // --flag alone means true; --flag=false
};

// A named flag, the environment variable that stands for it, and the configuration key both set.
struct NamedSetting {
  const char* flag;
  const char* alias;  // another name of the same flag, or nullptr
  const char* variable;
  const char* path;
  Kind kind;
  // A switch for a key that is not a boolean: the key's value when the switch is true and when it
  // is false. nullptr: the key is the boolean itself.
  const char* whenTrue = nullptr;
  const char* whenFalse = nullptr;
};

constexpr NamedSetting kNamedSettings[] = {
    {"--log-level", nullptr, "CSR_OPERATOR_LOG_LEVEL", "logLevel", Kind::Value},
    {"--workers", nullptr, "CSR_OPERATOR_WORKERS", "workers", Kind::Value},
    {"--kube-api-qps", nullptr, "CSR_OPERATOR_KUBE_API_QPS", "client.qps", Kind::Value},
    {"--kube-api-burst", nullptr, "CSR_OPERATOR_KUBE_API_BURST", "client.burst", Kind::Value},
    {"--http-bind-address", nullptr, "CSR_OPERATOR_HTTP_BIND_ADDRESS", "http.bindAddress", Kind::Value},
    {"--leader-elect", "--leader-election", "CSR_OPERATOR_LEADER_ELECT", "leaderElection.enabled", Kind::Switch},
    // kubelet-csr-approver's knobs, under the names its users know.
    {"--max-expiration-sec", nullptr, "MAX_EXPIRATION_SEC", "approver.kubeletServing.maxExpirationSeconds", Kind::Value},
    {"--allowed-dns-names", nullptr, "ALLOWED_DNS_NAMES", "approver.kubeletServing.maxDNSNames", Kind::Value},
    {"--provider-ip-prefixes", nullptr, "PROVIDER_IP_PREFIXES", "approver.kubeletServing.allowedCIDRs", Kind::List},
    {"--skip-deny-step", nullptr, "SKIP_DENY_STEP", "approver.denyMode", Kind::Switch, "skip", "deny"},
    {"--ignore-non-system-node", nullptr, "IGNORE_NON_SYSTEM_NODE", "approver.kubeletServing.nonNodeRequester", Kind::Switch, "ignore",
     "deny"},
    {"--bypass-dns-resolution", nullptr, "BYPASS_DNS_RESOLUTION", "approver.kubeletServing.dnsResolution.enabled", Kind::Switch, "false",
     "true"},
};

const NamedSetting* namedSetting(const std::string& flag) {
  for (const auto& s : kNamedSettings)
    if (flag == s.flag || (s.alias && flag == s.alias)) return &s;
  return nullptr;
}

// The override a named setting makes; origin is the flag as written or the variable, for errors.
ConfigOverride overrideFor(const NamedSetting& s, const std::string& origin, const std::string& text) {
  if (s.whenTrue) {
    // The value is read here because the key takes another value; the grammar is still the reader's.
    const auto on = parseBoolean(text);
    if (!on) throw ConfigFileError(origin + ": got '" + text + "'; write true or false");
    return {s.path, *on ? s.whenTrue : s.whenFalse, origin, OverrideForm::Text};
  }
  return {s.path, text, origin, s.kind == Kind::List ? OverrideForm::CommaList : OverrideForm::Text};
}

ConfigOverride parseSet(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UsageError("--set expects path=value, e.g. --set approver.kubeletServing.maxDNSNames=3; got '" + assignment + "'");
  return {assignment.substr(0, eq), assignment.substr(eq + 1)};
}

}  // namespace

std::string usageText() {
  return "usage: csr-operator <command> [flags]\n"
         "commands:\n"
         "  run --config FILE [--kubeconfig FILE] [--context NAME]   run the controller\n"
         "  check-config --config FILE                               validate a configuration and print it\n"
         "  pki <init|sign|renew|kubeconfig|...> ...                 offline PKI for kubeadm External CA mode\n"
         "  version                                                  print the version\n"
         "run flags (override the file, --set and the environment): --log-level L --workers N --kube-api-qps Q\n"
         "  --kube-api-burst B --http-bind-address ADDR --leader-elect=true|false\n"
         "  --set PATH=VALUE   any key of the configuration file, e.g. --set gc.enabled=true or\n"
         "                     --set approver.kubeletServing.allowedCIDRs=[10.0.0.0/8] (repeatable)\n"
         "kubelet-csr-approver compatible (flag / env): --max-expiration-sec MAX_EXPIRATION_SEC,\n"
         "  --allowed-dns-names ALLOWED_DNS_NAMES, --provider-ip-prefixes PROVIDER_IP_PREFIXES,\n"
         "  --skip-deny-step SKIP_DENY_STEP, --ignore-non-system-node IGNORE_NON_SYSTEM_NODE,\n"
         "  --bypass-dns-resolution BYPASS_DNS_RESOLUTION\n"
         "environment: KUBECONFIG, CSR_OPERATOR_CONFIG, CSR_OPERATOR_LOG_LEVEL, CSR_OPERATOR_WORKERS,\n"
         "  CSR_OPERATOR_KUBE_API_QPS, CSR_OPERATOR_KUBE_API_BURST, CSR_OPERATOR_HTTP_BIND_ADDRESS,\n"
         "  CSR_OPERATOR_LEADER_ELECT, POD_NAME, POD_NAMESPACE\n";
}

CommandLine parseCommandLine(const std::vector<std::string>& args, const Environment& environment) {
  CommandLine cli;
  if (args.empty()) throw UsageError("no command given");
  cli.command = args[0];
  if (cli.command == "-h" || cli.command == "--help") cli.command = "help";
  if (cli.command == "pki") {
    cli.rest.assign(args.begin() + 1, args.end());
    return cli;
  }
  if (cli.command != "run" && cli.command != "check-config" && cli.command != "version" && cli.command != "help")
    throw UsageError("unknown command '" + cli.command + "'");
  std::vector<ConfigOverride> sets, flags;
  std::set<const NamedSetting*> flagged;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string flag = args[i];
    std::optional<std::string> value;
    if (auto eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    }
    auto next = [&]() -> std::string {
      if (value) return *value;
      if (i + 1 >= args.size()) throw UsageError(flag + " needs a value");
      return args[++i];
    };
    if (flag == "--config")
      cli.configFile = next();
    else if (flag == "--kubeconfig")
      cli.kubeconfig = next();
    else if (flag == "--context")
      cli.context = next();
    else if (flag == "--set")
      sets.push_back(parseSet(next()));
    else if (const NamedSetting* s = namedSetting(flag)) {
      flags.push_back(overrideFor(*s, flag, s->kind == Kind::Switch ? value.value_or("true") : next()));
      flagged.insert(s);
    } else
      throw UsageError("unknown flag '" + flag + "' for " + cli.command);
  }
  if (cli.configFile.empty())
    if (auto file = environment.variable("CSR_OPERATOR_CONFIG")) cli.configFile = *file;
  cli.overrides = std::move(sets);
  for (const auto& s : kNamedSettings) {
    if (flagged.count(&s)) continue;
    if (auto text = environment.variable(s.variable))
      cli.overrides.push_back(overrideFor(s, std::string("environment variable ") + s.variable, *text));
  }
  cli.overrides.insert(cli.overrides.end(), flags.begin(), flags.end());
  if ((cli.command == "run" || cli.command == "check-config") && cli.configFile.empty())
    throw UsageError(cli.command + " needs --config FILE (or CSR_OPERATOR_CONFIG)");
  return cli;
}

}  // namespace csrop
