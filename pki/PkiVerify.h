// `pki verify`: check a kubeadm tree against the certificate tables and report every deviation.
#pragma once

#include <filesystem>
#include <iosfwd>

namespace csrop::pki {

struct VerifyOptions {
  std::filesystem::path dir;
  bool allowMissing = false;  // external etcd, worker nodes: absent certificates are not deviations
};

// Exit code: 0 no deviation, 1 at least one, 2 bad tree.
int runPkiVerify(const VerifyOptions& options, std::ostream& out, std::ostream& err);

}  // namespace csrop::pki
