#include "signers/CertificateInfo.h"

#include "signers/OpenSslPtr.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>

namespace signers {

std::optional<std::chrono::system_clock::time_point> certificateNotAfter(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return std::nullopt;
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return std::nullopt;
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1) return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

bool certificateExpired(const std::string& pem, std::chrono::system_clock::time_point now) {
  auto notAfter = certificateNotAfter(pem);
  return notAfter && *notAfter < now;
}

}  // namespace signers
