#include "controller/CommandLine.h"

#include "controller/BuildInfo.h"
#include "controller/DnsNameFilter.h"
#include "pki/PkiCommand.h"

#include <map>
#include <set>
#include <sstream>
#include <string_view>

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
  // kubelet-csr-approver's name of it, a Go flag taken with one dash too ("-provider-regex"), and
  // its variable when that is not `variable`; nullptr: none.
  const char* goFlag = nullptr;
  const char* goVariable = nullptr;
};

constexpr NamedSetting kNamedSettings[] = {
    {"--log-level", nullptr, "CSR_OPERATOR_LOG_LEVEL", "logLevel", Kind::Value},
    {"--workers", nullptr, "CSR_OPERATOR_WORKERS", "workers", Kind::Value},
    {"--kube-api-qps", nullptr, "CSR_OPERATOR_KUBE_API_QPS", "client.qps", Kind::Value},
    {"--kube-api-burst", nullptr, "CSR_OPERATOR_KUBE_API_BURST", "client.burst", Kind::Value},
    {"--http-bind-address", nullptr, "CSR_OPERATOR_HTTP_BIND_ADDRESS", "http.bindAddress", Kind::Value},
    {"--leader-elect", "--leader-election", "CSR_OPERATOR_LEADER_ELECT", "leaderElection.enabled", Kind::Switch, nullptr, nullptr,
     "-leader-election", "LEADER_ELECTION"},
    // kubelet-csr-approver's knobs, under the names its users know (its cmd/: Go flags, and the
    // variables ff derives from them). docs/migration.md.
    {"--provider-regex", nullptr, "PROVIDER_REGEX", "approver.kubeletServing.dnsNamesMustMatch", Kind::Value, nullptr, nullptr,
     "-provider-regex"},
    {"--max-expiration-sec", nullptr, "MAX_EXPIRATION_SEC", "approver.kubeletServing.maxExpirationSeconds", Kind::Value, nullptr, nullptr,
     "-max-expiration-sec"},
    {"--allowed-dns-names", nullptr, "ALLOWED_DNS_NAMES", "approver.kubeletServing.maxDNSNames", Kind::Value, nullptr, nullptr,
     "-allowed-dns-names"},
    {"--provider-ip-prefixes", nullptr, "PROVIDER_IP_PREFIXES", "approver.kubeletServing.allowedCIDRs", Kind::List, nullptr, nullptr,
     "-provider-ip-prefixes"},
    {"--skip-deny-step", nullptr, "SKIP_DENY_STEP", "approver.denyMode", Kind::Switch, "skip", "deny", "-skip-deny-step"},
    {"--ignore-non-system-node", nullptr, "IGNORE_NON_SYSTEM_NODE", "approver.kubeletServing.nonNodeRequester", Kind::Switch, "ignore",
     "deny", "-ignore-non-system-node"},
    {"--bypass-dns-resolution", nullptr, "BYPASS_DNS_RESOLUTION", "approver.kubeletServing.dnsResolution.enabled", Kind::Switch, "false",
     "true", "-bypass-dns-resolution"},
    {"--bypass-hostname-check", nullptr, "BYPASS_HOSTNAME_CHECK", "approver.kubeletServing.checks.dnsNames", Kind::Switch, "false", "true",
     "-bypass-hostname-check"},
    {"--metrics-bind-address", nullptr, "METRICS_BIND_ADDRESS", "http.bindAddress", Kind::Value, nullptr, nullptr, "-metrics-bind-address"},
    // One address serves the probes and the metrics here: see healthProbeAddress().
    {"--health-probe-bind-address", nullptr, "HEALTH_PROBE_BIND_ADDRESS", "http.bindAddress", Kind::Value, nullptr, nullptr,
     "-health-probe-bind-address"},
};

const NamedSetting* namedSetting(const std::string& flag) {
  for (const auto& s : kNamedSettings)
    if (flag == s.flag || (s.alias && flag == s.alias) || (s.goFlag && flag == s.goFlag)) return &s;
  return nullptr;
}

bool named(const NamedSetting* s, const char* flag) { return s && std::string_view(s->flag) == flag; }

