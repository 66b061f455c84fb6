#pragma once
// The user PIN of a token key: from a file or an environment variable, never from the URI, so it is
// in no configuration, command line or log. Shared by the signers' CA loading and `pki init --key-uri`.
#include <optional>
#include <string>

#include "signers/Result.h"

namespace signers {

// pinFile: one trailing newline (as `echo` writes) is not part of the PIN. Neither set: no PIN
// (std::nullopt, no login). keyUri names the key in the errors.
Result<std::optional<std::string>> readPkcs11Pin(const std::string& pinFile, const std::string& pinEnv, const std::string& keyUri);

}  // namespace signers
