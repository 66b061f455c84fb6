// The certificate tables of "PKI certificates and requirements" (kubeadm), as data: which CA signs
// each certificate, where its files live, its subject and key usages, and which SANs it may carry.
#pragma once

#include <span>
#include <string>
#include <vector>

namespace csrop::pki {

enum class CaId { Kubernetes, Etcd, FrontProxy };

struct CaProfile {
  CaId id;
  std::string name;      // check-expiration name: "ca", "etcd-ca", "front-proxy-ca"
  std::string certPath;  // relative to the pki directory
  std::string keyPath;
  std::string defaultCommonName;  // what `pki init` writes
};

enum class CertKind { Server, Client, ServerAndClient };

// Where the certificate lives: a .crt/.key pair under pki/, or embedded in a kubeconfig.
enum class Storage { PkiFiles, Kubeconfig };

struct CertProfile {
  std::string name;  // check-expiration name: "apiserver", "etcd-server", "admin.conf", ...
  Storage storage;
  std::string basePath;  // pki/ relative "apiserver" / "etcd/server", or kubeconfig file "admin.conf"
  CaId ca;
  CertKind kind;
  std::string commonName;                                     // exact CN; empty when commonNamePattern decides
  std::string commonNamePattern;                              // ECMAScript, full match; used when the CN carries a node name
  std::string commonNameHint;                                 // how the CN is described in messages
  std::vector<std::vector<std::string>> organizationChoices;  // the accepted O sets (sorted); {{}} = no O
  bool allowDnsSans = false;
  bool allowIpSans = false;
  std::vector<std::string> requiredDnsSans;  // checked by `pki verify`
  std::vector<std::string> requiredIpSans;
  bool showInCheckExpiration = true;  // kubeadm leaves kubelet.conf out (the kubelet rotates it)
};

std::span<const CaProfile> caProfiles();
const CaProfile& caProfile(CaId id);
std::span<const CertProfile> certProfiles();

// Request usages for a kind, in certificates.k8s.io spelling. Key encipherment only for RSA keys:
// it means nothing for ECDSA/Ed25519 keys, and the table's "digital signature, key encipherment"
// is written for kubeadm's default RSA keys.
std::vector<std::string> usagesFor(CertKind kind, bool rsaKey);
const char* kindName(CertKind kind);
std::string describeOrganizations(const std::vector<std::vector<std::string>>& choices);

}  // namespace csrop::pki
