// signers::parseCertificateRequest, the whole PKCS#10 path (PEM, strict DER, subject, attributes
// and extensions, key, self-signature), fed each input twice: as the PEM text a CSR creator writes
// into spec.request, and as raw DER wrapped into a well-formed PEM block so the fuzzer reaches the
// DER and attribute parsers without having to discover base64.
#include <string>

#include "k8sclient/Base64.h"
#include "signers/CertificateRequest.h"
#include "tests/fuzz/FuzzSupport.h"

namespace {

std::string wrapInPem(std::string_view der) {
  const std::string b64 = k8s::base64Encode(der);
  std::string pem = "-----BEGIN CERTIFICATE REQUEST-----\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) pem += b64.substr(i, 64) + "\n";
  return pem + "-----END CERTIFICATE REQUEST-----\n";
}

void check(std::string_view pem) {
  const signers::RequestLimits limits;
  const auto parsed = signers::parseCertificateRequest(pem, limits);
  if (!parsed) {
    fuzz::require(!parsed.error().empty(), "a refused request has a reason");
    return;
  }
  const auto& r = parsed.value();
  fuzz::require(r.sanCount() <= limits.maxSans, "an accepted request stays within maxSans");
  fuzz::require(r.publicKey != nullptr && r.spki != nullptr, "an accepted request carries its key");
  fuzz::require(!r.spki->der.empty(), "an accepted request carries its re-encoded SubjectPublicKeyInfo");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz::view(data, size);
  check(input);
  check(wrapInPem(input));
  return 0;
}