// kube-controller-manager's signing flags (its options/csrsigningcontroller.go): a file of one
// kubernetes.io signer's CA, or of all four. They become signers.list[NAME].KEY overrides.
constexpr const char* kKubernetesSigners[] = {"kubernetes.io/kubelet-serving", "kubernetes.io/kube-apiserver-client-kubelet",
                                              "kubernetes.io/kube-apiserver-client", "kubernetes.io/legacy-unknown"};
struct SigningFlag {
  const char* flag;
  const char* pairedWith;  // the flag it needs
  const char* signer;      // nullptr: every kubernetes.io signer
  const char* key;
};
constexpr SigningFlag kSigningFlags[] = {
    {"--cluster-signing-cert-file", "--cluster-signing-key-file", nullptr, "caCertFile"},
    {"--cluster-signing-key-file", "--cluster-signing-cert-file", nullptr, "caKeyFile"},
    {"--cluster-signing-kubelet-serving-cert-file", "--cluster-signing-kubelet-serving-key-file", "kubernetes.io/kubelet-serving",
     "caCertFile"},
    {"--cluster-signing-kubelet-serving-key-file", "--cluster-signing-kubelet-serving-cert-file", "kubernetes.io/kubelet-serving",
     "caKeyFile"},
    {"--cluster-signing-kubelet-client-cert-file", "--cluster-signing-kubelet-client-key-file",
     "kubernetes.io/kube-apiserver-client-kubelet", "caCertFile"},
    {"--cluster-signing-kubelet-client-key-file", "--cluster-signing-kubelet-client-cert-file",
     "kubernetes.io/kube-apiserver-client-kubelet", "caKeyFile"},
    {"--cluster-signing-kube-apiserver-client-cert-file", "--cluster-signing-kube-apiserver-client-key-file",
     "kubernetes.io/kube-apiserver-client", "caCertFile"},
    {"--cluster-signing-kube-apiserver-client-key-file", "--cluster-signing-kube-apiserver-client-cert-file",
     "kubernetes.io/kube-apiserver-client", "caKeyFile"},
    {"--cluster-signing-legacy-unknown-cert-file", "--cluster-signing-legacy-unknown-key-file", "kubernetes.io/legacy-unknown",
     "caCertFile"},
    {"--cluster-signing-legacy-unknown-key-file", "--cluster-signing-legacy-unknown-cert-file", "kubernetes.io/legacy-unknown",
     "caKeyFile"},
};
constexpr const char* kSigningDuration = "--cluster-signing-duration";

const SigningFlag* signingFlag(const std::string& flag) {
  for (const auto& s : kSigningFlags)
    if (flag == s.flag) return &s;
  return nullptr;
}

// The overrides of the signing flags given (flag -> value), checked as kube-controller-manager checks them.
std::vector<ConfigOverride> signingOverrides(const std::map<std::string, std::string>& given, const std::string& command) {
  std::vector<ConfigOverride> out;
  bool shared = false, perSigner = false;
  for (const auto& [flag, value] : given) {
    if (flag == kSigningDuration) continue;
    const SigningFlag* s = signingFlag(flag);
    if (!given.count(s->pairedWith)) throw UsageError(flag + " needs " + s->pairedWith + " too", command);
    (s->signer ? perSigner : shared) = true;
    for (const char* signer : kKubernetesSigners)
      if (!s->signer || std::string_view(s->signer) == signer)
        out.push_back({std::string("signers.list[") + signer + "]." + s->key, value, flag, OverrideForm::Text});
  }
  if (shared && perSigner)
    throw UsageError(
        "--cluster-signing-cert-file/--cluster-signing-key-file and the per-signer --cluster-signing-*-file flags exclude each other, as in "
        "kube-controller-manager; give the shared pair or the per-signer ones",
        command);
  if (const auto d = given.find(kSigningDuration); d != given.end())
    out.push_back({"signers.list[kubernetes.io/*].maxDuration", d->second, kSigningDuration, OverrideForm::Text});
  return out;
}

using Applied = std::vector<std::pair<const NamedSetting*, ConfigOverride>>;

