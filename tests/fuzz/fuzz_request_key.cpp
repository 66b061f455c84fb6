// The request-key parser (signers/RequestKey.h) on its own: each input is read as a whole
// SubjectPublicKeyInfo, then, when it splits as a PKCS#10 request, as that request's key and
// self-signature. Accepted keys must re-encode to exactly the bytes that were parsed.
#include <vector>

#include "signers/RequestDer.h"
#include "signers/RequestKey.h"
#include "tests/fuzz/FuzzSupport.h"

namespace {

void checkKey(const signers::RequestDer& der) {
  const auto key = signers::publicKeyFromRequest(der);
  if (!key) {
    fuzz::require(!key.error().empty(), "a refused key has a reason");
    return;
  }
  const auto& k = key.value();
  fuzz::require(k.pkey != nullptr, "an accepted key is usable");
  fuzz::require(std::vector<unsigned char>(der.spki.begin(), der.spki.end()) == k.spkiDer,
                "an accepted SubjectPublicKeyInfo equals its re-encoding");
  (void)signers::verifyRequestSignature(der, k);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const signers::DerBytes input(data, size);

  signers::RequestDer asSpki;
  asSpki.spki = input;
  if (signers::splitSubjectPublicKeyInfo(asSpki)) checkKey(asSpki);

  signers::RequestDer asRequest;
  if (!signers::splitRequestDer(input, asRequest)) checkKey(asRequest);
  return 0;
}
