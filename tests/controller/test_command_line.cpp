#include "controller/CommandLine.h"
#include "controller/RuntimeDefaults.h"
#include "tests/controller/FakeEnvironment.h"

#include <doctest/doctest.h>

#include <regex>

using configtest::FakeEnvironment;
using csrop::parseCommandLine;

namespace {

const FakeEnvironment kNoVariables;

csrop::CommandLine parse(const std::vector<std::string>& args, const csrop::Environment& environment = kNoVariables) {
  return parseCommandLine(args, environment);
}

// The configuration a file gets with the overrides of a command line.
csrop::Config configOf(const csrop::CommandLine& cli, const std::string& file = "") {
  return csrop::parseConfigText(file, "c.yaml", cli.overrides);
}

// What reading the file with the command line's overrides is refused with; "" when accepted.
std::string errorOf(const std::vector<std::string>& args, const csrop::Environment& environment = kNoVariables,
                    const std::string& file = "") {
  try {
    configOf(parse(args, environment), file);
  } catch (const csrop::ConfigFileError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("command line: flags override the file") {
  auto cli = parse(
      {"run", "--config", "c.yaml", "--workers=7", "--kube-api-qps", "0", "--leader-elect=false", "--http-bind-address", "127.0.0.1:0"});
  const auto config = configOf(cli, "workers: 2\nclient: {qps: 5}\nhttp: {bindAddress: ':9090'}\n");
  CHECK(config.workers == 7);
  CHECK(config.qps == 0);
  CHECK_FALSE(config.leaderElection.enabled);
  CHECK(config.bindAddress == "127.0.0.1:0");
  CHECK(cli.configFile == "c.yaml");
}

TEST_CASE("command line: environment variables apply when no flag is given") {
  const FakeEnvironment three({{"CSR_OPERATOR_WORKERS", "3"}});
  CHECK(configOf(parse({"run", "--config", "c.yaml"}, three)).workers == 3);
  CHECK(configOf(parse({"run", "--config", "c.yaml", "--workers", "5"}, three)).workers == 5);
  const FakeEnvironment word({{"CSR_OPERATOR_WORKERS", "three"}});
  CHECK(errorOf({"run", "--config", "c.yaml"}, word) ==
        "environment variable CSR_OPERATOR_WORKERS: workers has the wrong type: got 'three'");
  // A variable whose flag is given is not read at all, as before.
  CHECK(configOf(parse({"run", "--config", "c.yaml", "--workers", "5"}, word)).workers == 5);
  const FakeEnvironment configFile({{"CSR_OPERATOR_CONFIG", "/etc/csr-operator/config.yaml"}, {"CSR_OPERATOR_LOG_LEVEL", ""}});
  const auto cli = parse({"check-config"}, configFile);
  CHECK(cli.configFile == "/etc/csr-operator/config.yaml");
  CHECK(cli.overrides.empty());  // an empty variable is not set
}

TEST_CASE("command line: mistakes are usage errors") {
  CHECK_THROWS_AS(parse({}), csrop::UsageError);
  CHECK_THROWS_WITH_AS(parse({"serve"}), "unknown command 'serve'", csrop::UsageError);
  CHECK_THROWS_WITH_AS(parse({"run"}), "run needs --config FILE (or CSR_OPERATOR_CONFIG)", csrop::UsageError);
  CHECK_THROWS_WITH_AS(parse({"run", "--config"}), "--config needs a value", csrop::UsageError);
  CHECK_THROWS_WITH_AS(parse({"run", "--config", "x", "--workers"}), "--workers needs a value", csrop::UsageError);
  CHECK_THROWS_WITH_AS(parse({"run", "--config", "x", "--frobnicate"}), "unknown flag '--frobnicate' for run", csrop::UsageError);
  CHECK(errorOf({"run", "--config", "x", "--log-level", "loud"}) ==
        "--log-level: logLevel is 'loud'; use one of: trace, debug, info, warn, error");
}

TEST_CASE("command line: pki passes its arguments through") {
  auto cli = parse({"pki", "sign", "--dir", "/etc/kubernetes"});
  CHECK(cli.command == "pki");
  CHECK(cli.rest == std::vector<std::string>{"sign", "--dir", "/etc/kubernetes"});
}

TEST_CASE("command line: kubelet-csr-approver's flags and environment variables") {
  auto cli = parse({"run", "--config", "c.yaml", "--max-expiration-sec", "86400", "--allowed-dns-names=3", "--provider-ip-prefixes",
                    "10.0.0.0/8,fd00::/64", "--skip-deny-step", "--ignore-non-system-node"});
  auto config = configOf(cli);
  CHECK(config.approver.kubeletServing.maxExpirationSeconds == 86400);
  CHECK(config.approver.kubeletServing.maxDNSNames == 3);
  REQUIRE(config.approver.kubeletServing.allowedCIDRs.size() == 2);
  CHECK(config.approver.kubeletServing.allowedCIDRs[1].toString() == "fd00::/64");
  CHECK(config.approver.denyMode == csrop::DenyMode::Skip);
  CHECK(config.approver.kubeletServing.nonNodeRequester == csrop::NonNodeRequester::Ignore);

  const auto resolving = configOf(parse({"run", "--config", "c.yaml"}, FakeEnvironment({{"BYPASS_DNS_RESOLUTION", "false"}})));
  CHECK(resolving.approver.kubeletServing.dnsResolution.enabled);
  const auto bypassing = configOf(parse({"run", "--config", "c.yaml", "--bypass-dns-resolution"}),
                                  "approver: {kubeletServing: {dnsResolution: {enabled: true}}}\n");
  CHECK_FALSE(bypassing.approver.kubeletServing.dnsResolution.enabled);
  const auto denying = configOf(parse({"run", "--config", "c.yaml", "--skip-deny-step=0", "--ignore-non-system-node=false"}),
                                "approver: {denyMode: skip, kubeletServing: {nonNodeRequester: ignore}}\n");
  CHECK(denying.approver.denyMode == csrop::DenyMode::Deny);
  CHECK(denying.approver.kubeletServing.nonNodeRequester == csrop::NonNodeRequester::Deny);

  CHECK(
      errorOf({"run", "--config", "c.yaml", "--provider-ip-prefixes", "10.0.0.0/8,banana"}) ==
      "--provider-ip-prefixes: approver.kubeletServing.allowedCIDRs has 'banana', which is not a CIDR; write e.g. 10.0.0.0/8 or fd00::/64");
  // An empty list (or only commas) clears the file's.
  const auto cleared = configOf(parse({"run", "--config", "c.yaml", "--provider-ip-prefixes", ","}),
                                "approver: {kubeletServing: {allowedCIDRs: [10.0.0.0/8]}}\n");
  CHECK(cleared.approver.kubeletServing.allowedCIDRs.empty());
}

TEST_CASE("command line: --set collects path=value overrides in order") {
  auto cli = parse({"run", "--config", "c.yaml", "--set", "gc.enabled=true", "--set=approver.kubeletServing.allowedCIDRs=[10.0.0.0/8]"});
  REQUIRE(cli.overrides.size() == 2);
  CHECK(cli.overrides[0].path == "gc.enabled");
  CHECK(cli.overrides[0].value == "true");
  CHECK(cli.overrides[1].path == "approver.kubeletServing.allowedCIDRs");
  CHECK(cli.overrides[1].value == "[10.0.0.0/8]");
  CHECK(configOf(cli).approver.kubeletServing.allowedCIDRs.size() == 1);
  CHECK_THROWS_WITH_AS(parse({"run", "--config", "c.yaml", "--set", "gc.enabled"}),
                       "--set expects path=value, e.g. --set approver.kubeletServing.maxDNSNames=3; got 'gc.enabled'", csrop::UsageError);
  CHECK_THROWS_AS(parse({"run", "--config", "c.yaml", "--set", "=1"}), csrop::UsageError);
}

TEST_CASE("command line: a flag and the same --set are refused with the same message") {
  struct Pair {
    std::vector<std::string> flag;
    std::string set;
  };
  const std::vector<Pair> pairs = {
      {{"--workers", "0"}, "workers=0"},
      {{"--workers", "three"}, "workers=three"},
      {{"--kube-api-qps", "-1"}, "client.qps=-1"},
      {{"--kube-api-qps", ".nan"}, "client.qps=.nan"},
      {{"--kube-api-burst", "0"}, "client.burst=0"},
      {{"--log-level", "loud"}, "logLevel=loud"},
      {{"--leader-elect=maybe"}, "leaderElection.enabled=maybe"},
      {{"--max-expiration-sec", "60"}, "approver.kubeletServing.maxExpirationSeconds=60"},
      {{"--allowed-dns-names", "101"}, "approver.kubeletServing.maxDNSNames=101"},
      {{"--provider-ip-prefixes", "10.0.0.0/33"}, "approver.kubeletServing.allowedCIDRs=[10.0.0.0/33]"},
  };
  for (const auto& p : pairs) {
    CAPTURE(p.set);
    std::vector<std::string> withFlag = {"run", "--config", "c.yaml"};
    withFlag.insert(withFlag.end(), p.flag.begin(), p.flag.end());
    const std::string flagName = p.flag[0].substr(0, p.flag[0].find('='));
    const std::string byFlag = errorOf(withFlag);
    const std::string bySet = errorOf({"run", "--config", "c.yaml", "--set", p.set});
    const std::string setName = "--set " + p.set.substr(0, p.set.find('='));
    REQUIRE(byFlag.rfind(flagName + ": ", 0) == 0);
    REQUIRE(bySet.rfind(setName + ": ", 0) == 0);
    CHECK(byFlag.substr(flagName.size()) == bySet.substr(setName.size()));
  }
}

TEST_CASE("command line: an environment variable's bad value names the variable") {
  auto errorWith = [](const std::string& name, const std::string& value) {
    return errorOf({"run", "--config", "c.yaml"}, FakeEnvironment({{name, value}}));
  };
  CHECK(
      errorWith("MAX_EXPIRATION_SEC", "60") ==
      "environment variable MAX_EXPIRATION_SEC: approver.kubeletServing.maxExpirationSeconds must be at least 600 (the API server's minimum)");
  CHECK(errorWith("CSR_OPERATOR_LEADER_ELECT", "maybe") ==
        "environment variable CSR_OPERATOR_LEADER_ELECT: leaderElection.enabled has the wrong type: got 'maybe'; write true or false");
  CHECK(errorWith("PROVIDER_IP_PREFIXES", "banana")
            .rfind("environment variable PROVIDER_IP_PREFIXES: approver.kubeletServing.allowedCIDRs has 'banana'", 0) == 0);
  // A switch that stands for a key of another type is read by the command line, with the same grammar.
  CHECK_THROWS_WITH_AS(parse({"run", "--config", "c.yaml"}, FakeEnvironment({{"SKIP_DENY_STEP", "maybe"}})),
                       "environment variable SKIP_DENY_STEP: got 'maybe'; write true or false", csrop::ConfigFileError);
  CHECK_THROWS_WITH_AS(parse({"run", "--config", "c.yaml", "--bypass-dns-resolution=maybe"}),
                       "--bypass-dns-resolution: got 'maybe'; write true or false", csrop::ConfigFileError);
  const auto on =
      configOf(parse({"run", "--config", "c.yaml"}, FakeEnvironment({{"SKIP_DENY_STEP", "1"}, {"CSR_OPERATOR_LEADER_ELECT", "0"}})));
  CHECK(on.approver.denyMode == csrop::DenyMode::Skip);
  CHECK_FALSE(on.leaderElection.enabled);
}

TEST_CASE("command line: precedence is file, then --set, then environment variables, then flags") {
  const std::string file = "workers: 2\n";
  const FakeEnvironment four({{"CSR_OPERATOR_WORKERS", "4"}});
  CHECK(configOf(parse({"run", "--config", "c.yaml"}), file).workers == 2);
  CHECK(configOf(parse({"run", "--config", "c.yaml", "--set", "workers=3"}), file).workers == 3);
  CHECK(configOf(parse({"run", "--config", "c.yaml", "--set", "workers=3"}, four), file).workers == 4);
  CHECK(configOf(parse({"run", "--config", "c.yaml", "--workers", "5", "--set", "workers=3"}, four), file).workers == 5);
  CHECK(configOf(parse({"run", "--config", "c.yaml", "--workers", "5", "--workers=6"}, four), file).workers == 6);
  // A --set of a mapping above the flag's key does not undo the flag.
  CHECK(configOf(parse({"run", "--config", "c.yaml", "--kube-api-qps", "7", "--set", "client={burst: 50}"}), file).qps == 7);
  // The error names the override whose value was read: the last one that wrote the key.
  CHECK(errorOf({"run", "--config", "c.yaml", "--set", "workers=3", "--workers", "0"}).rfind("--workers: workers is 0", 0) == 0);
  CHECK(errorOf({"run", "--config", "c.yaml", "--set", "workers=0"}, four) == "");
}

TEST_CASE("command line: a named flag's value is a plain string, never YAML") {
  const auto config = configOf(parse({"run", "--config", "c.yaml", "--http-bind-address", "[::]:8080"}));
  CHECK(config.bindAddress == "[::]:8080");
  CHECK(configOf(parse({"run", "--config", "c.yaml"}, FakeEnvironment({{"CSR_OPERATOR_HTTP_BIND_ADDRESS", "[::1]:9090"}}))).bindAddress ==
        "[::1]:9090");
}

TEST_CASE("runtime defaults: the lease identity is POD_NAME, else the host name and a random suffix") {
  const k8s::RestConfig rest;
  csrop::Config fromPod;
  csrop::fillRuntimeDefaults(fromPod, rest, FakeEnvironment({{"POD_NAME", "csr-operator-7d9f-x2"}}));
  CHECK(fromPod.leaderElection.identity == "csr-operator-7d9f-x2");
  csrop::Config a, b;
  csrop::fillRuntimeDefaults(a, rest, FakeEnvironment({}, "worker-3"));
  csrop::fillRuntimeDefaults(b, rest, FakeEnvironment({}, "worker-3"));
  CHECK(std::regex_match(a.leaderElection.identity, std::regex("worker-3_[0-9a-f]{8}")));
  CHECK(a.leaderElection.identity != b.leaderElection.identity);
  csrop::Config configured;
  configured.leaderElection.identity = "fixed";
  csrop::fillRuntimeDefaults(configured, rest, FakeEnvironment({{"POD_NAME", "pod"}}));
  CHECK(configured.leaderElection.identity == "fixed");
}

TEST_CASE("runtime defaults: the lease namespace is the configured one, the context's, POD_NAMESPACE, else kube-system") {
  const FakeEnvironment inPod({{"POD_NAMESPACE", "from-env"}});
  k8s::RestConfig withNamespace;
  withNamespace.namespace_ = "from-context";
  auto namespaceOf = [](const std::string& configured, const k8s::RestConfig& rest, const csrop::Environment& environment) {
    csrop::Config config;
    config.leaderElection.namespace_ = configured;
    csrop::fillRuntimeDefaults(config, rest, environment);
    return config.leaderElection.namespace_;
  };
  CHECK(namespaceOf("configured", withNamespace, inPod) == "configured");
  CHECK(namespaceOf("", withNamespace, inPod) == "from-context");
  CHECK(namespaceOf("", k8s::RestConfig{}, inPod) == "from-env");
  CHECK(namespaceOf("", k8s::RestConfig{}, kNoVariables) == "kube-system");
}