// What a kubelet-csr-approver flag or variable does differently here, or where it weakens a check;
// drops a probe address that the metrics address overrides (one address serves both here).
std::vector<std::string> migrationWarnings(Applied& variables, Applied& flags) {
  std::vector<std::string> warnings;
  std::optional<ConfigOverride> metrics;  // the last one, which is applied last
  for (const auto* applied : {&variables, &flags})
    for (const auto& [s, o] : *applied)
      if (named(s, "--metrics-bind-address")) metrics = o;
  for (auto* applied : {&variables, &flags})
    for (auto it = applied->begin(); it != applied->end();) {
      const auto& [s, o] = *it;
      if (named(s, "--health-probe-bind-address") && metrics) {
        if (o.value != metrics->value)
          warnings.push_back(o.origin + " " + o.value +
                             " is not used: csr-operator serves /healthz and /readyz with /metrics on one "
                             "address, http.bindAddress " +
                             metrics->value + " (from " + metrics->origin + "); point the probes there");
        it = applied->erase(it);
        continue;
      }
      // kubelet-csr-approver's default restricts nothing; taken literally it would only show up as a
      // check that passes everything.
      if (named(s, "--provider-regex") && o.value == ".*") {
        it = applied->erase(it);
        continue;
      }
      if (named(s, "--provider-regex") && DnsNameFilter::unanchored(o.value))
        warnings.push_back(o.origin + " '" + o.value +
                           "' is not anchored: as in kubelet-csr-approver it matches anywhere in a DNS name, so a longer name "
                           "that contains a match passes it (each DNS SAN must still be the node's own); write it as ^(...)$ "
                           "to restrict whole names");
      if (named(s, "--bypass-hostname-check") && o.value == "false")
        warnings.push_back(o.origin +
                           " turns approver.kubeletServing.checks.dnsNames off: a kubelet serving certificate may then "
                           "name any DNS name, not only its node's; keep the check on and list extra names in "
                           "approver.kubeletServing.dnsNamePatterns or dnsNameRegexes instead");
      ++it;
    }
  return warnings;
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

LogFormat logFormatOf(const std::string& text, const std::string& origin, const std::string& command) {
  if (const auto format = parseLogFormat(text)) return *format;
  throw UsageError(origin + " is '" + text + "'; write text or json", command);
}

// One of explain's own flags (kExplainFlags); false for any other flag.
template <class Next>
bool parseExplainFlag(const std::string& flag, Next&& next, CommandLine::Explain& explain) {
  if (flag == "--file") {
    explain.csrFile = next();
  } else if (flag == "--node") {
    explain.nodeFiles.push_back(next());
  } else if (flag == "-o" || flag == "--output") {
    const std::string format = next();
    if (format != "text" && format != "json") throw UsageError(flag + " is '" + format + "'; write text or json", "explain");
    explain.json = format == "json";
  } else if (flag == "--timeout") {
    const std::string text = next();
    const auto timeout = parseDuration(text);
    if (!timeout || timeout->count() <= 0) throw UsageError("--timeout is '" + text + "'; write a duration such as 30s or 2m", "explain");
    explain.timeout = *timeout;
  } else {
    return false;
  }
  return true;
}

void checkExplainArguments(const CommandLine::Explain& explain) {
  if (explain.csrName.empty() == explain.csrFile.empty())
    throw UsageError("explain takes a CSR: its NAME in the cluster, or --file CSR.yaml (not both)", "explain");
  if (!explain.nodeFiles.empty() && explain.csrFile.empty())
    throw UsageError("--node goes with --file; NAME reads the Nodes from the cluster", "explain");
}

ConfigOverride parseSet(const std::string& assignment, const std::string& command) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UsageError("--set expects path=value, e.g. --set approver.kubeletServing.maxDNSNames=3; got '" + assignment + "'", command);
  return {assignment.substr(0, eq), assignment.substr(eq + 1)};
}

// The commands, in the order the overview lists them. `takesConfig`: the configuration flags
// (--config, --set, the named flags) apply.
struct CommandInfo {
  const char* name;
  const char* synopsis;
  const char* summary;
  bool takesConfig;
  const char* details;  // after the synopsis and summary; may be empty
};

