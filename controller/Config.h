// The operator's configuration: one plain struct, parsed once at the edge (ConfigLoader) and
// passed down by const reference. Field defaults are the documented defaults (docs/configuration.md).
#pragma once

#include "k8sclient/RestConfig.h"
#include "signers/IpAddress.h"
#include "signers/SignerConfig.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace csrop {

enum class DenyMode { Deny, Skip };
// observe: every CSR is decided, logged and counted, and nothing is written (no approval, no
// denial, no Event), so csr-operator can run beside the approver it is to replace.
enum class ApproverMode { Enforce, Observe };
enum class NonNodeRequester { Deny, Ignore };
enum class ResolutionFailure { Retry, Deny };
// Who vouches for a node's addresses (docs/node-identity.md): its own Node status checked for
// uniqueness across Nodes, or the Machine the infrastructure provider writes.
enum class AddressSource { Node, Machine };
enum class MachineApiGroup { ClusterApi, OpenShift };

struct KubeletServingChecks {
  bool requesterIsNode = true;
  bool commonName = true;
  bool organization = true;
  bool usages = true;
  bool noEmailOrUri = true;
  bool nodeExists = true;
  bool ipAddresses = true;
  bool dnsNames = true;
  bool expiration = true;
};

struct DnsResolutionConfig {
  bool enabled = false;
  std::chrono::milliseconds timeout{2000};
  ResolutionFailure onFailure = ResolutionFailure::Retry;
};

struct KubeletServingConfig {
  bool enabled = true;
  NonNodeRequester nonNodeRequester = NonNodeRequester::Deny;
  int64_t maxExpirationSeconds = 367LL * 24 * 3600;
  std::vector<signers::Cidr> allowedCIDRs;
  std::vector<std::string> dnsNamePatterns;
  std::vector<std::string> dnsNameRegexes;
  std::string dnsNamesMustMatch;  // empty: off (DnsNameFilter.h)
  int maxDNSNames = 5;
  DnsResolutionConfig dnsResolution;
  KubeletServingChecks checks;

  // Node identity (issue 11, docs/node-identity.md).
  AddressSource addressSource = AddressSource::Node;
  MachineApiGroup machineApiGroup = MachineApiGroup::ClusterApi;
  std::string machineNamespace;   // empty: every namespace
  std::string machineKubeconfig;  // empty: the Machines live in this cluster
  std::chrono::seconds machineDeadline{600};
  bool renewalContinuity = false;
  std::chrono::milliseconds renewalDialTimeout{5000};
  std::string clusterDomain = "cluster.local";
  std::vector<signers::Cidr> serviceCIDRs;
  std::vector<signers::Cidr> deniedCIDRs;
  std::chrono::seconds historyWindow{24 * 3600};
  std::chrono::seconds addressSettle{300};
  int maxAddressesPerNode = 64;
};

// Off by default: kube-controller-manager's csrapproving approves these CSRs (in External CA mode
// too), and two approvers for one signer only add a second way in.
struct KubeletClientConfig {
  bool enabled = false;
};

// Approves CSRs of a custom signer when the requester is listed; the signer's own SAN and
// subject constraints are checked by the signer profile before approval.
struct RequesterRule {
  std::string signerName;
  std::vector<std::string> users;
  std::vector<std::string> groups;
  std::vector<std::string> serviceAccounts;  // "namespace/name"
};

struct ApproverConfig {
  bool enabled = true;
  ApproverMode mode = ApproverMode::Enforce;
  DenyMode denyMode = DenyMode::Deny;
  // Flood guard (PendingIndex): of one requester's pending CSRs for one signer, only the newest
  // this many are handled; older ones are left alone until newer ones are decided.
  int maxPendingPerRequester = 10;
  KubeletServingConfig kubeletServing;
  KubeletClientConfig kubeletClient;
  std::vector<RequesterRule> rules;
};

struct LeaderElectionConfig {
  bool enabled = true;
  std::string leaseName = "csr-operator";
  std::string namespace_;
  std::string identity;
  std::chrono::milliseconds leaseDuration{15000};
  std::chrono::milliseconds renewDeadline{10000};
  std::chrono::milliseconds retryPeriod{2000};
};

