// The PEM readers of `csr-operator pki` (pki/PemFiles.h) on the contents of a kubeadm
// tree's files: certificates, private keys and public keys, and the facts `pki verify` reads from
// a certificate. Every file may be what an attacker with write access to the tree left there.
#include <string>

#include "pki/PemFiles.h"
#include "tests/fuzz/FuzzSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const fuzz::ScratchDir dir;
  const std::string text(fuzz::view(data, size));

  if (auto cert = csrop::pki::parseCertificate(text, "fuzz.crt")) {
    (void)csrop::pki::certificateFacts(cert.value().get());
    const auto again = csrop::pki::parseCertificate(csrop::pki::certificatePem(cert.value().get()), "re-encoded");
    fuzz::require(static_cast<bool>(again), "a certificate we parsed parses again after re-encoding");
  }
  if (auto key = csrop::pki::parsePrivateKey(text, "fuzz.key")) {
    const auto again = csrop::pki::parsePrivateKey(csrop::pki::privateKeyPem(key.value().get()), "re-encoded");
    fuzz::require(again && csrop::pki::samePublicKey(key.value().get(), again.value().get()),
                  "a key we parsed parses again after re-encoding, with the same public key");
  }
  const std::string path = dir.write("file.pem", text);
  (void)csrop::pki::loadCertificateFile(path, "fuzz.crt");
  (void)csrop::pki::loadPublicKeyFile(path, "sa.pub");
  (void)csrop::pki::base64Decode(text, "fuzz");
  return 0;
}
