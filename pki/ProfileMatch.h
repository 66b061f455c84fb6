// Does a subject / SAN list fit a kubeadm certificate profile? Shared by `pki sign` (requests)
// and `pki verify` (issued certificates). Each check returns the deviation, or nullopt.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "pki/KubeadmProfiles.h"
#include "signers/SignerConfig.h"

namespace csrop::pki {

std::optional<std::string> checkCommonName(const CertProfile& p, const std::string& commonName);
std::optional<std::string> checkOrganizations(const CertProfile& p, std::vector<std::string> organizations);
std::optional<std::string> checkSanTypes(const CertProfile& p, const std::vector<std::string>& dnsNames, std::size_t ipCount,
                                         const std::vector<std::string>& emails, const std::vector<std::string>& uris);

// The custom signer (pki.csr-operator.local/<profile>) that enforces the same profile inside
// signers/, so the controller's issuance code signs these certificates too.
signers::SignerConfig signerConfigFor(const CertProfile& p, const std::string& caCertFile, const std::string& caKeyFile,
                                      std::chrono::seconds maxDuration);

}  // namespace csrop::pki
