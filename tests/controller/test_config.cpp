#include "controller/ConfigLoader.h"
#include "tests/controller/ConfigErrors.h"

#include <doctest/doctest.h>

using csrop::ConfigFileError;
using csrop::parseConfigText;

namespace {

using configtest::errorOf;

}  // namespace

TEST_CASE("config: an empty file gives the documented defaults") {
  auto c = parseConfigText("", "cfg.yaml");
  CHECK(c.workers == 4);
  CHECK(c.leaderElection.enabled);
  CHECK(c.leaderElection.leaseDuration == std::chrono::seconds(15));
  CHECK(c.leaderElection.renewDeadline == std::chrono::seconds(10));
  CHECK(c.leaderElection.retryPeriod == std::chrono::seconds(2));
  CHECK(c.approver.denyMode == csrop::DenyMode::Deny);
  CHECK(c.approver.mode == csrop::ApproverMode::Enforce);
  CHECK_FALSE(c.approver.kubeletClient.enabled);  // kube-controller-manager approves these
  CHECK(c.approver.kubeletServing.checks.ipAddresses);
  CHECK(c.approver.kubeletServing.maxExpirationSeconds == 367LL * 86400);
  CHECK(c.signers.empty());
  CHECK_FALSE(c.gc.enabled);
}

TEST_CASE("config: a full file is read") {
  auto c = parseConfigText(R"(
logLevel: debug
workers: 8
client: {qps: 50, burst: 100}
leaderElection: {enabled: false, leaseName: x}
approver:
  mode: observe
  denyMode: skip
  kubeletServing:
    nonNodeRequester: ignore
    allowedCIDRs: [10.0.0.0/8, "fd00::/64"]
    dnsNamePatterns: ["{node}.nodes.example.com"]
    maxDNSNames: 3
    dnsResolution: {enabled: true, timeout: 500ms, onFailure: deny}
    checks: {dnsNames: false}
  rules:
    - signerName: example.com/app
      serviceAccounts: [apps/web]
signers:
  defaults: {caCertFile: /pki/ca.crt, caKeyFile: /pki/ca.key}
  reloadInterval: 30s
  list:
    - signerName: kubernetes.io/kubelet-serving
      maxDuration: 720h
    - signerName: example.com/app
      caCertFile: /pki/app.crt
      caKeyFile: /pki/app.key
      allowedUsages: [digital signature, server auth]
      allowDNS: true
      dnsSuffixes: [svc.cluster.local]
gc: {enabled: true, interval: 10m}
)",
                           "cfg.yaml");
  CHECK(c.logLevel == "debug");
  CHECK(c.workers == 8);
  CHECK(c.qps == 50);
  CHECK_FALSE(c.leaderElection.enabled);
  CHECK(c.approver.denyMode == csrop::DenyMode::Skip);
  CHECK(c.approver.mode == csrop::ApproverMode::Observe);
  CHECK(c.approver.kubeletServing.nonNodeRequester == csrop::NonNodeRequester::Ignore);
  CHECK(c.approver.kubeletServing.allowedCIDRs.size() == 2);
  CHECK(c.approver.kubeletServing.dnsResolution.timeout == std::chrono::milliseconds(500));
  CHECK_FALSE(c.approver.kubeletServing.checks.dnsNames);
  CHECK(c.approver.kubeletServing.checks.ipAddresses);
  REQUIRE(c.approver.rules.size() == 1);
  REQUIRE(c.signers.size() == 2);
  CHECK(c.signers[0].caCertFile == "/pki/ca.crt");
  CHECK(c.signers[0].maxDuration == std::chrono::hours(720));
  CHECK(c.signers[1].caCertFile == "/pki/app.crt");
  CHECK(c.signers[1].allowDns);
  CHECK(c.caReloadInterval == std::chrono::seconds(30));
  CHECK(c.gc.interval == std::chrono::minutes(10));
}

