// `pki renew <name|all>`: kubeadm's `certs renew` with the CA keys offline. Each certificate is
// re-issued from its own attributes (subject, SANs, usages) with a new validity, by the CA of its
// profile, for the same key unless newKey; one that breaks its profile is refused, not renewed.
#pragma once

#include <chrono>
#include <filesystem>
#include <iosfwd>
#include <span>
#include <string>

#include "pki/CaKeySource.h"

namespace csrop::pki {

struct RenewOptions {
  std::string target = "all";  // a name of renewNames(), or "all"
  std::filesystem::path kubeconfigDir = "/etc/kubernetes";
  std::filesystem::path certDir = "/etc/kubernetes/pki";
  std::filesystem::path caDir;  // where the CA pairs are (External CA mode: the offline copy); empty: certDir
  CaKeySource caKey;            // the kubernetes CA's key elsewhere (a file, or on a PKCS#11 token)
  // kubeadm's renewal validity (constants.CertificateValidity), cut to the CA's own expiry.
  std::chrono::seconds validity{std::chrono::hours(24 * 365)};
  bool newKey = false;
  bool dryRun = false;
};

// All or nothing: every certificate is checked and re-issued in memory first; when any is refused
// nothing is written. Exit code: 0 renewed (or would be, with dryRun), 1 refused or a write failed,
// 2 bad directory.
int runPkiRenew(const RenewOptions& options, std::ostream& out, std::ostream& err);

// kubeadm's `certs renew` subcommand names (apiserver, ..., admin.conf, ...) plus kubelet.conf.
bool isRenewName(const std::string& name);
std::string renewNamesText();

}  // namespace csrop::pki
