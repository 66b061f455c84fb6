// What the process learns from where it runs: environment variables and the host name. Only the
// edge reads it (the command line and fillRuntimeDefaults, called from main), so nothing deeper
// depends on the process and the edge is tested with a fake.
#pragma once

#include <optional>
#include <string>

namespace csrop {

class Environment {
 public:
  virtual ~Environment() = default;
  // nullopt when the variable is unset or empty: an empty variable has always meant "not set" here.
  virtual std::optional<std::string> variable(const std::string& name) const = 0;
  virtual std::string hostname() const = 0;
};

// The process's own environment (getenv, gethostname).
const Environment& processEnvironment();

}  // namespace csrop
