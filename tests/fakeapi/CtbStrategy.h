// Validation and admission of ClusterTrustBundles (certificates.k8s.io/v1, cluster-scoped), following
// kube-apiserver: pkg/apis/certificates/validation/validation.go (ValidateClusterTrustBundle,
// validateTrustBundle, ValidateClusterTrustBundleUpdate), pkg/api/validation
// ValidateClusterTrustBundleName (the signer-linked name prefix) and the ClusterTrustBundleAttest
// admission plugin (plugin/pkg/admission/certificates/ctbattest: verb `attest` on the signer).
#pragma once

#include "tests/fakeapi/Api.h"
#include "tests/fakeapi/Authorizer.h"

namespace fakeapi::ctb {

constexpr size_t kMaxTrustBundleSize = 1024 * 1024;  // MaxTrustBundleSize

std::vector<FieldError> validate(const json& bundle);
// Update: signerName immutable; the bundle is parsed again only when it changed.
std::vector<FieldError> validateUpdate(const json& bundle, const json& old);
// ClusterTrustBundleAttest on create and update (old null on create): a bundle with a signerName
// needs `attest` on signers/<signerName> or <domain>/*; an update that changes neither the signer
// nor the bundle is not checked. Throws ApiError(403).
void admitAttest(const Authorizer& authz, const UserInfo& user, const json& bundle, const json* old);

}  // namespace fakeapi::ctb
