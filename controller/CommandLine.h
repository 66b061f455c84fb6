// Flags and environment variables that override the configuration file, with the names users
// of kubelet-csr-approver and kube-controller-manager expect (docs/configuration.md).
#pragma once

#include "controller/Config.h"
#include "controller/ConfigLoader.h"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace csrop {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CommandLine {
  std::string command;  // run | check-config | version | pki | help
  std::string configFile;
  std::optional<std::string> kubeconfig;
  std::string context;
  std::optional<std::string> logLevel;
  std::optional<int> workers;
  std::optional<double> qps;
  std::optional<int> burst;
  std::optional<std::string> bindAddress;
  std::optional<bool> leaderElect;
  // kubelet-csr-approver's knobs, under the names its users know.
  std::optional<int64_t> maxExpirationSec;
  std::optional<int> allowedDnsNames;
  std::optional<std::string> providerIpPrefixes;  // comma-separated CIDRs
  std::optional<bool> skipDenyStep;
  std::optional<bool> ignoreNonSystemNode;
  std::optional<bool> bypassDnsResolution;
  // --set path=value, in order; applied to the file before it is read (see ConfigOverride).
  std::vector<ConfigOverride> sets;
  std::vector<std::string> rest;  // arguments after the command that it handles itself (pki)
};

// argv after the program name. Environment variables are read through getenv.
CommandLine parseCommandLine(const std::vector<std::string>& args);
void applyOverrides(const CommandLine& cli, Config& config);
std::string usageText();

}  // namespace csrop
