#pragma once
// Per-signer configuration. The controller fills it from YAML; FileCaSigner::create validates it.
#include <chrono>
#include <string>
#include <vector>

namespace signers {

struct KeyPolicy {
  bool allowRsa = true;
  int minRsaBits = 2048;
  int maxRsaBits = 8192;  // bigger keys only cost verification time and are never needed
  bool allowP256 = true;
  bool allowP384 = true;
  bool allowEd25519 = true;
};

struct SignerConfig {
  std::string signerName;  // "kubernetes.io/kubelet-serving" or a custom "example.com/name"

  std::string caCertFile;           // exactly one PEM certificate
  std::string caKeyFile;            // PEM: PKCS#8, PKCS#1, SEC1, or encrypted PKCS#8 / traditional;
                                    // or a PKCS#11 URI (pkcs11:token=...;object=...): the key stays on a token
  std::string caKeyPassphraseFile;  // only for an encrypted key; one trailing newline is ignored
  // Only for a PKCS#11 caKeyFile: the user PIN from a file (one trailing newline ignored) or an
  // environment variable (its name); the module's path; the session pool's size (the controller
  // sets it to its worker count unless configured).
  std::string caKeyPinFile;
  std::string caKeyPinEnv;
  std::string pkcs11Module;             // empty: kDefaultPkcs11Module
  int pkcs11Sessions = 0;               // 0: 1
  std::vector<std::string> chainFiles;  // intermediates appended to the result when includeChain
  bool includeChain = false;

  std::chrono::seconds maxDuration{std::chrono::hours(8760)};  // must be >= 10 minutes
  KeyPolicy keyPolicy;

  // ---- Custom signers only (refused for kubernetes.io/ names when non-empty). ----
  // Every requested usage must be listed; must be non-empty for a custom signer.
  std::vector<std::string> allowedUsages;
  // Every listed usage must be requested.
  std::vector<std::string> requiredUsages;
  // SAN types; all refused unless enabled.
  bool allowDns = false;
  bool allowIp = false;
  bool allowEmail = false;
  bool allowUri = false;
  // When allowDns: each DNS SAN must equal a suffix or end with "." + suffix, or fully match a
  // regex (RE2 syntax, case-insensitive). Both empty: any well-formed DNS name.
  std::vector<std::string> dnsSuffixes;
  std::vector<std::string> dnsRegexes;
  // When allowIp and non-empty: each IP SAN must be inside one of them (families strict).
  std::vector<std::string> ipCidrs;
  // Each O must be listed. Empty: no O allowed at all. The single entry "*" allows any O except
  // system:masters, which is refused unless permitSystemMasters.
  std::vector<std::string> allowedOrganizations;
  // When non-empty, the CN must fully match (RE2 syntax). Required when allowedUsages has
  // "client auth": a client certificate's CN is the user name it authenticates as.
  std::string commonNameRegex;
  int maxSans = 100;
  // kubernetes.io/kubelet-serving refuses the API server's Service names and every name under
  // .svc.<clusterDomain> (set from approver.kubeletServing.clusterDomain).
  std::string clusterDomain = "cluster.local";
  // Set only in code, by `pki sign` for kubeadm's super-admin.conf and apiserver-kubelet-client
  // profiles; never read from the configuration file, so no configured signer can issue
  // system:masters (the group that bypasses RBAC).
  bool permitSystemMasters = false;
};

}  // namespace signers
