#include "signers/CertificateInfo.h"

#include "signers/Asn1Time.h"
#include "signers/OpenSslPem.h"

namespace signers {

std::optional<std::chrono::system_clock::time_point> certificateNotAfter(const std::string& pem) {
  const X509Ptr cert = readFirstCertificate(pem);
  if (!cert) return std::nullopt;
  return asn1TimeToTimePoint(X509_get0_notAfter(cert.get()));
}

bool certificateExpired(const std::string& pem, std::chrono::system_clock::time_point now) {
  auto notAfter = certificateNotAfter(pem);
  return notAfter && *notAfter < now;
}

}  // namespace signers
