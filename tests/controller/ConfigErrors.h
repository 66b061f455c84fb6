// The configuration error a YAML text gets, for the configuration tests.
#pragma once

#include "controller/ConfigLoader.h"

#include <string>

namespace configtest {

// What parseConfigText refuses the text with; "" when it is accepted.
inline std::string errorOf(const std::string& yaml) {
  try {
    csrop::parseConfigText(yaml, "cfg.yaml");
  } catch (const csrop::ConfigFileError& e) {
    return e.what();
  }
  return "";
}

}  // namespace configtest
