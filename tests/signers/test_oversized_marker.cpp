#include <doctest/doctest.h>

#include <string>

#include "signers/CertificateRequest.h"

using namespace signers;

TEST_CASE("oversized-request marker: refused with the original size, like the request it stands for") {
  const std::string big(70 * 1024, 'x');
  const auto real = parseCertificateRequest(big);
  const auto marked = parseCertificateRequest(std::string(kOversizedRequestMarker) + std::to_string(big.size()));
  REQUIRE_FALSE(real);
  REQUIRE_FALSE(marked);
  CHECK(marked.error() == real.error());
  CHECK(marked.error().find("more than the limit of 65536") != std::string::npos);
}

TEST_CASE("oversized-request marker: a requester's own marker text is refused and echoes nothing of it") {
  const std::string forged = std::string(kOversizedRequestMarker) + "1\ndecision=approved";
  const auto r = parseCertificateRequest(forged);
  REQUIRE_FALSE(r);
  CHECK(r.error().find("decision") == std::string::npos);
  CHECK(r.error() == "request is " + std::to_string(forged.size()) + " bytes, more than the limit of 65536");
}