TEST_CASE("config: mistakes name the file, the line and the fix") {
  CHECK(errorOf("workers: 4\nbogus: 1\n") ==
        "cfg.yaml:2: <root> has unknown key 'bogus'; known keys here: "
        "approver, client, gc, http, leaderElection, logLevel, podCertificates, signers, trustBundles, workers");
  CHECK(errorOf("approver:\n  kubeletServing:\n    checks: {ipAdresses: false}\n")
            .find("cfg.yaml:3: approver.kubeletServing.checks has unknown key 'ipAdresses'") == 0);
  CHECK(errorOf("workers: many\n").find("cfg.yaml:1: workers has the wrong type") == 0);
  CHECK(errorOf("workers: 0\n").find("must be between 1 and 64") != std::string::npos);
  CHECK(errorOf("approver: {denyMode: maybe}\n").find("use one of: deny, skip") != std::string::npos);
  CHECK(errorOf("approver: {mode: dry-run}\n").find("use one of: enforce, observe") != std::string::npos);
  CHECK(errorOf("approver: {kubeletServing: {allowedCIDRs: [10.0.0.0/33]}}\n").find("not a CIDR") != std::string::npos);
  CHECK(errorOf("approver: {kubeletServing: {dnsNamePatterns: ['*.example.com']}}\n").find("without {node}") != std::string::npos);
  CHECK(errorOf("approver: {kubeletServing: {dnsNameRegexes: ['(']}}\n").find("not a valid RE2 regex") != std::string::npos);
  CHECK(errorOf("approver: {kubeletServing: {dnsNamesMustMatch: '(x'}}\n")
            .find("dnsNamesMustMatch is '(x', which is not a valid RE2 regex") != std::string::npos);
  CHECK(errorOf("leaderElection: {leaseDuration: 5s, renewDeadline: 10s}\n").find("leaseDuration must be greater than renewDeadline") !=
        std::string::npos);
  CHECK(errorOf("leaderElection: {leaseDuration: soon}\n").find("is not a duration") != std::string::npos);
  CHECK(errorOf("signers: {list: [{signerName: kubernetes.io/kubelet-serving}]}\n").find("needs caCertFile and caKeyFile") !=
        std::string::npos);
  CHECK(errorOf("approver: {rules: [{signerName: kubernetes.io/kubelet-serving, users: [a]}]}\n").find("custom signers only") !=
        std::string::npos);
  CHECK(errorOf("approver: {rules: [{signerName: example.com/x}]}\n").find("approves nobody") != std::string::npos);
  CHECK(errorOf("approver: {enabled: false}\n").find("neither the approver nor any signer") != std::string::npos);
  CHECK(errorOf("workers: [1\n").find("not valid YAML") != std::string::npos);
  CHECK(
      errorOf("signers: {list: [{signerName: a/b, caCertFile: x, caKeyFile: y, keyPolicy: {minRsaBits: 1024}}]}\n").find("at least 2048") !=
      std::string::npos);
}

TEST_CASE("config: durations") {
  using std::chrono::milliseconds;
  CHECK(csrop::parseDuration("15s") == milliseconds(15000));
  CHECK(csrop::parseDuration("1h30m") == milliseconds(5400000));
  CHECK(csrop::parseDuration("500ms") == milliseconds(500));
  CHECK(csrop::parseDuration("8760h") == milliseconds(8760LL * 3600 * 1000));
  CHECK(csrop::parseDuration("1d") == milliseconds(86400000));
  CHECK_FALSE(csrop::parseDuration("15"));
  CHECK_FALSE(csrop::parseDuration("s"));
  CHECK_FALSE(csrop::parseDuration("1y"));
  CHECK_FALSE(csrop::parseDuration("1h 30m"));
}

TEST_CASE("config: a missing file is a clear error") {
  CHECK_THROWS_WITH_AS(csrop::loadConfigFile("/nonexistent/cfg.yaml"),
                       "/nonexistent/cfg.yaml: cannot read the configuration file; check the path given to --config", ConfigFileError);
}

