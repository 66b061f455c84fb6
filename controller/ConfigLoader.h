// Reads the YAML configuration file strictly: unknown keys, wrong types and impossible values
// are errors that name the file, the line and the fix.
#pragma once

#include "controller/Config.h"

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace csrop {

class ConfigFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

Config loadConfigFile(const std::string& path);
Config parseConfigText(const std::string& yamlText, const std::string& sourceName);

// Go-style durations as Kubernetes users write them: "90s", "15m", "8760h", "1h30m", "500ms".
std::optional<std::chrono::milliseconds> parseDuration(const std::string& text);

// Cross-field rules (lease timings, signer/approver consistency). Throws ConfigFileError.
void validateConfig(const Config& config, const std::string& sourceName);

}  // namespace csrop
