// kubelet-csr-approver's and kube-controller-manager's flags (docs/migration.md): each maps onto its
// key, none is ignored, and a mapping that weakens a check or differs says so in a warning.
#include "controller/CommandLine.h"
#include "tests/controller/FakeEnvironment.h"

#include <doctest/doctest.h>

using configtest::FakeEnvironment;

namespace {

const FakeEnvironment kNone;

csrop::CommandLine parse(std::vector<std::string> args, const csrop::Environment& environment = kNone) {
  args.insert(args.begin(), {"run", "--config", "c.yaml"});
  return csrop::parseCommandLine(args, environment);
}

csrop::Config configOf(const csrop::CommandLine& cli, const std::string& file = "") {
  return csrop::parseConfigText(file, "c.yaml", cli.overrides);
}

std::string errorOf(const csrop::CommandLine& cli, const std::string& file = "") {
  try {
    configOf(cli, file);
  } catch (const csrop::ConfigFileError& e) {
    return e.what();
  }
  return "";
}

bool has(const std::vector<std::string>& lines, const std::string& part) {
  for (const auto& l : lines)
    if (l.find(part) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("migration: kubelet-csr-approver's flags in its one-dash spelling, each onto its key") {
  const auto cli = parse({"-provider-regex", "^[a-z0-9-]+\\.nodes\\.example\\.com$", "-provider-ip-prefixes", "10.0.0.0/8,fd00::/64",
                          "-max-expiration-sec=86400", "-allowed-dns-names", "2", "-bypass-dns-resolution", "-ignore-non-system-node",
                          "-skip-deny-step", "-metrics-bind-address", ":9090", "-leader-election=false"});
  CHECK(cli.warnings.empty());
  const auto c = configOf(cli, "approver: {kubeletServing: {dnsResolution: {enabled: true}}}\n");
  const auto& ks = c.approver.kubeletServing;
  CHECK(ks.dnsNamesMustMatch == "^[a-z0-9-]+\\.nodes\\.example\\.com$");
  CHECK(ks.allowedCIDRs.size() == 2);
  CHECK(ks.maxExpirationSeconds == 86400);
  CHECK(ks.maxDNSNames == 2);
  CHECK_FALSE(ks.dnsResolution.enabled);
  CHECK(ks.nonNodeRequester == csrop::NonNodeRequester::Ignore);
  CHECK(c.approver.denyMode == csrop::DenyMode::Skip);
  CHECK(c.bindAddress == ":9090");
  CHECK_FALSE(c.leaderElection.enabled);
  // The same with two dashes.
  const auto twoDashes = parse({"--provider-regex", "^a$", "--bypass-hostname-check=false", "--skip-deny-step"});
  CHECK(twoDashes.warnings.empty());
  CHECK(configOf(twoDashes).approver.denyMode == csrop::DenyMode::Skip);
  CHECK(configOf(twoDashes).approver.kubeletServing.dnsNamesMustMatch == "^a$");
  // Go's flag package does not take a bool's value as the next argument, nor do we.
  CHECK_THROWS_AS(parse({"-skip-deny-step", "true"}), csrop::UsageError);
  CHECK_THROWS_WITH_AS(parse({"-workers", "3"}), "unknown flag '-workers' for run", csrop::UsageError);
}

TEST_CASE("migration: kubelet-csr-approver's environment variables, none ignored") {
  const FakeEnvironment env({{"PROVIDER_REGEX", "^node-[0-9]+$"},
                             {"BYPASS_HOSTNAME_CHECK", "true"},
                             {"METRICS_BIND_ADDRESS", ":9100"},
                             {"LEADER_ELECTION", "true"},
                             {"PROVIDER_IP_PREFIXES", "192.168.0.0/16"},
                             {"MAX_EXPIRATION_SEC", "3600"},
                             {"ALLOWED_DNS_NAMES", "3"},
                             {"BYPASS_DNS_RESOLUTION", "true"},
                             {"IGNORE_NON_SYSTEM_NODE", "true"},
                             {"SKIP_DENY_STEP", "true"}});
  const auto cli = parse({}, env);
  const auto c = configOf(cli, "leaderElection: {enabled: false}\n");
  const auto& ks = c.approver.kubeletServing;
  CHECK_FALSE(ks.checks.dnsNames);
  CHECK(c.bindAddress == ":9100");
  CHECK(c.leaderElection.enabled);
  CHECK(ks.allowedCIDRs.size() == 1);
  CHECK(ks.maxExpirationSeconds == 3600);
  CHECK(ks.maxDNSNames == 3);
  CHECK(ks.nonNodeRequester == csrop::NonNodeRequester::Ignore);
  CHECK(c.approver.denyMode == csrop::DenyMode::Skip);
  CHECK(has(cli.warnings, "environment variable BYPASS_HOSTNAME_CHECK turns approver.kubeletServing.checks.dnsNames off"));
  // Our own variable wins over kubelet-csr-approver's for the same key; a flag over both.
  CHECK_FALSE(
      configOf(parse({}, FakeEnvironment({{"CSR_OPERATOR_LEADER_ELECT", "false"}, {"LEADER_ELECTION", "true"}}))).leaderElection.enabled);
  CHECK(configOf(parse({"-leader-election"}, FakeEnvironment({{"LEADER_ELECTION", "false"}}))).leaderElection.enabled);
  CHECK(ks.dnsNamesMustMatch == "^node-[0-9]+$");
  CHECK(cli.warnings.size() == 1);
  const auto invalid = errorOf(parse({}, FakeEnvironment({{"PROVIDER_REGEX", "(unclosed"}})));
  CAPTURE(invalid);
  CHECK(invalid.find("dnsNamesMustMatch is '(unclosed', which is not a valid RE2 regex") != std::string::npos);
  CHECK(invalid.find("PROVIDER_REGEX") != std::string::npos);
}

TEST_CASE("migration: weakening or different mappings say so in a warning") {
  const auto unanchored = parse({"-provider-regex", "node-.*"});
  CHECK(has(unanchored.warnings, "-provider-regex 'node-.*' is not anchored: as in kubelet-csr-approver it matches anywhere"));
  CHECK(configOf(unanchored).approver.kubeletServing.dnsNamesMustMatch == "node-.*");
  CHECK(has(parse({"-provider-regex", "^a$|b"}).warnings, "is not anchored"));
  CHECK(has(parse({"-provider-regex", "^a\\$"}).warnings, "is not anchored"));
  CHECK(parse({"-provider-regex", "^a\\\\$"}).warnings.empty());
  // kubelet-csr-approver's default restricts nothing: no warning, and the check stays off.
  const auto everything = parse({"-provider-regex", ".*"});
  CHECK(everything.warnings.empty());
  CHECK(configOf(everything).approver.kubeletServing.dnsNamesMustMatch.empty());
  CHECK(has(parse({"-bypass-hostname-check"}).warnings, "-bypass-hostname-check turns approver.kubeletServing.checks.dnsNames off"));
  CHECK(parse({"-bypass-hostname-check=false"}).warnings.empty());
  // One address serves probes and metrics: a different probe address is dropped, with a warning.
  const auto both = parse({"-metrics-bind-address", ":8080", "-health-probe-bind-address", ":8081"});
  CHECK(has(both.warnings, "-health-probe-bind-address :8081 is not used"));
  CHECK(configOf(both).bindAddress == ":8080");
  CHECK(parse({"-metrics-bind-address", ":8080", "-health-probe-bind-address", ":8080"}).warnings.empty());
  CHECK(configOf(parse({"-health-probe-bind-address", ":8081"})).bindAddress == ":8081");
  const auto viaEnv = parse({"-metrics-bind-address", ":8080"}, FakeEnvironment({{"HEALTH_PROBE_BIND_ADDRESS", ":8081"}}));
  CHECK(has(viaEnv.warnings, "environment variable HEALTH_PROBE_BIND_ADDRESS :8081 is not used"));
}

TEST_CASE("migration: kube-controller-manager's signing flags become kubernetes.io entries of signers.list") {
  const auto shared = configOf(parse(
      {"--cluster-signing-cert-file", "/pki/ca.crt", "--cluster-signing-key-file=/pki/ca.key", "--cluster-signing-duration", "8760h"}));
  REQUIRE(shared.signers.size() == 4);
  for (const auto& s : shared.signers) {
    CAPTURE(s.signerName);
    CHECK(s.signerName.rfind("kubernetes.io/", 0) == 0);
    CHECK(s.caCertFile == "/pki/ca.crt");
    CHECK(s.caKeyFile == "/pki/ca.key");
    CHECK(s.maxDuration == std::chrono::hours(8760));
  }
  // Per signer: only that signer; an entry of the file keeps its other keys and gets the files.
  const std::string file =
      "signers:\n  list:\n    - signerName: kubernetes.io/kubelet-serving\n      caCertFile: /old.crt\n      caKeyFile: /old.key\n"
      "      maxDuration: 720h\n    - signerName: example.com/custom\n      caCertFile: /c.crt\n      caKeyFile: /c.key\n"
      "      allowedUsages: [client auth]\n";
  const auto perSigner =
      configOf(parse({"--cluster-signing-kubelet-serving-cert-file", "/pki/serving.crt", "--cluster-signing-kubelet-serving-key-file",
                      "/pki/serving.key", "--cluster-signing-kubelet-client-cert-file", "/pki/client.crt",
                      "--cluster-signing-kubelet-client-key-file", "/pki/client.key", "--cluster-signing-duration", "30d"}),
               file);
  REQUIRE(perSigner.signers.size() == 3);
  CHECK(perSigner.signers[0].caCertFile == "/pki/serving.crt");
  CHECK(perSigner.signers[0].maxDuration == std::chrono::hours(720));
  CHECK(perSigner.signers[1].signerName == "example.com/custom");
  CHECK(perSigner.signers[1].maxDuration != std::chrono::hours(720));
  CHECK(perSigner.signers[2].signerName == "kubernetes.io/kube-apiserver-client-kubelet");
  CHECK(perSigner.signers[2].caKeyFile == "/pki/client.key");
  CHECK(perSigner.signers[2].maxDuration == std::chrono::hours(720));

  CHECK_THROWS_WITH_AS(parse({"--cluster-signing-cert-file", "/ca.crt"}),
                       "--cluster-signing-cert-file needs --cluster-signing-key-file too", csrop::UsageError);
  CHECK_THROWS_AS(parse({"--cluster-signing-cert-file", "/a", "--cluster-signing-key-file", "/b",
                         "--cluster-signing-legacy-unknown-cert-file", "/c", "--cluster-signing-legacy-unknown-key-file", "/d"}),
                  csrop::UsageError);
  CHECK(errorOf(parse({"--cluster-signing-duration", "1y"})).rfind("--cluster-signing-duration=1y: no kubernetes.io signer", 0) == 0);
  CHECK(errorOf(parse({"--cluster-signing-cert-file", "/a", "--cluster-signing-key-file", "/b", "--cluster-signing-duration", "1y"}))
            .rfind("--cluster-signing-duration: signers.list[0].maxDuration is not a duration: '1y'", 0) == 0);
}
