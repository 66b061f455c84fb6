#pragma once
// The certificates of a trust bundle (a ClusterTrustBundle's spec.trustBundle, a CA file), one by
// one: what the controller's bundle publisher compares, keeps and drops during a CA rotation.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "signers/Result.h"

namespace signers {

struct BundleCertificate {
  std::string pem;        // one CERTIFICATE block, re-encoded: no headers, no text around it
  std::string sha256Hex;  // of the DER, lower-case: the certificate's identity in a bundle
  std::chrono::system_clock::time_point notAfter;
};

// Every certificate in `pem`, in order, duplicates dropped. Fails on a block that does not parse,
// on a block that is not a certificate, and on text that holds no certificate at all.
Result<std::vector<BundleCertificate>> readCertificateBundle(std::string_view pem);

// The blocks joined, in order, as a bundle.
std::string joinCertificateBundle(const std::vector<BundleCertificate>& certificates);

}  // namespace signers
