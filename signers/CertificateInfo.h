#pragma once
// Facts read from an issued certificate chain (PEM), for the controller's garbage collection
// and the pki commands.
#include <chrono>
#include <optional>
#include <string>

namespace signers {

// NotAfter of the first certificate in the PEM; nullopt when it cannot be parsed.
std::optional<std::chrono::system_clock::time_point> certificateNotAfter(const std::string& pem);

// True when the first certificate's NotAfter has passed; false when it cannot be parsed
// (kube-controller-manager's cleaner treats unparsable certificates the same way).
bool certificateExpired(const std::string& pem, std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace signers
