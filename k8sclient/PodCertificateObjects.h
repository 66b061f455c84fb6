#pragma once
// PodCertificateRequest (KEP-4317) and ClusterTrustBundle (KEP-3257) as plain structs, and the
// calls a signer makes on them. Both are served as certificates.k8s.io/v1 from Kubernetes 1.37 and
// as v1beta1 before (PodCertificateRequests behind a feature gate in 1.35-1.36), so the version
// is chosen at run time (discoverCertificatesApi) instead of in ResourceTraits. Field names follow
// staging/src/k8s.io/api/certificates/v1/types.go; like Objects.h, every struct keeps `raw` so
// unmodeled fields survive a read-modify-write.
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "k8sclient/Objects.h"

namespace k8s {

class KubeClient;
struct ListOptions;

// metav1.Condition: the PodCertificateRequest status uses the generic condition, not the CSR one.
struct Condition {
  std::string type, status, reason, message, lastTransitionTime;
  std::optional<int64_t> observedGeneration;
};

struct PodCertificateRequest {
  ObjectMeta metadata;
  struct Spec {
    std::string signerName;
    std::string podName, podUID;
    std::string serviceAccountName, serviceAccountUID;
    std::string nodeName, nodeUID;
    std::optional<int64_t> maxExpirationSeconds;
    std::string stubPKCS10Request;  // DER (v1 and 1.36+ v1beta1); base64 on the wire
    std::string pkixPublicKey;      // DER SubjectPublicKeyInfo (v1beta1 only); base64 on the wire
    std::string proofOfPossession;  // signature over the ASCII pod UID (v1beta1 only); base64 on the wire
    std::map<std::string, std::string> unverifiedUserAnnotations;
  } spec;
  struct Status {
    std::vector<Condition> conditions;
    std::string certificateChain;                     // PEM, leaf first
    std::string notBefore, beginRefreshAt, notAfter;  // RFC3339
  } status;
  // The apiVersion it was read as (or is to be written as); empty means certificates.k8s.io/v1.
  std::string apiVersion;
  RawJson raw;
};

struct ClusterTrustBundle {
  ObjectMeta metadata;
  struct Spec {
    std::string signerName;
    std::string trustBundle;  // concatenated PEM CERTIFICATE blocks
  } spec;
  std::string apiVersion;  // as for PodCertificateRequest
  RawJson raw;
};

// The condition types a PodCertificateRequest may carry; each is terminal.
inline constexpr const char* kPcrIssued = "Issued";
inline constexpr const char* kPcrDenied = "Denied";
inline constexpr const char* kPcrFailed = "Failed";

// The terminal condition (Issued, Denied or Failed with status True), or nullptr while pending.
const Condition* terminalCondition(const PodCertificateRequest& pcr);

// Which versions of certificates.k8s.io serve each resource; empty when none does.
struct CertificatesApi {
  std::string podCertificateRequests;  // "v1" or "v1beta1"
  std::string clusterTrustBundles;     // "v1" or "v1beta1"
};

// GET /apis/certificates.k8s.io/v1 and /v1beta1 (the API server's discovery documents): v1 is
// preferred, v1beta1 used where only it serves the resource. A version the server does not have
// (404) serves nothing; any other failure throws.
CertificatesApi discoverCertificatesApi(KubeClient& client);

ResourceRef podCertificateRequestResource(const std::string& version);
ResourceRef clusterTrustBundleResource(const std::string& version);

// "spec.signerName=<name>", which both resources support as a field selector.
ListOptions signerNameSelector(const std::string& signerName);

// Typed calls at a version found by discovery. Errors are ApiError / TransportError, as for
// KubeClient. updatePodCertificateRequestStatus PUTs /status with pcr.metadata.resourceVersion,
// so a stale copy gets 409 Conflict.
PodCertificateRequest getPodCertificateRequest(KubeClient& client, const std::string& version, const std::string& ns,
                                               const std::string& name);
PodCertificateRequest updatePodCertificateRequestStatus(KubeClient& client, const std::string& version, const PodCertificateRequest& pcr);
std::optional<ClusterTrustBundle> getClusterTrustBundle(KubeClient& client, const std::string& version, const std::string& name);
std::vector<ClusterTrustBundle> listClusterTrustBundles(KubeClient& client, const std::string& version, const ListOptions& options);
ClusterTrustBundle createClusterTrustBundle(KubeClient& client, const std::string& version, const ClusterTrustBundle& ctb);
ClusterTrustBundle updateClusterTrustBundle(KubeClient& client, const std::string& version, const ClusterTrustBundle& ctb);
// With the bundle's uid and resourceVersion as preconditions: a bundle changed or replaced since it
// was read is not deleted (409 Conflict).
void deleteClusterTrustBundle(KubeClient& client, const std::string& version, const ClusterTrustBundle& ctb);

void to_json(nlohmann::json& j, const Condition& c);
void from_json(const nlohmann::json& j, Condition& c);
void to_json(nlohmann::json& j, const PodCertificateRequest& o);
void from_json(const nlohmann::json& j, PodCertificateRequest& o);
void to_json(nlohmann::json& j, const ClusterTrustBundle& o);
void from_json(const nlohmann::json& j, ClusterTrustBundle& o);

}  // namespace k8s
