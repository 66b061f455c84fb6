#pragma once
// Reads the PKCS#10 attributes: the extension request (PKCS#9 or Microsoft's), its extension
// OIDs, subjectAltNames and BasicConstraints. Walked with the strict DER reader instead of
// OpenSSL's ASN.1 templates (three nested template decodes per request were measurable).
#include <optional>
#include <string>

#include "signers/CertificateRequest.h"
#include "signers/RequestDer.h"

namespace signers {

std::optional<std::string> readRequestAttributes(DerBytes attributes, const RequestLimits& limits, ParsedRequest& out);

}  // namespace signers
