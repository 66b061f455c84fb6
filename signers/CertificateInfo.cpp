#include "signers/CertificateInfo.h"

#include "signers/Asn1Time.h"
#include "signers/OpenSslError.h"
#include "signers/OpenSslPem.h"
#include "signers/OpenSslPtr.h"
#include "signers/RequestDer.h"

#include <openssl/pem.h>

#include <string_view>
#include <vector>

namespace signers {

namespace {

// The first PEM block's DER when it is a CERTIFICATE.
std::optional<std::vector<unsigned char>> firstCertificateDer(const std::string& pem) {
  const BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  const bool read = bio && PEM_read_bio(bio.get(), &name, &header, &data, &len) == 1;
  std::optional<std::vector<unsigned char>> out;
  if (read && std::string_view(name) == "CERTIFICATE") out.emplace(data, data + len);
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_free(data);
  drainOpenSslErrors();
  return out;
}

// Certificate -> TBSCertificate -> [0] version (optional), serialNumber, signature, issuer,
// validity -> notAfter, walked as strict DER without decoding the rest: d2i_X509 also decodes the
// public key through OpenSSL 3's provider decoders, and the cache transform asked this of every
// issued CSR it saw, which cost more CPU than signing the certificate (bench/RESULTS-e2e.md).
// nullopt when the structure is not what RFC 5280 4.1 says; the caller then parses it in full.
std::optional<std::chrono::system_clock::time_point> notAfterFromDer(DerBytes der) {
  DerTlv cert, tbs, field;
  if (!readDerTlv(der, cert) || cert.tag != V_ASN1_SEQUENCE || !cert.constructed) return std::nullopt;
  DerBytes c = cert.content;
  if (!readDerTlv(c, tbs) || tbs.tag != V_ASN1_SEQUENCE || !tbs.constructed) return std::nullopt;
  DerBytes t = tbs.content;
  if (!readDerTlv(t, field)) return std::nullopt;
  if (field.cls == V_ASN1_CONTEXT_SPECIFIC && field.tag == 0 && !readDerTlv(t, field)) return std::nullopt;
  if (field.cls != V_ASN1_UNIVERSAL || field.tag != V_ASN1_INTEGER) return std::nullopt;  // serialNumber
  for (int i = 0; i < 3; ++i)                                                             // signature, issuer, validity
    if (!readDerTlv(t, field) || field.cls != V_ASN1_UNIVERSAL || field.tag != V_ASN1_SEQUENCE) return std::nullopt;
  DerBytes validity = field.content;
  DerTlv notBefore, notAfter;
  if (!readDerTlv(validity, notBefore) || !readDerTlv(validity, notAfter) || !validity.empty()) return std::nullopt;
  if (notAfter.cls != V_ASN1_UNIVERSAL || (notAfter.tag != V_ASN1_UTCTIME && notAfter.tag != V_ASN1_GENERALIZEDTIME)) return std::nullopt;
  const unsigned char* p = notAfter.whole.data();
  const Asn1TimePtr time(d2i_ASN1_TIME(nullptr, &p, static_cast<long>(notAfter.whole.size())));
  drainOpenSslErrors();
  if (!time) return std::nullopt;
  return asn1TimeToTimePoint(time.get());
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> certificateNotAfter(const std::string& pem) {
  if (const auto der = firstCertificateDer(pem))
    if (auto notAfter = notAfterFromDer(*der)) return notAfter;
  const X509Ptr cert = readFirstCertificate(pem);
  if (!cert) return std::nullopt;
  return asn1TimeToTimePoint(X509_get0_notAfter(cert.get()));
}

bool certificateExpired(const std::string& pem, std::chrono::system_clock::time_point now) {
  auto notAfter = certificateNotAfter(pem);
  return notAfter && *notAfter < now;
}

}  // namespace signers
