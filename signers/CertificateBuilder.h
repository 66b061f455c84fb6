#pragma once
// Builds and signs a leaf certificate from a validated request: the TBSCertificate is encoded
// directly in DER (see Der.h) and signed with the CA key. No policy is applied here.
#include <string>
#include <vector>

#include "signers/CertificateAuthority.h"
#include "signers/CertificateRequest.h"
#include "signers/Result.h"
#include "signers/Validity.h"

namespace signers {

struct BuiltCertificate {
  std::string pem;  // leaf only
  std::string serialHex;
};

// Subject rebuilt from these attribute types only (what Go's pkix.Name keeps), in request order.
bool isCopiedSubjectAttribute(const std::string& shortName);

Result<BuiltCertificate> buildCertificate(const CertificateAuthority& ca, const ParsedRequest& request,
                                          const std::vector<std::string>& usages, const ValidityWindow& validity);

}  // namespace signers
