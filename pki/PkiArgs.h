// Flag parsing shared by the pki subcommands: "--flag value", "--flag=value", boolean switches, and
// kubeadm's one-letter spellings ("-o json", "-o=json", "-ojson") for value flags named by one letter.
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

  // The last value given for the flag.
  std::optional<std::string> value(const std::string& flag) const;
  // Every value, in order; each may be a comma-separated list, as pflag's StringSlice reads it
  // ("--org a,b --org c" is a, b, c). Empty items are refused.
  std::vector<std::string> list(const std::string& flag) const;
  std::string required(const std::string& flag) const;
  bool has(const std::string& flag) const;

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> switches_;
};

// signers/Duration.h's grammar, the configuration's: "90d", "720h", "1h30m", "1.5d". Throws
// PkiUsageError saying what is wrong.
std::chrono::seconds parseDuration(const std::string& text);
int parsePositiveInt(const std::string& flag, const std::string& text);

}  // namespace csrop::pki
