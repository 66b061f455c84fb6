// `pki check-expiration`: `kubeadm certs check-expiration` for pki/*.crt files and the certificates
// embedded in kubeconfigs, then the CAs; as kubeadm's text table or its CertificateExpirationInfo
// (output.kubeadm.k8s.io/v1alpha3) in JSON or YAML.
#pragma once

#include <chrono>
#include <filesystem>
#include <iosfwd>

namespace csrop::pki {

enum class ExpirationOutput { Text, Json, Yaml };

struct CheckExpirationOptions {
  // kubeadm's defaults (--kubeconfig-dir, --cert-dir); they need not be nested.
  std::filesystem::path kubeconfigDir = "/etc/kubernetes";
  std::filesystem::path certDir = "/etc/kubernetes/pki";
  ExpirationOutput output = ExpirationOutput::Text;
  std::chrono::seconds warnWithin{std::chrono::hours(24 * 30)};
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

// Exit code: 0 everything present and nothing expires within warnWithin; 1 something does, is
// missing or is unreadable; 2 bad directory.
int runPkiCheckExpiration(const CheckExpirationOptions& options, std::ostream& out, std::ostream& err);

// kubeadm's (apimachinery ShortHumanDuration) residual time: "364d", "9y", "<invalid>" once expired.
std::string shortHumanDuration(std::chrono::seconds d);

}  // namespace csrop::pki