constexpr CommandInfo kCommands[] = {
    {"run", "run --config FILE [--kubeconfig FILE] [--context NAME] [flags]", "run the controller", true,
     "The API server is --kubeconfig's, else KUBECONFIG's, else the in-cluster service account's.\n"},
    {"check-config", "check-config --config FILE [flags]", "validate a configuration as run reads it, and print the effective one", true,
     "Takes the same flags as run, so the command line of a deployment can be checked as it is; then loads every CA\n"
     "file as run does. --config-only: the file and flags only (away from the CA mounts, e.g. a rendered chart).\n"},
    {"explain", "explain --config FILE (NAME | --file CSR.yaml [--node NODE.yaml]...) [-o text|json] [flags]",
     "print every check of one CSR and the verdict run would reach, writing nothing", true,
     "NAME: the CSR is read from the API server (as run reads it: --kubeconfig, KUBECONFIG, in-cluster), and so are\n"
     "the Nodes and the identity sources the configuration names; explain waits for their caches, evaluates once and\n"
     "exits. It writes nothing: no approval, no Event, no lease (the only POST is a SubjectAccessReview, a query).\n"
     "--file: the CSR from a file as kubectl get csr NAME -o yaml (or -o json) prints it, and the Nodes from --node\n"
     "files (a Node or a list, as kubectl get nodes -o yaml prints it): nothing else is consulted, the output says what.\n"
     "The CA files of signers.list are loaded as run loads them: their profiles decide the signerProfile check.\n"
     "  --file FILE                  the CSR (at most 4 MiB)\n"
     "  --node FILE                  Nodes for --file (each at most 64 MiB; repeatable)\n"
     "  -o, --output text|json       one line per check and the verdict (text), or one JSON object\n"
     "  --timeout DURATION           how long NAME waits for the caches to sync (default 30s)\n"
     "Exit codes: 0 the verdict is approve, 1 deny, 3 neither (retry, skip, no policy, not pending), 2 a usage\n"
     "error, 4 explain could not run (configuration, files, API server).\n"},
    {"pki", "pki <command> [flags]", "offline PKI for kubeadm External CA mode (csr-operator pki --help)", false, ""},
    {"completion", "completion bash|zsh", "print a shell completion script", false,
     "bash:  source <(csr-operator completion bash)   (or write it to /etc/bash_completion.d/csr-operator)\n"
     "zsh:   csr-operator completion zsh > \"${fpath[1]}/_csr_operator\"   (then restart the shell)\n"},
    {"version", "version", "print the version and the commit it was built from (also --version)", false, ""},
    {"help", "help [COMMAND]", "print the help of a command (also COMMAND --help)", false, ""},
};

const CommandInfo* commandInfo(const std::string& name) {
  for (const auto& c : kCommands)
    if (name == c.name) return &c;
  return nullptr;
}

// The flags a configuration-reading command takes besides the named ones.
constexpr const char* kConfigFlags[] = {"--config", "--kubeconfig", "--context", "--set", "--logging-format"};
// explain's own flags.
constexpr const char* kExplainFlags[] = {"--file", "--node", "--output", "--timeout"};

std::string padded(std::string text, std::size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text + " ";
}

