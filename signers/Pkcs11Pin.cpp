#include "signers/Pkcs11Pin.h"

#include <cstdlib>

#include "signers/FileUtil.h"

namespace signers {

Result<std::optional<std::string>> readPkcs11Pin(const std::string& pinFile, const std::string& pinEnv, const std::string& keyUri) {
  using RP = Result<std::optional<std::string>>;
  if (!pinFile.empty() && !pinEnv.empty()) return RP::fail("both caKeyPinFile and caKeyPinEnv are set for " + keyUri + "; keep one");
  if (!pinFile.empty()) {
    auto pin = readSmallFile(pinFile, 4096);
    if (!pin) return RP::fail("cannot read the token PIN file " + pinFile + ": " + pin.error() + "; check the path and permissions");
    std::string value = std::move(pin.value());
    if (value.ends_with("\n")) value.pop_back();
    if (value.ends_with("\r")) value.pop_back();
    if (value.empty()) return RP::fail("the token PIN file " + pinFile + " is empty; put the user PIN in it");
    return RP::ok(std::move(value));
  }
  if (!pinEnv.empty()) {
    const char* value = std::getenv(pinEnv.c_str());
    if (value == nullptr || *value == '\0')
      return RP::fail("the environment variable " + pinEnv + " (caKeyPinEnv) is unset or empty; set it to the token's user PIN");
    return RP::ok(std::string(value));
  }
  return RP::ok(std::nullopt);
}

}  // namespace signers
