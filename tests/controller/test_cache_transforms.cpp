#include "controller/CacheTransforms.h"

#include <doctest/doctest.h>

#include "k8sclient/Base64.h"
#include "k8sclient/Objects.h"
#include "signers/CertificateInfo.h"
#include "signers/CertificateRequest.h"
#include "tests/support/TestPki.h"

using nlohmann::json;

namespace {

json pendingCsr(const std::string& request) {
  return {
      {"metadata",
       {{"name", "c"},
        {"uid", "u"},
        {"resourceVersion", "3"},
        {"managedFields", json::array({{{"manager", "kubelet"}}})},
        {"labels", {{"a", std::string(1000, 'l')}}},
        {"annotations", {{"b", std::string(1000, 'a')}}},
        {"ownerReferences", json::array({{{"name", "o"}}})}}},
      {"spec", {{"request", k8s::base64Encode(request)}, {"signerName", "kubernetes.io/kubelet-serving"}, {"username", "system:node:n"}}}};
}

}  // namespace

TEST_CASE("cache transform: requester-controlled metadata goes from every CSR, and a pending one is marked for a fresh read") {
  json csr = pendingCsr("-----BEGIN CERTIFICATE REQUEST-----\n");
  csrop::compactCsr(csr);
  for (const char* key : {"managedFields", "labels", "annotations", "ownerReferences"}) CHECK_FALSE(csr["metadata"].contains(key));
  CHECK(csr["metadata"]["uid"] == "u");
  CHECK(csrop::readCachedCsr(csr).needsFreshRead);
  CHECK(csrop::readCachedCsr(csr).phase == csrop::CsrPhase::Pending);
  CHECK(csr.get<k8s::CertificateSigningRequest>().spec.request == "-----BEGIN CERTIFICATE REQUEST-----\n");

  json plain = pendingCsr("x");
  plain["metadata"].erase("labels");
  plain["metadata"].erase("annotations");
  plain["metadata"].erase("ownerReferences");
  csrop::compactCsr(plain);
  CHECK_FALSE(csrop::readCachedCsr(plain).needsFreshRead);  // managedFields alone: a PUT without them keeps the server's

  json decided = pendingCsr("x");
  decided["status"] = {{"conditions", json::array({{{"type", "Denied"}, {"status", "True"}, {"message", std::string(500, 'm')}}})}};
  csrop::compactCsr(decided);
  CHECK(decided["metadata"] == json{{"name", "c"}, {"uid", "u"}, {"resourceVersion", "3"}});
  CHECK_FALSE(decided["spec"].contains("request"));
  CHECK_FALSE(decided["status"]["conditions"][0].contains("message"));
  CHECK(csrop::readCachedCsr(decided).phase == csrop::CsrPhase::Denied);
}

TEST_CASE("cache transform: an issued CSR keeps the facts (issued, NotAfter) instead of its certificate") {
  const auto ca = testpki::makeCa({});
  const auto notAfter = signers::certificateNotAfter(ca.certPem());
  REQUIRE(notAfter);
  json issued = pendingCsr("x");
  issued["status"] = {{"conditions", json::array({{{"type", "Approved"}, {"status", "True"}}})},
                      {"certificate", k8s::base64Encode(ca.certPem())}};
  const auto fromApi = csrop::readCachedCsr(issued);
  CHECK(fromApi.phase == csrop::CsrPhase::Issued);
  CHECK(fromApi.certificateNotAfter == notAfter);

  csrop::compactCsr(issued);
  CHECK_FALSE(issued["status"].contains("certificate"));
  const auto cached = csrop::readCachedCsr(issued);
  CHECK(cached.csr.status.certificate.empty());
  CHECK(cached.phase == csrop::CsrPhase::Issued);
  REQUIRE(cached.certificateNotAfter);
  CHECK(std::chrono::duration_cast<std::chrono::seconds>(*notAfter - *cached.certificateNotAfter).count() == 0);
  CHECK_FALSE(cached.needsFreshRead);
  CHECK_FALSE(nlohmann::json(cached.csr).contains("csrOperatorFacts"));  // never written back to the API
}

