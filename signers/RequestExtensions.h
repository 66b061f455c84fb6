#pragma once
// Reads the PKCS#10 attributes: the PKCS#9 extension request, its extension OIDs, subjectAltNames
// and BasicConstraints. Walked with the strict DER reader instead of OpenSSL's ASN.1 templates
// (three nested template decodes per request were measurable). Only what Go's
// x509.ParseCertificateRequest reads is read; any attribute that could carry something Go does
// not see (Microsoft's extensionRequest, unknown attributes, extra values) is refused.
#include <optional>
#include <string>
#include <string_view>

#include "signers/CertificateRequest.h"
#include "signers/RequestDer.h"

namespace signers {

std::optional<std::string> readRequestAttributes(DerBytes attributes, const RequestLimits& limits, ParsedRequest& out);

// A URI that Go's url.Parse accepts and URL.String writes back unchanged, in a conservative subset
// of RFC 3986: lower-case scheme; either "//" host [":" port] path, host made of non-empty labels
// of [A-Za-z0-9-_~], or an opaque part not starting with '/'; optional non-empty query and
// fragment; every '%' followed by two hex digits; no user info, no IP literals.
bool isUnambiguousUri(std::string_view uri);

}  // namespace signers
