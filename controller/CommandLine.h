// The command line and environment variables, turned into the command to run and the overrides of
// the configuration file. Every named flag and variable (the names users of kubelet-csr-approver and
// kube-controller-manager expect, docs/configuration.md) becomes a ConfigOverride read by the same
// reader as the file and --set, so a value has one grammar and one error message wherever it is written.
#pragma once

#include "controller/ConfigLoader.h"
#include "controller/Environment.h"

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
  // Everything that overrides the file, in the order it is applied (a later one wins): the --set
  // overrides as given, then the environment variables, then the named flags as given.
  std::vector<ConfigOverride> overrides;
  std::vector<std::string> rest;  // arguments after the command that it handles itself (pki)
};

// argv after the program name. A variable is read only when the flag it stands for is not given.
CommandLine parseCommandLine(const std::vector<std::string>& args, const Environment& environment = processEnvironment());
std::string usageText();

}  // namespace csrop
