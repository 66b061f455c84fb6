// An Environment with the variables and host name a test gives it, so that the edge is tested
// without setenv.
#pragma once

#include "controller/Environment.h"

#include <initializer_list>
#include <map>
#include <optional>
#include <string>

namespace configtest {

class FakeEnvironment : public csrop::Environment {
 public:
  explicit FakeEnvironment(std::initializer_list<std::pair<const std::string, std::string>> variables = {}, std::string host = "node-1")
      : variables_(variables), host_(std::move(host)) {}

  std::optional<std::string> variable(const std::string& name) const override {
    const auto it = variables_.find(name);
    if (it == variables_.end() || it->second.empty()) return std::nullopt;
    return it->second;
  }
  std::string hostname() const override { return host_; }

 private:
  std::map<std::string, std::string> variables_;
  std::string host_;
};

}  // namespace configtest
