// `pki check-expiration`: the table of `kubeadm certs check-expiration`, for pki/*.crt files and
// the certificates embedded in kubeconfigs, then the CA table; or the same as JSON.
#pragma once

#include <chrono>
#include <filesystem>
#include <iosfwd>

namespace csrop::pki {

struct CheckExpirationOptions {
  std::filesystem::path dir;
  bool json = false;
  std::chrono::seconds warnWithin{std::chrono::hours(24 * 30)};
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

// Exit code: 0 nothing expires within warnWithin, 1 something does (or is unreadable), 2 bad tree.
int runPkiCheckExpiration(const CheckExpirationOptions& options, std::ostream& out, std::ostream& err);

// kubeadm's (apimachinery ShortHumanDuration) residual time: "364d", "9y", "<invalid>" once expired.
std::string shortHumanDuration(std::chrono::seconds d);

}  // namespace csrop::pki
