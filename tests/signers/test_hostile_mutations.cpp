// Crash-freedom on hostile input: every truncation and many byte mutations of valid requests
// must give either a parsed request or an error, never a crash (run under ASan in CI).
#include <doctest/doctest.h>

#include <openssl/evp.h>

#include <random>

#include "tests/support/TestPki.h"
#include "signers/CertificateRequest.h"
#include "signers/Pem.h"

using namespace signers;
using namespace testpki;

namespace {

std::string toPem(const std::vector<unsigned char>& der) {
  std::string out = "-----BEGIN CERTIFICATE REQUEST-----\n";
  std::vector<unsigned char> line(80);
  for (std::size_t off = 0; off < der.size(); off += 48) {
    int n = EVP_EncodeBlock(line.data(), der.data() + off, static_cast<int>(std::min<std::size_t>(48, der.size() - off)));
    out.append(reinterpret_cast<char*>(line.data()), static_cast<std::size_t>(n));
    out += '\n';
  }
  return out + "-----END CERTIFICATE REQUEST-----\n";
}

}  // namespace

TEST_CASE("hostile: truncations and mutations of valid requests never crash") {
  std::mt19937 rng(12345);
  for (auto key : {KeyKind::Rsa2048, KeyKind::P256, KeyKind::Ed25519}) {
    CsrOptions o = nodeServingCsr();
    o.key = key;
    o.emails = {"a@example.com"};
    o.uris = {"spiffe://x/y"};
    o.extensions = {{"basicConstraints", "critical,CA:FALSE"}, {"keyUsage", "digitalSignature"}};
    auto block = decodeSinglePemBlock(makeCsr(o));
    REQUIRE(block);
    const auto& der = block.value().der;
    REQUIRE(parseCertificateRequest(toPem(der)).ok());
    int accepted = 0;
    for (std::size_t len = 0; len < der.size(); ++len) {
      std::vector<unsigned char> cut(der.begin(), der.begin() + static_cast<long>(len));
      accepted += parseCertificateRequest(toPem(cut)).ok() ? 1 : 0;
    }
    CHECK(accepted == 0);
    for (int i = 0; i < 3000; ++i) {
      auto mutated = der;
      int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits; ++e) {
        std::size_t pos = rng() % mutated.size();
        switch (rng() % 3) {
          case 0: mutated[pos] = static_cast<unsigned char>(rng()); break;
          case 1: mutated[pos] ^= static_cast<unsigned char>(1u << (rng() % 8)); break;
          default: mutated.insert(mutated.begin() + static_cast<long>(pos), static_cast<unsigned char>(rng())); break;
        }
      }
      auto r = parseCertificateRequest(toPem(mutated));
      // A mutation can only be accepted if it left the signed bytes and signature valid, e.g. an
      // edit in a DER length that still decodes identically is impossible in strict DER.
      if (r.ok()) CHECK(mutated == der);
    }
  }
}
