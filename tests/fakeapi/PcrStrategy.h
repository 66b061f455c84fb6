// Strategy, validation and admission of PodCertificateRequests (certificates.k8s.io v1 and
// v1beta1), following kube-apiserver: pkg/apis/certificates/validation/validation.go
// (ValidatePodCertificateRequestCreate, ValidatePodCertificateRequestStatusUpdate),
// pkg/registry/certificates/podcertificaterequest/strategy.go (status reset on create, spec kept on
// /status, `sign` checked once the status changes) and the PodCertificateRequest part of
// plugin/pkg/admission/noderestriction (a node asks only for pods bound to it).
#pragma once

#include "tests/fakeapi/Api.h"
#include "tests/fakeapi/Authorizer.h"
#include "tests/fakeapi/Store.h"

namespace fakeapi::pcr {

constexpr int64_t kDefaultMaxExpirationSeconds = 86400;
constexpr int64_t kMinMaxExpirationSeconds = 3600;
constexpr int64_t kMaxMaxExpirationSeconds = 7862400;       // 91 days
constexpr int64_t kKubernetesMaxExpirationSeconds = 86400;  // kubernetes.io signers
constexpr size_t kMaxKeyMaterialSize = 10 * 1024;           // MaxPKIXPublicKeySize, MaxProofOfPossessionSize
constexpr size_t kMaxCertificateChainSize = 100 * 1024;     // MaxCertificateChainSize
constexpr size_t kMaxUserAnnotationsSize = 256 * 1024;      // TotalAnnotationSizeLimitB
constexpr int64_t kCleanerMaxAgeSeconds = 15 * 60;          // podcertificaterequestcleaner

struct Options {
  // v1 carries the key as spec.stubPKCS10Request; v1beta1 as pkixPublicKey + proofOfPossession
  // (and, from 1.36, optionally a stub request too).
  bool v1 = true;
  // Off only in a fake started with --pcr-key-checks=false, so a test can hand a signer material the
  // real API server would refuse (a bad proof of possession) and see the signer refuse it too.
  bool verifyKeys = true;
};

// Create: status reset, maxExpirationSeconds defaulted to 86400.
json prepareForCreate(json obj);
std::vector<FieldError> validateCreate(const json& pcr, const Options& options);
// Throws ApiError(403) when a node asks for a pod that is not bound to it, or names UIDs other than
// the pod's, its service account's and its node's. Other requesters pass (RBAC decides for them).
void admitNodeRestriction(const json& pcr, const UserInfo& user, const Store& store);

// PUT on the main resource: status kept, spec immutable.
json prepareForUpdate(json obj, const json& old);
std::vector<FieldError> validateUpdate(const json& obj, const json& old);
// /status: spec and metadata kept from the stored object.
json prepareForStatus(json obj, const json& old);
// now: the fake's clock (notBefore must lie within 5 minutes of it).
std::vector<FieldError> validateStatusUpdate(const json& obj, const json& old, int64_t now);
bool statusChanged(const json& obj, const json& old);
// The `sign` check of the status strategy, as the field error kube returns (empty when allowed).
std::vector<FieldError> authorizeSign(const Authorizer& authz, const UserInfo& user, const json& old);

// kube-controller-manager's podcertificaterequestcleaner: deletes every PCR created more than
// maxAgeSeconds before now. Returns how many it deleted.
size_t removeExpired(Store& store, int64_t now, int64_t maxAgeSeconds);

// Table column "State": Issued, Denied, Failed or Pending.
std::string stateOf(const json& pcr);

}  // namespace fakeapi::pcr