TEST_CASE("cache transform: a cached tree handed over reads as the same CSR as a copied one, without the facts") {
  const auto ca = testpki::makeCa({});
  json issued = pendingCsr("x");
  issued["status"] = {{"conditions", json::array({{{"type", "Approved"}, {"status", "True"}}})},
                      {"certificate", k8s::base64Encode(ca.certPem())}};
  json pending = pendingCsr("y");
  json oddFacts = pendingCsr("z");
  csrop::compactCsr(issued);
  csrop::compactCsr(pending);
  oddFacts["csrOperatorFacts"] = "not an object";
  for (const json& cached : {issued, pending, oddFacts}) {
    CAPTURE(cached.dump());
    const auto copied = csrop::readCachedCsr(cached);
    const auto moved = csrop::readCachedCsr(json(cached));
    CHECK(moved.phase == copied.phase);
    CHECK(moved.certificateNotAfter == copied.certificateNotAfter);
    CHECK(moved.needsFreshRead == copied.needsFreshRead);
    CHECK(json(moved.csr) == json(copied.csr));
    CHECK_FALSE(moved.csr.raw.get().contains("csrOperatorFacts"));
    CHECK(moved.csr.metadata.name == "c");
  }
}

TEST_CASE("cache transform: an issued certificate that does not parse is issued with no NotAfter") {
  json issued = pendingCsr("x");
  issued["status"] = {{"conditions", json::array({{{"type", "Approved"}, {"status", "True"}}})},
                      {"certificate", k8s::base64Encode("-----BEGIN CERTIFICATE-----\nnot a certificate\n")}};
  csrop::compactCsr(issued);
  const auto cached = csrop::readCachedCsr(issued);
  CHECK(cached.phase == csrop::CsrPhase::Issued);
  CHECK_FALSE(cached.certificateNotAfter);
}

TEST_CASE("cache transform: a request over the parser's limit becomes the marker the parser refuses the same way") {
  const std::string big(signers::RequestLimits{}.maxPemBytes + 1, 'r');
  json csr = pendingCsr(big);
  csrop::compactCsr(csr);
  const auto cached = csr.get<k8s::CertificateSigningRequest>().spec.request;
  CHECK(cached.size() < 100);
  CHECK(cached.starts_with(signers::kOversizedRequestMarker));
  const auto fromCache = signers::parseCertificateRequest(cached), real = signers::parseCertificateRequest(big);
  REQUIRE_FALSE(fromCache);
  CHECK(fromCache.error() == real.error());

  const std::string atLimit(signers::RequestLimits{}.maxPemBytes, 'r');
  json kept = pendingCsr(atLimit);
  csrop::compactCsr(kept);
  CHECK(kept.get<k8s::CertificateSigningRequest>().spec.request == atLimit);
}

TEST_CASE("cache transform: a Node keeps its deletionTimestamp, names and addresses only, not its uid") {
  json node = {
      {"metadata",
       {{"name", "n"}, {"uid", "u"}, {"resourceVersion", "1"}, {"deletionTimestamp", "2026-01-01T00:00:00Z"}, {"labels", {{"x", "y"}}}}},
      {"spec", {{"podCIDR", "10.0.0.0/24"}}},
      {"status", {{"addresses", json::array({{{"type", "InternalIP"}, {"address", "10.0.0.1"}}})}, {"images", json::array()}}}};
  csrop::compactNode(node);
  CHECK(node["metadata"]["deletionTimestamp"] == "2026-01-01T00:00:00Z");
  CHECK_FALSE(node["metadata"].contains("labels"));
  CHECK_FALSE(node["metadata"].contains("uid"));
  CHECK(node["metadata"]["name"] == "n");
  CHECK(node["metadata"]["resourceVersion"] == "1");
  CHECK_FALSE(node.contains("spec"));
  CHECK(node["status"] == json{{"addresses", json::array({{{"type", "InternalIP"}, {"address", "10.0.0.1"}}})}});
  CHECK_FALSE(node.get<k8s::Node>().metadata.deletionTimestamp.empty());
}