std::string configFlagsHelp() {
  std::ostringstream h;
  h << "Flags (each overrides the file; later ones win: the file, --set, environment variables, named flags):\n"
    << "  " << padded("--config FILE", 34) << "the configuration file (or CSR_OPERATOR_CONFIG)\n"
    << "  " << padded("--kubeconfig FILE", 34) << "kubeconfig of the API server (or KUBECONFIG)\n"
    << "  " << padded("--context NAME", 34) << "context of the kubeconfig\n"
    << "  " << padded("--set PATH=VALUE", 34) << "any key of the file, e.g. --set gc.enabled=true or\n"
    << "  " << padded("", 34) << "--set approver.kubeletServing.allowedCIDRs=[10.0.0.0/8] (repeatable)\n"
    << "  " << padded("--logging-format text|json", 34) << "logfmt lines or JSON objects (or CSR_OPERATOR_LOGGING_FORMAT)\n"
    << "Named flags (configuration key; environment variable):\n";
  for (const auto& n : kNamedSettings) {
    std::string flag = n.flag;
    if (n.alias) flag += ", " + std::string(n.alias);
    flag += n.kind == Kind::Switch ? "[=true|false]" : n.kind == Kind::List ? " A,B,..." : " VALUE";
    h << "  " << padded(flag, 34) << n.path << "; " << n.variable << (n.goVariable ? std::string(", ") + n.goVariable : "") << "\n";
  }
  h << "kubelet-csr-approver's flags above also take its one-dash spelling (-skip-deny-step); docs/migration.md.\n"
    << "kube-controller-manager's signing flags (signers.list entries of the kubernetes.io signers):\n";
  for (const auto& s : kSigningFlags) h << "  " << s.flag << " FILE\n";
  h << "  " << padded(std::string(kSigningDuration) + " DURATION", 34) << "maxDuration of every kubernetes.io signer\n";
  h << "Other environment variables: POD_NAME, POD_NAMESPACE (the lease identity and namespace).\n"
       "Reference: docs/configuration.md.\n";
  return h.str();
}

std::vector<std::string> flagsOf(const CommandInfo& c) {
  std::vector<std::string> flags;
  if (std::string_view(c.name) == "explain") flags.assign(std::begin(kExplainFlags), std::end(kExplainFlags));
  if (c.takesConfig) {
    flags.insert(flags.end(), std::begin(kConfigFlags), std::end(kConfigFlags));
    for (const auto& n : kNamedSettings) {
      flags.push_back(n.flag);
      if (n.alias) flags.push_back(n.alias);
    }
    for (const auto& s : kSigningFlags) flags.push_back(s.flag);
    flags.push_back(kSigningDuration);
  }
  flags.push_back("--help");
  return flags;
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// What completes the words after `csr-operator <command>` (and, for pki, after `pki <subcommand>`):
// one shell `case` branch per command, written by the shell-specific line() below.
// line(command, variable, words): "words" are offered as they are, "flags" only for a word that
// starts with '-' (elsewhere the shell completes file names).
template <class Line>
std::string completionCases(Line line) {
  std::string cases;
  for (const auto& c : kCommands) {
    if (std::string(c.name) == "pki" || std::string(c.name) == "completion" || std::string(c.name) == "help") continue;
    cases += line(c.name, "flags", joined(flagsOf(c)));
  }
  std::vector<std::string> names;
  for (const auto& c : kCommands) names.push_back(c.name);
  cases += line("completion", "words", "bash zsh");
  cases += line("help", "words", joined(names));
  return cases;
}

std::string pkiCases(const std::string& indent, const std::string& open, const std::string& close) {
  std::string cases;
  for (const auto& sub : pkiSubcommands()) {
    // "kubeconfig user": the flags come after the second word.
    const auto space = sub.name.find(' ');
    cases += indent + (space == std::string::npos ? sub.name : sub.name.substr(0, space)) + open + joined(sub.flags) + close;
  }
  return cases;
}

std::string pkiNames() {
  std::vector<std::string> names;
  for (const auto& sub : pkiSubcommands()) names.push_back(sub.name.substr(0, sub.name.find(' ')));
  names.push_back("--help");
  return joined(names);
}

}  // namespace

std::optional<std::string> helpText(const std::string& command) {
  if (command.empty() || command == "csr-operator") {
    std::ostringstream h;
    h << "csr-operator approves and signs Kubernetes CertificateSigningRequests.\n\n"
      << "Usage: csr-operator <command> [flags]\n\nCommands:\n";
    for (const auto& c : kCommands) h << "  " << padded(c.name, 13) << c.summary << "\n";
    h << "\nFlags:\n  " << padded("--help, -h", 13) << "this help; csr-operator <command> --help for a command's\n"
      << "  " << padded("--version", 13) << "the version and commit\n";
    return h.str();
  }
  const CommandInfo* c = commandInfo(command);
  if (!c) return std::nullopt;
  std::string h = std::string("Usage: csr-operator ") + c->synopsis + "\n\n" + c->summary + ".\n" + c->details;
  if (c->takesConfig) h += "\n" + configFlagsHelp();
  return h;
}

