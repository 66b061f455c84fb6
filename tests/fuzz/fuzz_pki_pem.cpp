// The PEM readers of `csr-operator pki` (pki/PemFiles.h, on signers/OpenSslPem.h) on the contents
// of a kubeadm tree's files: certificates, private keys and public keys, the facts `pki verify`
// reads from a certificate (pki/CertificateFacts.h), and the base64 of kubeconfig *-data fields.
// Every file may be what an attacker with write access to the tree left there.
#include <string>

#include "pki/CertificateFacts.h"
#include "pki/PemFiles.h"
#include "signers/Base64.h"
#include "signers/OpenSslPem.h"
#include "tests/fuzz/FuzzSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const fuzz::ScratchDir dir;
  const std::string text(fuzz::view(data, size));

  if (auto cert = csrop::pki::parseCertificate(text, "fuzz.crt")) {
    (void)csrop::pki::certificateFacts(cert.value().get());
    const auto again = csrop::pki::parseCertificate(signers::certificatePem(cert.value().get()), "re-encoded");
    fuzz::require(static_cast<bool>(again), "a certificate we parsed parses again after re-encoding");
  }
  if (auto key = csrop::pki::parsePrivateKey(text, "fuzz.key")) {
    const auto again = csrop::pki::parsePrivateKey(signers::privateKeyPem(key.value().get()), "re-encoded");
    fuzz::require(again && signers::samePublicKey(key.value().get(), again.value().get()),
                  "a key we parsed parses again after re-encoding, with the same public key");
  }
  const std::string path = dir.write("file.pem", text);
  (void)csrop::pki::loadCertificateFile(path, "fuzz.crt");
  (void)csrop::pki::loadPublicKeyFile(path, "sa.pub");
  std::string decoded;
  if (!signers::base64Decode(text, signers::Base64Rules{.skipWhitespace = true}, decoded)) {
    std::string again;
    fuzz::require(!signers::base64Decode(signers::base64Encode(decoded), {}, again) && again == decoded,
                  "base64 we decoded decodes to the same bytes after re-encoding");
  }
  return 0;
}
