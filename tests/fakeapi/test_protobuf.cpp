#include "tests/fakeapi/Protobuf.h"

#include <doctest/doctest.h>

using namespace fakeapi;
using namespace fakeapi::pb;

namespace {
std::string pbTime(int64_t s) { return s ? fieldVarint(1, static_cast<uint64_t>(s)) : std::string(); }
}  // namespace

TEST_CASE("decodes a CSR approval body like client-go sends it") {
  std::string meta = field(1, "node-csr-1") + field(6, "42") + field(11, field(1, "k") + field(2, "v"));
  std::string spec = field(1, "PEMBYTES") + field(2, "system:node:n1") + field(4, "system:nodes") + field(5, "client auth") +
                     field(5, "digital signature") + field(7, "example.com/x") + fieldVarint(8, 3600);
  std::string condition = field(1, "Approved") + field(6, "True") + field(2, "KubectlApprove") + field(3, "ok") +
                          field(4, pbTime(1700000000)) + field(5, pbTime(0));
  std::string status = field(1, condition) + field(2, "CERT");
  std::string body = envelope("certificates.k8s.io/v1", "CertificateSigningRequest", field(1, meta) + field(2, spec) + field(3, status));
  json o = decodeCsr(body);
  CHECK(o["metadata"]["name"] == "node-csr-1");
  CHECK(o["metadata"]["resourceVersion"] == "42");
  CHECK(o["metadata"]["labels"]["k"] == "v");
  CHECK(o["spec"]["request"] == base64Encode("PEMBYTES"));
  CHECK(o["spec"]["usages"] == json({"client auth", "digital signature"}));
  CHECK(o["spec"]["signerName"] == "example.com/x");
  CHECK(o["spec"]["expirationSeconds"] == 3600);
  auto c = o["status"]["conditions"][0];
  CHECK(c["type"] == "Approved");
  CHECK(c["status"] == "True");
  CHECK(c["reason"] == "KubectlApprove");
  CHECK(c["lastUpdateTime"] == "2023-11-14T22:13:20Z");
  CHECK(c["lastTransitionTime"].is_null());
  CHECK(o["status"]["certificate"] == base64Encode("CERT"));
}

TEST_CASE("rejects bodies that are not a CSR envelope") {
  CHECK_THROWS_AS(decodeCsr("{\"json\":true}"), ApiError);
  try {
    decodeCsr(envelope("v1", "Node", ""));
    FAIL("expected 415");
  } catch (const ApiError& e) {
    CHECK(e.code() == 415);
  }
  std::string truncated = envelope("certificates.k8s.io/v1", "CertificateSigningRequest", field(1, field(1, "abc")));
  truncated.resize(truncated.size() - 12);
  CHECK_THROWS_AS(decodeCsr(truncated), ApiError);
}
