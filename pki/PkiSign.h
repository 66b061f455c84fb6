// `pki sign`: sign every CSR of a kubeadm tree with the right CA and profile (External CA mode).
#pragma once

#include <filesystem>
#include <iosfwd>

#include "pki/CaKeySource.h"

namespace csrop::pki {

struct SignOptions {
  std::filesystem::path dir;    // /etc/kubernetes
  std::filesystem::path caDir;  // where ca.crt/ca.key, etcd/ca.*, front-proxy-ca.* are; empty: dir/pki
  CaKeySource caKey;            // the kubernetes CA's key elsewhere (a file, or on a PKCS#11 token)
  int days = 365;
  bool force = false;   // replace existing certificates
  bool dryRun = false;  // validate and print the plan, write nothing
};

// All or nothing: every request is checked first, and when any is refused nothing is written.
// Exit code: 0 signed (or nothing to do), 1 a request was refused or a write failed, 2 bad tree.
int runPkiSign(const SignOptions& options, std::ostream& out, std::ostream& err);

}  // namespace csrop::pki