struct GcConfig {
  bool enabled = false;
  std::chrono::seconds interval{3600};
  std::chrono::seconds approvedExpiration{3600};
  std::chrono::seconds deniedExpiration{3600};
  std::chrono::seconds pendingExpiration{24 * 3600};
  std::chrono::seconds approvedUnissuedExpiration{3600};
};

// What a known unverifiedUserAnnotations value selects; an empty field keeps the signer's default.
struct PodIdentityChoiceConfig {
  std::vector<std::string> dnsNameTemplates;
  std::vector<std::string> usages;
};

// A SubjectAccessReview asked for the requesting pod's service account before signing: these
// attributes (name defaults to the signer name); an empty verb asks nothing.
struct PodAccessReviewConfig {
  std::string verb, group, resource, name;
};

// One PodCertificateRequest signer (issue 14, docs/pod-certificates.md): its CA, who may obtain
// certificates and what they get. Becomes a signers::PodCertificatePolicy at start.
struct PodCertificateSignerConfig {
  std::string signerName;
  std::string caCertFile, caKeyFile, caKeyPassphraseFile;
  // A pkcs11: caKeyFile only, as for signers.list: the PIN source, the module, the session pool
  // (0: one per worker).
  std::string caKeyPinFile, caKeyPinEnv, pkcs11Module;
  int pkcs11Sessions = 0;
  std::vector<std::string> chainFiles;
  // Every service account of a listed namespace, or a listed "namespace/name" ("namespace/*" for
  // all of that namespace). Both empty: nobody.
  std::vector<std::string> allowedNamespaces;
  std::vector<std::string> allowedServiceAccounts;
  bool spiffeId = true;  // URI SAN spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>
  std::string trustDomain = "cluster.local";
  std::vector<std::string> dnsNameTemplates;  // over {pod}, {namespace}, {serviceAccount}
  std::vector<std::string> usages{"digital signature", "client auth", "server auth"};
  // unverifiedUserAnnotations key -> value -> choice; any other key or value is denied.
  std::map<std::string, std::map<std::string, PodIdentityChoiceConfig>> userAnnotations;
  std::chrono::seconds maxLifetime{24 * 3600};
  // The kubelet's spelling (keyType in the podCertificate projection).
  std::vector<std::string> allowedKeyTypes{"RSA3072", "RSA4096", "ECDSAP256", "ECDSAP384", "ECDSAP521", "ED25519"};
  // beginRefreshAt is drawn at random in this part of the lifetime.
  double refreshFrom = 0.5, refreshTo = 0.8;
  bool publishTrustBundle = false;
  // Extra checks the API docs allow a signer, off by default: NodeRestriction checked the pod at
  // creation, but it may have gone (or been replaced under its name) before the request is signed.
  bool verifyPod = false;  // read the Pod and its ServiceAccount again; UIDs, node and account must match
  PodAccessReviewConfig accessReview;
};

struct PodCertificatesConfig {
  std::vector<PodCertificateSignerConfig> signers;  // empty: PodCertificateRequests are not watched
};

struct TrustBundlesConfig {
  // Each published bundle is named "<signerName with / as :>:<nameSuffix>".
  std::string nameSuffix = "csr-operator";
  // CSR signers (signers.list[].trustBundle.publish) whose CA is published too.
  std::vector<std::string> csrSigners;
};

struct Config {
  std::string logLevel = "info";
  int workers = 4;
  double qps = 20;
  int burst = 40;
  // client.httpClient: Beast runs each request on its caller's thread; cpprest is the client the
  // operator used before, kept selectable for a release in case a proxy or server disagrees with the new one.
  k8s::HttpClient httpClient = k8s::HttpClient::Beast;
  // client.watchSilenceTimeout: a watch that sends no byte for this long is re-opened from its last
  // resourceVersion. kube-apiserver sends a BOOKMARK about once a minute, so longer silence means a
  // dead stream (a proxy or load balancer that lost the connection without closing it).
  std::chrono::seconds watchSilenceTimeout{90};
  std::string bindAddress = ":8080";
  LeaderElectionConfig leaderElection;
  ApproverConfig approver;
  std::vector<signers::SignerConfig> signers;
  std::chrono::seconds caReloadInterval{60};
  GcConfig gc;
  PodCertificatesConfig podCertificates;
  TrustBundlesConfig trustBundles;
};

// One line per setting, for the start-up log; never contains key material or tokens.
std::string describeConfig(const Config& config);

}  // namespace csrop