std::string versionText() { return "csr-operator " + std::string(buildVersion()) + " (commit " + std::string(buildCommit()) + ")\n"; }

std::string completionScript(const std::string& shell) {
  std::vector<std::string> names;
  for (const auto& c : kCommands) names.push_back(c.name);
  names.push_back("--help");
  names.push_back("--version");
  if (shell == "bash") {
    // -o default: where no word is offered (a file after --config), bash completes file names.
    return "# bash completion for csr-operator: source <(csr-operator completion bash)\n"
           "_csr_operator() {\n"
           "  local cur=${COMP_WORDS[COMP_CWORD]} words= flags=\n"
           "  if [[ $COMP_CWORD -eq 1 ]]; then\n"
           "    words=\"" +
           joined(names) +
           "\"\n"
           "  elif [[ ${COMP_WORDS[1]} == pki && $COMP_CWORD -eq 2 ]]; then\n"
           "    words=\"" +
           pkiNames() +
           "\"\n"
           "  elif [[ ${COMP_WORDS[1]} == pki ]]; then\n"
           "    case ${COMP_WORDS[2]} in\n" +
           pkiCases("      ", ") flags=\"", "\" ;;\n") +
           "    esac\n"
           "  else\n"
           "    case ${COMP_WORDS[1]} in\n" +
           completionCases([](const std::string& name, const std::string& variable, const std::string& words) {
             return "      " + name + ") " + variable + "=\"" + words + "\" ;;\n";
           }) +
           "    esac\n"
           "  fi\n"
           "  [[ $cur == -* && -n $flags ]] && words=$flags\n"
           "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
           "}\n"
           "complete -o default -F _csr_operator csr-operator\n";
  }
  if (shell == "zsh") {
    return "#compdef csr-operator\n"
           "# zsh completion for csr-operator: csr-operator completion zsh > \"${fpath[1]}/_csr_operator\"\n"
           "_csr_operator() {\n"
           "  local -a words_ flags_\n"
           "  if (( CURRENT == 2 )); then\n"
           "    words_=(" +
           joined(names) +
           ")\n"
           "  elif [[ $words[2] == pki ]] && (( CURRENT == 3 )); then\n"
           "    words_=(" +
           pkiNames() +
           ")\n"
           "  elif [[ $words[2] == pki ]]; then\n"
           "    case $words[3] in\n" +
           pkiCases("      ", ") flags_=(", ") ;;\n") +
           "    esac\n"
           "  else\n"
           "    case $words[2] in\n" +
           completionCases([](const std::string& name, const std::string& variable, const std::string& words) {
             return "      " + name + ") " + variable + "_=(" + words + ") ;;\n";
           }) +
           "    esac\n"
           "  fi\n"
           "  if (( ${#flags_} )) && [[ $PREFIX == -* ]]; then\n"
           "    compadd -a flags_\n"
           "  elif (( ${#flags_} )); then\n"
           "    _files\n"
           "  else\n"
           "    compadd -a words_\n"
           "  fi\n"
           "}\n"
           "compdef _csr_operator csr-operator\n"
           "# Loaded from $fpath the file is the function's body: complete now.\n"
           "if [[ $funcstack[1] == _csr_operator ]]; then _csr_operator \"$@\"; fi\n";
  }
  throw UsageError("completion: unknown shell '" + shell + "'; write bash or zsh", "completion");
}

