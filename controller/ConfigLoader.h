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

// One `--set path=value` override, Helm style: a dotted path of mapping keys and a YAML value
// (a scalar, or a flow list/mapping such as [10.0.0.0/8]). It goes through the same strict reading
// as the file, so every option of the file can be set this way.
struct ConfigOverride {
  std::string path;
  std::string value;
};

Config loadConfigFile(const std::string& path, const std::vector<ConfigOverride>& overrides = {});
Config parseConfigText(const std::string& yamlText, const std::string& sourceName,
                       const std::vector<ConfigOverride>& overrides = {});

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
