// Strategy, validation and admission of certificates.k8s.io/v1 CertificateSigningRequests, following
// kube-apiserver's registry strategy, validation package and admission plugins
// (pkg/registry/certificates/certificates/strategy.go, pkg/apis/certificates/validation).
#pragma once

#include "tests/fakeapi/Api.h"
#include "tests/fakeapi/Authorizer.h"

namespace fakeapi::csr {

extern const std::vector<std::string> kKnownUsages;  // the 23 key usages kube accepts

// The decoded spec.request; error text (as kube words it) when it is not a valid, signed PKCS#10 PEM.
X509ReqPtr parseRequest(const json& csr, std::string& error);

std::vector<FieldError> validateSignerName(const std::string& signerName, const std::string& field = "spec.signerName");
std::vector<FieldError> validateConditions(const json& csr);
std::vector<FieldError> validateCertificate(const json& csr);
// Whole-object validation (spec, conditions, certificate) as on create.
std::vector<FieldError> validate(const json& csr);

// Create: spec.username/uid/groups/extra come from the requester; status is reset.
json prepareForCreate(json obj, const UserInfo& user);
// Mutating and validating admission on create: NodeRestriction and CertificateSubjectRestriction.
// Throws ApiError(403) naming the CSR.
void admitNodeRestriction(const json& csr, const UserInfo& user);
void admitSubjectRestriction(const json& csr);

// PUT on the main resource keeps the stored spec and status.
json prepareForUpdate(json obj, const json& old);
// /approval keeps spec and certificate, takes the new conditions, fills their timestamps.
json prepareForApproval(json obj, const json& old);
std::vector<FieldError> validateApprovalUpdate(const json& obj, const json& old);
// /status keeps spec and the stored Approved/Denied instances, fills timestamps.
json prepareForStatus(json obj, const json& old);
std::vector<FieldError> validateStatusUpdate(const json& obj, const json& old);
bool statusChanged(const json& obj, const json& old);

// Admission CertificateApproval / CertificateSigning: verb approve|sign on signers name=signerName or domain/*.
bool authorizedForSigner(const Authorizer& authz, const UserInfo& user, const std::string& verb, const std::string& signerName);

// Table CONDITION column: Approved,Issued / Pending / Denied / ...,Failed.
std::string conditionSummary(const json& csr);

}  // namespace fakeapi::csr
