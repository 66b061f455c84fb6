// Flag parsing shared by the pki subcommands: "--flag value", "--flag=value" and boolean switches.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace csrop::pki {

class PkiUsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class PkiArgs {
 public:
  // Throws PkiUsageError for unknown flags, missing values and positional arguments.
  PkiArgs(const std::vector<std::string>& args, const std::set<std::string>& valueFlags, const std::set<std::string>& switches);

  std::optional<std::string> value(const std::string& flag) const;
  std::string required(const std::string& flag) const;
  bool has(const std::string& flag) const;

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> switches_;
};

// signers/Duration.h with the pki units: "90d", "720h", "1h30m", "1.5d", "2y" (365 days), or a bare
// number of seconds. Throws PkiUsageError saying what is wrong.
std::chrono::seconds parseDuration(const std::string& text);
int parsePositiveInt(const std::string& flag, const std::string& text);

}  // namespace csrop::pki
