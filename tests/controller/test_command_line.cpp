#include "controller/CommandLine.h"

#include <doctest/doctest.h>

#include <cstdlib>

TEST_CASE("command line: flags override the file") {
  auto cli = csrop::parseCommandLine({"run", "--config", "c.yaml", "--workers=7", "--kube-api-qps", "0", "--leader-elect=false",
                                      "--http-bind-address", "127.0.0.1:0"});
  csrop::Config config;
  csrop::applyOverrides(cli, config);
  CHECK(config.workers == 7);
  CHECK(config.qps == 0);
  CHECK_FALSE(config.leaderElection.enabled);
  CHECK(config.bindAddress == "127.0.0.1:0");
  CHECK(cli.configFile == "c.yaml");
}

TEST_CASE("command line: environment variables apply when no flag is given") {
  setenv("CSR_OPERATOR_WORKERS", "3", 1);
  auto cli = csrop::parseCommandLine({"run", "--config", "c.yaml"});
  CHECK(cli.workers == 3);
  auto flagged = csrop::parseCommandLine({"run", "--config", "c.yaml", "--workers", "5"});
  CHECK(flagged.workers == 5);
  setenv("CSR_OPERATOR_WORKERS", "three", 1);
  CHECK_THROWS_WITH_AS(csrop::parseCommandLine({"run", "--config", "c.yaml"}),
                       "environment variable CSR_OPERATOR_WORKERS expects a whole number, got 'three'", csrop::UsageError);
  unsetenv("CSR_OPERATOR_WORKERS");
}

TEST_CASE("command line: mistakes are usage errors") {
  CHECK_THROWS_AS(csrop::parseCommandLine({}), csrop::UsageError);
  CHECK_THROWS_WITH_AS(csrop::parseCommandLine({"serve"}), "unknown command 'serve'", csrop::UsageError);
  CHECK_THROWS_WITH_AS(csrop::parseCommandLine({"run"}), "run needs --config FILE (or CSR_OPERATOR_CONFIG)", csrop::UsageError);
  CHECK_THROWS_WITH_AS(csrop::parseCommandLine({"run", "--config"}), "--config needs a value", csrop::UsageError);
  CHECK_THROWS_WITH_AS(csrop::parseCommandLine({"run", "--config", "x", "--frobnicate"}), "unknown flag '--frobnicate' for run",
                       csrop::UsageError);
  auto cli = csrop::parseCommandLine({"run", "--config", "x", "--log-level", "loud"});
  csrop::Config config;
  CHECK_THROWS_AS(csrop::applyOverrides(cli, config), csrop::UsageError);
}

TEST_CASE("command line: pki passes its arguments through") {
  auto cli = csrop::parseCommandLine({"pki", "sign", "--dir", "/etc/kubernetes"});
  CHECK(cli.command == "pki");
  CHECK(cli.rest == std::vector<std::string>{"sign", "--dir", "/etc/kubernetes"});
}

TEST_CASE("command line: kubelet-csr-approver's flags and environment variables") {
  auto cli = csrop::parseCommandLine({"run", "--config", "c.yaml", "--max-expiration-sec", "86400", "--allowed-dns-names=3",
                                      "--provider-ip-prefixes", "10.0.0.0/8,fd00::/64", "--skip-deny-step", "--ignore-non-system-node"});
  csrop::Config config;
  csrop::applyOverrides(cli, config);
  CHECK(config.approver.kubeletServing.maxExpirationSeconds == 86400);
  CHECK(config.approver.kubeletServing.maxDNSNames == 3);
  REQUIRE(config.approver.kubeletServing.allowedCIDRs.size() == 2);
  CHECK(config.approver.kubeletServing.allowedCIDRs[1].toString() == "fd00::/64");
  CHECK(config.approver.denyMode == csrop::DenyMode::Skip);
  CHECK(config.approver.kubeletServing.nonNodeRequester == csrop::NonNodeRequester::Ignore);

  setenv("BYPASS_DNS_RESOLUTION", "false", 1);
  auto fromEnv = csrop::parseCommandLine({"run", "--config", "c.yaml"});
  csrop::Config resolving;
  csrop::applyOverrides(fromEnv, resolving);
  CHECK(resolving.approver.kubeletServing.dnsResolution.enabled);
  unsetenv("BYPASS_DNS_RESOLUTION");

  auto bad = csrop::parseCommandLine({"run", "--config", "c.yaml", "--provider-ip-prefixes", "10.0.0.0/8,banana"});
  CHECK_THROWS_WITH_AS(csrop::applyOverrides(bad, config), "--provider-ip-prefixes has 'banana', which is not a CIDR (e.g. 10.0.0.0/8)",
                       csrop::UsageError);
}

TEST_CASE("command line: --set collects path=value overrides in order") {
  auto cli = csrop::parseCommandLine({"run", "--config", "c.yaml", "--set", "gc.enabled=true", "--set=approver.kubeletServing.allowedCIDRs=[10.0.0.0/8]"});
  REQUIRE(cli.sets.size() == 2);
  CHECK(cli.sets[0].path == "gc.enabled");
  CHECK(cli.sets[0].value == "true");
  CHECK(cli.sets[1].path == "approver.kubeletServing.allowedCIDRs");
  CHECK(cli.sets[1].value == "[10.0.0.0/8]");
  CHECK_THROWS_WITH_AS(csrop::parseCommandLine({"run", "--config", "c.yaml", "--set", "gc.enabled"}),
                       "--set expects path=value, e.g. --set approver.kubeletServing.maxDNSNames=3; got 'gc.enabled'", csrop::UsageError);
  CHECK_THROWS_AS(csrop::parseCommandLine({"run", "--config", "c.yaml", "--set", "=1"}), csrop::UsageError);
}
