#include "signers/TrustBundle.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <set>

#include "signers/Asn1Time.h"
#include "signers/OpenSslError.h"
#include "signers/OpenSslPem.h"
#include "signers/OpenSslPtr.h"

namespace signers {
namespace {

std::string hex(const unsigned char* bytes, unsigned int length) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 15];
  }
  return out;
}

}  // namespace

Result<std::vector<BundleCertificate>> readCertificateBundle(std::string_view pem) {
  using R = Result<std::vector<BundleCertificate>>;
  const BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return R::fail("out of memory reading a trust bundle");
  std::vector<BundleCertificate> out;
  std::set<std::string> seen;
  for (int index = 0;; ++index) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long length = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &length) != 1) {
      // No further BEGIN line is the end of the text; any other reason is a broken block.
      const unsigned long reason = ERR_GET_REASON(ERR_peek_last_error());
      const std::string errors = drainOpenSslErrors();
      if (reason != PEM_R_NO_START_LINE)
        return R::fail("block " + std::to_string(index + 1) + " of the trust bundle is not valid PEM: " + errors);
      break;
    }
    const OpenSslStringPtr ownedName(name), ownedHeader(header);
    const OpenSslBytesPtr ownedData(data);
    const std::string where = "block " + std::to_string(index + 1) + " of the trust bundle";
    if (std::string_view(name) != "CERTIFICATE") return R::fail(where + " is a " + name + ", not a CERTIFICATE");
    const unsigned char* cursor = data;
    X509Ptr cert(d2i_X509(nullptr, &cursor, length));
    if (!cert || cursor != data + length) {
      drainOpenSslErrors();
      return R::fail(where + " does not parse as one X.509 certificate");
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdLength = 0;
    if (EVP_Digest(data, static_cast<std::size_t>(length), md, &mdLength, EVP_sha256(), nullptr) != 1)
      return R::fail("hashing " + where + " failed: " + drainOpenSslErrors());
    const auto notAfter = asn1TimeToTimePoint(X509_get0_notAfter(cert.get()));
    if (!notAfter) return R::fail(where + " has a malformed notAfter");
    BundleCertificate entry{certificatePem(cert.get()), hex(md, mdLength), *notAfter};
    if (seen.insert(entry.sha256Hex).second) out.push_back(std::move(entry));
  }
  if (out.empty()) return R::fail("the trust bundle holds no certificate");
  return R::ok(std::move(out));
}

std::string joinCertificateBundle(const std::vector<BundleCertificate>& certificates) {
  std::string out;
  for (const auto& c : certificates) out += c.pem;
  return out;
}

}  // namespace signers
