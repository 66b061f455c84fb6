// Runs the Go reference reader (csrdump.go, built by CMake) over a corpus in one process.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "signers/CertificateRequest.h"

namespace goparity {

// One JSON object per input, in order (see csrdump.go for the fields). Throws when the program
// cannot be run or its output does not match the input count.
std::vector<nlohmann::json> goDump(const std::vector<std::string>& inputs);

// Why csr-operator's reading of an input breaks the parity rule against Go's, or nullopt when it
// holds: a request we accept must be accepted by Go (parse and CheckSignature) and read the same
// (CN, O, whole subject, SANs by type, key, extension OIDs). Refusing more than Go is allowed.
std::optional<std::string> parityViolation(const signers::Result<signers::ParsedRequest>& ours, const nlohmann::json& go);

}  // namespace goparity
