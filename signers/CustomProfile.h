#pragma once
// A custom signer's rules (every signer whose name is not kubernetes.io/...), compiled once from
// its SignerConfig. The kubernetes.io signers follow fixed rules instead (signers/Profiles.h).
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "signers/IpAddress.h"
#include "signers/ParsedRequest.h"
#include "signers/Result.h"
#include "signers/SignerConfig.h"
#include "signers/Usages.h"

namespace re2 {
class RE2;
}

namespace signers {

class CustomProfile {
 public:
  // Refuses what no request could satisfy safely (unknown or forbidden usages, bad regexes or
  // CIDRs, system:masters, a client-auth signer without commonNameRegex); errors name the signer.
  static Result<std::shared_ptr<const CustomProfile>> compile(const SignerConfig& config);
  // std::nullopt when the request is acceptable, else the message for the Failed condition.
  std::optional<std::string> validate(const ParsedRequest& req, const UsageSet& usages) const;

 private:
  CustomProfile() = default;
  UsageSet allowedUsages_;
  UsageSet requiredUsages_;
  bool allowDns_ = false, allowIp_ = false, allowEmail_ = false, allowUri_ = false;
  std::vector<std::string> dnsSuffixes_;
  // RE2 (linear time), compiled once here: a hostile request can never make matching expensive.
  std::vector<std::shared_ptr<const re2::RE2>> dnsRegexes_;
  std::vector<Cidr> ipCidrs_;
  std::vector<std::string> allowedOrganizations_;
  bool anyOrganization_ = false;
  bool permitSystemMasters_ = false;
  std::shared_ptr<const re2::RE2> commonNameRegex_;
  std::size_t maxSans_ = 100;
};

}  // namespace signers
