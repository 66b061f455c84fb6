// The command line and environment variables, turned into the command to run and the overrides of
// the configuration file. Every named flag and variable (the names users of kubelet-csr-approver and
// kube-controller-manager expect, docs/configuration.md) becomes a ConfigOverride read by the same
// reader as the file and --set, so a value has one grammar and one error message wherever it is written.
// The help of every command and the shell completion scripts are made from the same tables as the
// parser, so they list exactly the flags it takes.
#pragma once

#include "controller/ConfigLoader.h"
#include "controller/Environment.h"
#include "controller/LogFormat.h"

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace csrop {

// A command line that cannot be run. Reported as one line and a pointer to the command's --help
// (exit code 2), never the whole usage.
class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& what, std::string command = "") : std::runtime_error(what), command_(std::move(command)) {}
  // The command whose help the message points to ("run"); empty: csr-operator's own.
  const std::string& command() const { return command_; }

 private:
  std::string command_;
};

struct CommandLine {
  std::string command;  // run | check-config | explain | version | pki | completion | help
  std::string configFile;
  std::optional<std::string> kubeconfig;
  std::string context;
  // --logging-format (component-base's flag) or CSR_OPERATOR_LOGGING_FORMAT: how the process logs,
  // from its first line on, so it is not a key of the file that is read after that line.
  LogFormat logFormat = LogFormat::Text;
  // check-config --config-only: the file and flags only, not the CA files and kubeconfigs they name
  // (a configuration checked away from its mounts, e.g. one rendered from the chart).
  bool configOnly = false;
  // Everything that overrides the file, in the order it is applied (a later one wins): the --set
  // overrides as given, then the environment variables, then the named flags as given.
  std::vector<ConfigOverride> overrides;
  // explain: the CSR by name in the cluster, or from a file with the Nodes from --node files.
  struct Explain {
    std::string csrName;
    std::string csrFile;
    std::vector<std::string> nodeFiles;
    bool json = false;                         // -o json
    std::chrono::milliseconds timeout{30000};  // for the caches to sync (cluster mode)
  } explain;
  // Arguments after the command that it handles itself: pki's, completion's shell, help's topic
  // ("run", or "pki sign" as two words).
  std::vector<std::string> rest;
  // What a migrated flag or variable does differently from the tool it comes from, or where it
  // weakens a check (docs/migration.md): logged at start, printed by check-config.
  std::vector<std::string> warnings;
};

// argv after the program name. A variable is read only when the flag it stands for is not given.
// `--help`/`-h` anywhere after a command is that command's help; `--version` is `version`.
CommandLine parseCommandLine(const std::vector<std::string>& args, const Environment& environment = processEnvironment());

// The help of a command ("" or "csr-operator": the overview). pki's own commands are pki's (PkiCommand.h).
// nullopt: no such command.
std::optional<std::string> helpText(const std::string& command);
// "csr-operator 0.1.0 (commit 0123456789ab)".
std::string versionText();
// `csr-operator completion bash|zsh`: a script to source. Throws UsageError for another shell.
std::string completionScript(const std::string& shell);

}  // namespace csrop
