#include "controller/CommandLine.h"

#include <cstdlib>

namespace csrop {
namespace {

template <class T>
T convert(const std::string& flag, const std::string& text);

template <>
std::string convert(const std::string&, const std::string& text) {
  return text;
}
template <>
int convert(const std::string& flag, const std::string& text) {
  try {
    std::size_t used = 0;
    int v = std::stoi(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  throw UsageError(flag + " expects a whole number, got '" + text + "'");
}
template <>
int64_t convert(const std::string& flag, const std::string& text) {
  try {
    std::size_t used = 0;
    long long v = std::stoll(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  throw UsageError(flag + " expects a whole number, got '" + text + "'");
}
template <>
double convert(const std::string& flag, const std::string& text) {
  try {
    std::size_t used = 0;
    double v = std::stod(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  throw UsageError(flag + " expects a number, got '" + text + "'");
}
template <>
bool convert(const std::string& flag, const std::string& text) {
  if (text == "true" || text == "1") return true;
  if (text == "false" || text == "0") return false;
  throw UsageError(flag + " expects true or false, got '" + text + "'");
}

template <class T>
void fromEnv(const char* name, std::optional<T>& out) {
  if (out) return;
  if (const char* v = std::getenv(name); v && *v) out = convert<T>(std::string("environment variable ") + name, v);
}

}  // namespace

std::string usageText() {
  return "usage: csr-operator <command> [flags]\n"
         "commands:\n"
         "  run --config FILE [--kubeconfig FILE] [--context NAME]   run the controller\n"
         "  check-config --config FILE                               validate a configuration and print it\n"
         "  pki <sign|check-expiration|verify|init> ...              offline PKI for kubeadm External CA mode\n"
         "  version                                                  print the version\n"
         "run flags (override the file): --log-level L --workers N --kube-api-qps Q --kube-api-burst B\n"
         "  --http-bind-address ADDR --leader-elect=true|false\n"
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

CommandLine parseCommandLine(const std::vector<std::string>& args) {
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
    if (flag == "--config") cli.configFile = next();
    else if (flag == "--kubeconfig") cli.kubeconfig = next();
    else if (flag == "--context") cli.context = next();
    else if (flag == "--log-level") cli.logLevel = next();
    else if (flag == "--workers") cli.workers = convert<int>(flag, next());
    else if (flag == "--kube-api-qps") cli.qps = convert<double>(flag, next());
    else if (flag == "--kube-api-burst") cli.burst = convert<int>(flag, next());
    else if (flag == "--http-bind-address") cli.bindAddress = next();
    else if (flag == "--leader-elect" || flag == "--leader-election") cli.leaderElect = value ? convert<bool>(flag, *value) : true;
    else if (flag == "--max-expiration-sec") cli.maxExpirationSec = convert<int64_t>(flag, next());
    else if (flag == "--allowed-dns-names") cli.allowedDnsNames = convert<int>(flag, next());
    else if (flag == "--provider-ip-prefixes") cli.providerIpPrefixes = next();
    else if (flag == "--skip-deny-step") cli.skipDenyStep = value ? convert<bool>(flag, *value) : true;
    else if (flag == "--ignore-non-system-node") cli.ignoreNonSystemNode = value ? convert<bool>(flag, *value) : true;
    else if (flag == "--bypass-dns-resolution") cli.bypassDnsResolution = value ? convert<bool>(flag, *value) : true;
    else if (flag == "--set") {
      const std::string assignment = next();
      const auto eq = assignment.find('=');
      if (eq == std::string::npos || eq == 0)
        throw UsageError("--set expects path=value, e.g. --set approver.kubeletServing.maxDNSNames=3; got '" + assignment + "'");
      cli.sets.push_back({assignment.substr(0, eq), assignment.substr(eq + 1)});
    }
    else throw UsageError("unknown flag '" + flag + "' for " + cli.command);
  }
  if (cli.configFile.empty())
    if (const char* v = std::getenv("CSR_OPERATOR_CONFIG"); v && *v) cli.configFile = v;
  fromEnv("CSR_OPERATOR_LOG_LEVEL", cli.logLevel);
  fromEnv("CSR_OPERATOR_WORKERS", cli.workers);
  fromEnv("CSR_OPERATOR_KUBE_API_QPS", cli.qps);
  fromEnv("CSR_OPERATOR_KUBE_API_BURST", cli.burst);
  fromEnv("CSR_OPERATOR_HTTP_BIND_ADDRESS", cli.bindAddress);
  fromEnv("CSR_OPERATOR_LEADER_ELECT", cli.leaderElect);
  fromEnv("MAX_EXPIRATION_SEC", cli.maxExpirationSec);
  fromEnv("ALLOWED_DNS_NAMES", cli.allowedDnsNames);
  fromEnv("PROVIDER_IP_PREFIXES", cli.providerIpPrefixes);
  fromEnv("SKIP_DENY_STEP", cli.skipDenyStep);
  fromEnv("IGNORE_NON_SYSTEM_NODE", cli.ignoreNonSystemNode);
  fromEnv("BYPASS_DNS_RESOLUTION", cli.bypassDnsResolution);
  if ((cli.command == "run" || cli.command == "check-config") && cli.configFile.empty())
    throw UsageError(cli.command + " needs --config FILE (or CSR_OPERATOR_CONFIG)");
  return cli;
}

void applyOverrides(const CommandLine& cli, Config& config) {
  if (cli.logLevel) {
    static const char* levels[] = {"trace", "debug", "info", "warn", "error"};
    bool known = false;
    for (auto* l : levels) known = known || *cli.logLevel == l;
    if (!known) throw UsageError("--log-level must be one of trace, debug, info, warn, error; got '" + *cli.logLevel + "'");
    config.logLevel = *cli.logLevel;
  }
  if (cli.workers) {
    if (*cli.workers < 1 || *cli.workers > 64) throw UsageError("--workers must be between 1 and 64");
    config.workers = *cli.workers;
  }
  if (cli.qps) {
    if (*cli.qps < 0) throw UsageError("--kube-api-qps must not be negative (0 lifts the limit)");
    config.qps = *cli.qps;
  }
  if (cli.burst) {
    if (*cli.burst < 1) throw UsageError("--kube-api-burst must be at least 1");
    config.burst = *cli.burst;
  }
  if (cli.bindAddress) config.bindAddress = *cli.bindAddress;
  if (cli.leaderElect) config.leaderElection.enabled = *cli.leaderElect;
  auto& serving = config.approver.kubeletServing;
  if (cli.maxExpirationSec) {
    if (*cli.maxExpirationSec < 600) throw UsageError("--max-expiration-sec must be at least 600");
    serving.maxExpirationSeconds = *cli.maxExpirationSec;
  }
  if (cli.allowedDnsNames) {
    if (*cli.allowedDnsNames < 1 || *cli.allowedDnsNames > 100) throw UsageError("--allowed-dns-names must be between 1 and 100");
    serving.maxDNSNames = *cli.allowedDnsNames;
  }
  if (cli.providerIpPrefixes) {
    serving.allowedCIDRs.clear();
    std::size_t start = 0;
    while (start <= cli.providerIpPrefixes->size()) {
      auto end = cli.providerIpPrefixes->find(',', start);
      if (end == std::string::npos) end = cli.providerIpPrefixes->size();
      const std::string text = cli.providerIpPrefixes->substr(start, end - start);
      if (!text.empty()) {
        auto cidr = signers::Cidr::parse(text);
        if (!cidr) throw UsageError("--provider-ip-prefixes has '" + text + "', which is not a CIDR (e.g. 10.0.0.0/8)");
        serving.allowedCIDRs.push_back(*cidr);
      }
      start = end + 1;
    }
  }
  if (cli.skipDenyStep) config.approver.denyMode = *cli.skipDenyStep ? DenyMode::Skip : DenyMode::Deny;
  if (cli.ignoreNonSystemNode) serving.nonNodeRequester = *cli.ignoreNonSystemNode ? NonNodeRequester::Ignore : NonNodeRequester::Deny;
  if (cli.bypassDnsResolution) serving.dnsResolution.enabled = !*cli.bypassDnsResolution;
}

}  // namespace csrop
