// Reads the YAML configuration file strictly: unknown keys, wrong types and impossible values
// are errors that name the file, the line and the fix.
#pragma once

#include "controller/Config.h"

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace csrop {

class ConfigFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How the value of a ConfigOverride is written.
enum class OverrideForm {
  Yaml,       // --set: a scalar, or a flow list/mapping such as [10.0.0.0/8]
  Text,       // a named flag or environment variable: one plain string, never YAML, so that
              //   --http-bind-address [::]:8080 stays a string
  CommaList,  // a list of strings separated by commas (--provider-ip-prefixes a,b); empty items dropped
};

// One override of the file: a dotted path of mapping keys and a value. `--set path=value` (Helm
// style) is one, and so is every named flag and environment variable (CommandLine), so that all of
// them go through the same strict reading as the file: one grammar and one error message per key.
struct ConfigOverride {
  std::string path;
  std::string value;
  // Named in errors about the value: "--workers", "environment variable CSR_OPERATOR_WORKERS";
  // empty: "--set <path>".
  std::string origin{};
  OverrideForm form = OverrideForm::Yaml;
};

// The one grammar for a yes/no value wherever it is written (file, --set, flag, environment):
// YAML's booleans (true/false, yes/no, on/off) and 1/0, which the flags and the kubelet-csr-approver
// environment variables have always taken.
std::optional<bool> parseBoolean(const std::string& text);

Config loadConfigFile(const std::string& path, const std::vector<ConfigOverride>& overrides = {});
Config parseConfigText(const std::string& yamlText, const std::string& sourceName, const std::vector<ConfigOverride>& overrides = {});

// Go-style durations as Kubernetes users write them: "90s", "15m", "8760h", "1h30m", "500ms".
// Longer than 100 years, or not a finite number: nullopt, never a wrapped value.
std::optional<std::chrono::milliseconds> parseDuration(const std::string& text);

// One warning per custom signer that shares its CA (the same caCertFile, or the same certificate
// in another file) with a kubernetes.io signer. validateConfig logs them; they do not stop the start.
std::vector<std::string> caSharingWarnings(const Config& config);

// Said once when the configuration is read (check-config and the start log): an empty
// approver.kubeletServing.allowedCIDRs leaves the IP SANs of serving certificates unbounded.
std::vector<std::string> nodeIdentityWarnings(const Config& config);

// Cross-field rules (lease timings, signer/approver consistency). Throws ConfigFileError.
void validateConfig(const Config& config, const std::string& sourceName);

}  // namespace csrop
