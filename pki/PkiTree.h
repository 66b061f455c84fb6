// Where the files of a kubeadm tree live (/etc/kubernetes with pki/ and pki/etcd/), and finding
// the requests `kubeadm certs generate-csr` left in it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pki/KubeadmProfiles.h"

namespace csrop::pki {

struct PkiTree {
  std::filesystem::path root;    // the kubeconfig directory (/etc/kubernetes)
  std::filesystem::path pkiDir;  // root/pki
  std::filesystem::path caDir;   // where the CA pairs are read from (--ca-dir, else pkiDir)

  static PkiTree at(const std::filesystem::path& root, const std::filesystem::path& caDir = {});
  // kubeadm's --kubeconfig-dir and --cert-dir, which need not be nested.
  static PkiTree split(const std::filesystem::path& kubeconfigDir, const std::filesystem::path& certDir,
                       const std::filesystem::path& caDir = {});

  std::filesystem::path csrPath(const CertProfile& p) const;   // pki/<base>.csr or <file>.conf.csr
  std::filesystem::path certPath(const CertProfile& p) const;  // pki/<base>.crt or the kubeconfig itself
  std::filesystem::path keyPath(const CertProfile& p) const;   // pki/<base>.key or the kubeconfig itself
  std::filesystem::path caCertPath(const CaProfile& ca) const;
  std::filesystem::path caKeyPath(const CaProfile& ca) const;
  // The CA certificate the cluster trusts: the copy in the tree, not the one in --ca-dir.
  std::filesystem::path treeCaCertPath(const CaProfile& ca) const;

  // Path as shown to the user: relative to root when inside it.
  std::string display(const std::filesystem::path& p) const;
};

// Every *.csr file below root (symlinked directories are not followed), sorted.
std::vector<std::filesystem::path> findCsrFiles(const std::filesystem::path& root);

}  // namespace csrop::pki