TEST_CASE("config: --set overrides any key of the file, through the same strict reading") {
  using csrop::ConfigOverride;
  const std::string file = "workers: 4\napprover:\n  kubeletServing:\n    maxDNSNames: 5\n";
  auto config = parseConfigText(file, "cfg.yaml",
                                {{"workers", "9"},
                                 {"approver.kubeletServing.maxDNSNames", "2"},
                                 {"approver.kubeletServing.allowedCIDRs", "[10.0.0.0/8, 'fd00::/8']"},
                                 {"approver.kubeletServing.checks.dnsNames", "false"},
                                 {"gc.enabled", "true"},
                                 {"leaderElection.renewDeadline", "20s"},
                                 {"leaderElection.leaseDuration", "30s"}});
  CHECK(config.workers == 9);
  CHECK(config.approver.kubeletServing.maxDNSNames == 2);
  REQUIRE(config.approver.kubeletServing.allowedCIDRs.size() == 2);
  CHECK_FALSE(config.approver.kubeletServing.checks.dnsNames);
  CHECK(config.approver.kubeletServing.checks.ipAddresses);
  CHECK(config.gc.enabled);
  CHECK(config.leaderElection.renewDeadline == std::chrono::seconds(20));
  // Later --set of the same key wins; an empty file takes overrides too.
  CHECK(parseConfigText("", "cfg.yaml", {{"workers", "2"}, {"workers", "3"}}).workers == 3);

  auto errorWith = [&](std::vector<ConfigOverride> o) {
    try {
      parseConfigText(file, "cfg.yaml", o);
    } catch (const ConfigFileError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(errorWith({{"workers", "many"}}) == "--set workers: workers has the wrong type: got 'many'");
  CHECK(errorWith({{"approver.kubeletServing.maxDnsNames", "3"}})
            .find("--set approver.kubeletServing.maxDnsNames: "
                  "approver.kubeletServing has unknown key 'maxDnsNames'") == 0);
  CHECK(errorWith({{"workers.count", "3"}}) == "--set workers.count=3: workers is not a mapping, so it has no key 'count'");
  CHECK(errorWith({{"approver..x", "3"}}).find("the path must be keys joined by dots") != std::string::npos);
  CHECK(errorWith({{"workers", "[1"}}).find("--set workers=[1: the value is not valid YAML") == 0);
  CHECK(errorWith({{"approver.kubeletServing.allowedCIDRs", "[10.0.0.0/33]"}}).find("--set approver.kubeletServing.allowedCIDRs") == 0);
  // A range check on a value that came from --set names the --set.
  CHECK(errorWith({{"workers", "2"}, {"client.qps", "-1"}}).find("--set client.qps") == 0);
  // A problem in the file is still reported at its line when other keys are set.
  try {
    parseConfigText("workers: 4\nbogus: 1\n", "cfg.yaml", {{"workers", "2"}});
    FAIL("an unknown key in the file must still be refused");
  } catch (const ConfigFileError& e) {
    CHECK(std::string(e.what()).find("cfg.yaml:2: <root> has unknown key 'bogus'") == 0);
  }
}

TEST_CASE("config: a list or mapping used as a key is a ConfigFileError, not a YAML exception") {
  // Found by tests/fuzz/fuzz_config_yaml and fuzz_config_set.
  CHECK(errorOf("? [workers]\n: 3\n").find("cfg.yaml:1: <root> has a key that is a list or mapping") == 0);
  CHECK(errorOf("approver:\n  {kubeletServing}: x\n").find("approver has a key that is a list or mapping") != std::string::npos);
  CHECK_THROWS_AS(parseConfigText("workers: 2\n", "cfg.yaml", {{"leaderElection", "{a: b}: c"}}), ConfigFileError);
}

TEST_CASE("config: one grammar for yes/no values, YAML's booleans and 1/0, wherever they are written") {
  CHECK(parseConfigText("gc: {enabled: 1}\n", "cfg.yaml").gc.enabled);
  CHECK_FALSE(parseConfigText("leaderElection: {enabled: 0}\n", "cfg.yaml").leaderElection.enabled);
  CHECK(parseConfigText("gc: {enabled: yes}\n", "cfg.yaml").gc.enabled);
  CHECK(errorOf("gc: {enabled: maybe}\n") == "cfg.yaml:1: gc.enabled has the wrong type: got 'maybe'; write true or false");
  CHECK(errorOf("gc: {enabled: 2}\n") == "cfg.yaml:1: gc.enabled has the wrong type: got '2'; write true or false");
  CHECK(csrop::parseBoolean("true") == true);
  CHECK(csrop::parseBoolean("False") == false);
  CHECK(csrop::parseBoolean("1") == true);
  CHECK(csrop::parseBoolean("0") == false);
  CHECK_FALSE(csrop::parseBoolean(""));
  CHECK_FALSE(csrop::parseBoolean("01"));
  CHECK_FALSE(csrop::parseBoolean("truthy"));
}

TEST_CASE("config: NaN is outside every range") {
  CHECK(errorOf("client: {qps: .nan}\n") == "cfg.yaml:1: client.qps is nan; it must be between 0 and 100000");
}

TEST_CASE("config: an override names its origin, and a plain-text or comma-list value is not YAML") {
  using csrop::ConfigOverride;
  using csrop::OverrideForm;
  const auto c = parseConfigText("", "cfg.yaml",
                                 {{"http.bindAddress", "[::]:8080", "--http-bind-address", OverrideForm::Text},
                                  {"approver.kubeletServing.deniedCIDRs", "10.0.0.0/8,,fd00::/8", "DENIED", OverrideForm::CommaList}});
  CHECK(c.bindAddress == "[::]:8080");
  CHECK(c.approver.kubeletServing.deniedCIDRs.size() == 2);
  try {
    parseConfigText("workers: 2\n", "cfg.yaml", {{"workers", "0", "environment variable W", OverrideForm::Text}});
    FAIL("workers 0 must be refused");
  } catch (const ConfigFileError& e) {
    CHECK(std::string(e.what()) == "environment variable W: workers is 0; it must be between 1 and 64");
  }
  CHECK_THROWS_WITH_AS(parseConfigText("client: 3\n", "cfg.yaml", {{"client.qps", "5", "--kube-api-qps", OverrideForm::Text}}),
                       "--kube-api-qps=5: client is not a mapping, so it has no key 'qps'", ConfigFileError);
}

TEST_CASE("config: client.httpClient is beast unless cpprest is asked for") {
  CHECK(parseConfigText("", "cfg.yaml").httpClient == k8s::HttpClient::Beast);
  CHECK(parseConfigText("client: {httpClient: cpprest}\n", "cfg.yaml").httpClient == k8s::HttpClient::Cpprest);
  CHECK(parseConfigText("client: {httpClient: beast}\n", "cfg.yaml").httpClient == k8s::HttpClient::Beast);
  const std::string error = configtest::errorOf("client: {httpClient: curl}\n");
  CHECK(error.find("client.httpClient") != std::string::npos);
  CHECK(error.find("cpprest") != std::string::npos);
}

TEST_CASE("config: client.watchSilenceTimeout defaults to 90s and is bounded by 5s and the watch timeout") {
  CHECK(parseConfigText("", "cfg.yaml").watchSilenceTimeout == std::chrono::seconds(90));
  CHECK(parseConfigText("client: {watchSilenceTimeout: 5s}\n", "cfg.yaml").watchSilenceTimeout == std::chrono::seconds(5));
  CHECK(parseConfigText("client: {watchSilenceTimeout: 5m}\n", "cfg.yaml").watchSilenceTimeout == std::chrono::seconds(300));
  CHECK(configtest::errorOf("client: {watchSilenceTimeout: 4s}\n").find("client.watchSilenceTimeout") != std::string::npos);
  CHECK(configtest::errorOf("client: {watchSilenceTimeout: 301s}\n").find("300s (the watch timeout)") != std::string::npos);
}
