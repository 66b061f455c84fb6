// A kubeadm-like /etc/kubernetes tree in a temporary folder: the CAs from `pki init`, then a key and
// CSR for every certificate in kubeadm's tables and `.conf` + `.conf.csr` pairs as
// `kubeadm certs generate-csr` writes them.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "signers/OpenSslPtr.h"

namespace pkitest {

struct CsrSpec {
  // A constructor rather than aggregate initialisation, so specs can leave trailing fields out.
  CsrSpec(std::string cn, std::vector<std::string> o = {}, std::vector<std::string> dns = {}, std::vector<std::string> ipList = {},
          std::vector<std::string> emailList = {}, bool ca = false)
      : commonName(std::move(cn)),
        organizations(std::move(o)),
        dnsNames(std::move(dns)),
        ips(std::move(ipList)),
        emails(std::move(emailList)),
        requestCa(ca) {}

  std::string commonName;
  std::vector<std::string> organizations;
  std::vector<std::string> dnsNames;
  std::vector<std::string> ips;
  std::vector<std::string> emails;
  bool requestCa = false;
};

// The fixed test key (tests/support/TestPki) of one file of the tree.
signers::EvpPkeyPtr makeKey(bool rsa, const std::string& role);
std::string keyPem(EVP_PKEY* key);
std::string makeCsrPem(EVP_PKEY* key, const CsrSpec& spec);

struct Result {
  int exitCode = -1;
  std::string output;  // stdout and stderr together
};
// Runs a shell command line.
Result run(const std::string& commandLine);
// Runs `csr-operator pki <args>`.
Result pki(const std::string& args);
// The same with stdout only (stderr dropped), for output that is parsed.
Result pkiStdout(const std::string& args);

class KubeadmTree {
 public:
  // Runs `pki init` (with these extra flags, e.g. --key-uri) and writes every CSR.
  explicit KubeadmTree(const std::string& initFlags = "");
  ~KubeadmTree();
  KubeadmTree(const KubeadmTree&) = delete;
  KubeadmTree& operator=(const KubeadmTree&) = delete;

  const std::filesystem::path& root() const { return root_; }
  std::string path(const std::string& relative) const { return (root_ / relative).string(); }
  std::string read(const std::string& relative) const;
  void write(const std::string& relative, const std::string& content) const;
  bool exists(const std::string& relative) const;

  // Replaces a pki/ request (and its key) or a kubeconfig request (and the key in the .conf), with a
  // key other than the tree's first one.
  void replacePkiRequest(const std::string& base, const CsrSpec& spec) const;
  void replaceKubeconfigRequest(const std::string& conf, const CsrSpec& spec) const;

  // The embedded client certificate of a kubeconfig, written to <conf>.pem for openssl; "" if absent.
  std::string extractClientCertificate(const std::string& conf) const;

 private:
  void writePkiRequest(const std::string& base, const CsrSpec& spec, const std::string& keyRole) const;

  std::filesystem::path root_;
};

}  // namespace pkitest
