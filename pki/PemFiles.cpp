#include "pki/PemFiles.h"

#include "signers/FileUtil.h"
#include "signers/OpenSslPem.h"

namespace csrop::pki {

namespace fs = std::filesystem;
using signers::EvpPkeyPtr;
using signers::Result;
using signers::X509Ptr;

namespace {

// The object, or the error `what` followed by `problem`.
template <class Ptr>
Result<Ptr> readOr(Ptr object, const std::string& what, const char* problem) {
  if (!object) return Result<Ptr>::fail(what + problem);
  return Result<Ptr>::ok(std::move(object));
}

Result<std::string> fileText(const fs::path& path, const std::string& shownAs) {
  auto text = signers::readSmallFile(path.string());
  if (!text) return Result<std::string>::fail(shownAs + ": " + text.error());
  return text;
}

}  // namespace

Result<X509Ptr> parseCertificate(const std::string& pem, const std::string& what) {
  return readOr(signers::readFirstCertificate(pem), what, " does not hold a PEM certificate (truncated or corrupt?)");
}

Result<X509Ptr> loadCertificateFile(const fs::path& path, const std::string& shownAs) {
  auto text = fileText(path, shownAs);
  if (!text) return Result<X509Ptr>::fail(text.error());
  auto cert = parseCertificate(text.value(), shownAs);
  if (!cert) return cert;
  if (const std::size_t count = signers::countCertificates(text.value()); count != 1) {
    return Result<X509Ptr>::fail(shownAs + " holds " + std::to_string(count) + " certificates, expected exactly one");
  }
  return cert;
}

Result<EvpPkeyPtr> parsePrivateKey(const std::string& pem, const std::string& what) {
  return readOr(signers::readUnencryptedPrivateKey(pem), what, " does not hold an unencrypted PEM private key (truncated or corrupt?)");
}

Result<EvpPkeyPtr> loadPrivateKeyFile(const fs::path& path, const std::string& shownAs) {
  auto text = fileText(path, shownAs);
  if (!text) return Result<EvpPkeyPtr>::fail(text.error());
  return parsePrivateKey(text.value(), shownAs);
}

Result<EvpPkeyPtr> loadPublicKeyFile(const fs::path& path, const std::string& shownAs) {
  auto text = fileText(path, shownAs);
  if (!text) return Result<EvpPkeyPtr>::fail(text.error());
  return readOr(signers::readPublicKey(text.value()), shownAs, " does not hold a PEM public key");
}

}  // namespace csrop::pki
