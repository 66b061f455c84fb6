#include "controller/Environment.h"

#include <cstdlib>
#include <unistd.h>

namespace csrop {
namespace {

class ProcessEnvironment final : public Environment {
 public:
  std::optional<std::string> variable(const std::string& name) const override {
    const char* value = std::getenv(name.c_str());
    if (!value || !*value) return std::nullopt;
    return std::string(value);
  }

  std::string hostname() const override {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    return host;
  }
};

}  // namespace

const Environment& processEnvironment() {
  static const ProcessEnvironment environment;
  return environment;
}

}  // namespace csrop