CommandLine parseCommandLine(const std::vector<std::string>& args, const Environment& environment) {
  CommandLine cli;
  if (args.empty()) throw UsageError("no command given");
  cli.command = args[0];
  if (cli.command == "-h" || cli.command == "--help") cli.command = "help";
  if (cli.command == "--version") cli.command = "version";
  if (cli.command == "help" || cli.command == "pki") {
    cli.rest.assign(args.begin() + 1, args.end());
    return cli;
  }
  const CommandInfo* info = commandInfo(cli.command);
  if (!info) throw UsageError("unknown command '" + cli.command + "'");
  const std::vector<std::string> after(args.begin() + 1, args.end());
  // `<command> --help` anywhere on the line is the command's help, however the rest is written.
  for (const auto& a : after)
    if (a == "--help" || a == "-h") {
      cli.rest = {cli.command};
      cli.command = "help";
      return cli;
    }
  if (cli.command == "completion") {
    if (after.size() != 1) throw UsageError("completion takes one shell: bash or zsh", "completion");
    cli.rest = after;
    return cli;
  }
  if (!info->takesConfig) {
    if (!after.empty()) throw UsageError(cli.command + " takes no arguments; got '" + after[0] + "'", cli.command);
    return cli;
  }
  std::vector<ConfigOverride> sets;
  // The named flags and variables with the setting each stands for, in the order applied.
  std::vector<std::pair<const NamedSetting*, ConfigOverride>> flags, variables;
  std::set<const NamedSetting*> flagged;
  std::map<std::string, std::string> signing;
  bool loggingFormatGiven = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string flag = args[i];
    std::optional<std::string> value;
    if (auto eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    }
    auto next = [&]() -> std::string {
      if (value) return *value;
      if (i + 1 >= args.size()) throw UsageError(flag + " needs a value", cli.command);
      return args[++i];
    };
    if (flag == "--config")
      cli.configFile = next();
    else if (flag == "--kubeconfig")
      cli.kubeconfig = next();
    else if (flag == "--context")
      cli.context = next();
    else if (flag == "--set")
      sets.push_back(parseSet(next(), cli.command));
    else if (flag == "--config-only" && cli.command == "check-config" && !value)
      cli.configOnly = true;
    else if (cli.command == "explain" && parseExplainFlag(flag, next, cli.explain))
      ;
    else if (cli.command == "explain" && !flag.starts_with("-") && cli.explain.csrName.empty())
      cli.explain.csrName = args[i];
    else if (flag == "--logging-format") {
      cli.logFormat = logFormatOf(next(), flag, cli.command);
      loggingFormatGiven = true;
    } else if (const NamedSetting* s = namedSetting(flag)) {
      flags.emplace_back(s, overrideFor(*s, flag, s->kind == Kind::Switch ? value.value_or("true") : next()));
      flagged.insert(s);
    } else if (signingFlag(flag) || flag == kSigningDuration)
      signing[flag] = next();
    else if (!flag.starts_with("-"))
      throw UsageError("unexpected argument '" + args[i] + "' for " + cli.command, cli.command);
    else
      throw UsageError("unknown flag '" + flag + "' for " + cli.command, cli.command);
  }
  if (cli.configFile.empty())
    if (auto file = environment.variable("CSR_OPERATOR_CONFIG")) cli.configFile = *file;
  if (!loggingFormatGiven)
    if (auto format = environment.variable("CSR_OPERATOR_LOGGING_FORMAT"))
      cli.logFormat = logFormatOf(*format, "environment variable CSR_OPERATOR_LOGGING_FORMAT", cli.command);
  for (const auto& s : kNamedSettings) {
    if (flagged.count(&s)) continue;
    for (const char* name : {s.variable, s.goVariable})
      if (name)
        if (auto text = environment.variable(name)) {
          variables.emplace_back(&s, overrideFor(s, std::string("environment variable ") + name, *text));
          break;
        }
  }
  cli.warnings = migrationWarnings(variables, flags);
  cli.overrides = std::move(sets);
  for (const auto* applied : {&variables, &flags})
    for (const auto& [setting, o] : *applied) cli.overrides.push_back(o);
  const auto signingSet = signingOverrides(signing, cli.command);
  cli.overrides.insert(cli.overrides.end(), signingSet.begin(), signingSet.end());
  if (cli.configFile.empty()) throw UsageError(cli.command + " needs --config FILE (or CSR_OPERATOR_CONFIG)", cli.command);
  if (cli.command == "explain") checkExplainArguments(cli.explain);
  return cli;
}

}  // namespace csrop
