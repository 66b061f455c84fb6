// PodCertificateRequest and ClusterTrustBundle: the wire shape of certificates.k8s.io/v1 (and
// v1beta1), read-modify-write keeping unmodeled fields, discovery of the served version, and the
// paths of the typed calls.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "k8sclient/Base64.h"
#include "k8sclient/KubeClient.h"
#include "k8sclient/PodCertificateObjects.h"
#include "tests/k8sclient/Fakes.h"

using namespace k8s;
using nlohmann::json;

namespace {

json pcrJson() {
  return json{{"apiVersion", "certificates.k8s.io/v1"},
              {"kind", "PodCertificateRequest"},
              {"metadata",
               {{"name", "web-0-abc"},
                {"namespace", "shop"},
                {"uid", "pcr-uid"},
                {"resourceVersion", "17"},
                {"creationTimestamp", "2026-12-01T10:00:00Z"},
                {"ownerReferences", json::array({{{"kind", "Pod"}, {"name", "web-0"}}})}}},
              {"spec",
               {{"signerName", "example.com/pods"},
                {"podName", "web-0"},
                {"podUID", "pod-uid"},
                {"serviceAccountName", "web"},
                {"serviceAccountUID", "sa-uid"},
                {"nodeName", "node-a"},
                {"nodeUID", "node-uid"},
                {"maxExpirationSeconds", 86400},
                {"stubPKCS10Request", base64Encode(std::string("\x30\x82\x01\x00", 4))},
                {"unverifiedUserAnnotations", {{"example.com/profile", "mtls"}}},
                {"futureField", {{"nested", true}}}}}};
}

}  // namespace

TEST_CASE("PodCertificateRequest decodes every v1 field, bytes from base64") {
  const auto pcr = pcrJson().get<PodCertificateRequest>();
  CHECK(pcr.apiVersion == "certificates.k8s.io/v1");
  CHECK(pcr.metadata.namespace_ == "shop");
  CHECK(pcr.spec.signerName == "example.com/pods");
  CHECK(pcr.spec.podName == "web-0");
  CHECK(pcr.spec.podUID == "pod-uid");
  CHECK(pcr.spec.serviceAccountName == "web");
  CHECK(pcr.spec.serviceAccountUID == "sa-uid");
  CHECK(pcr.spec.nodeName == "node-a");
  CHECK(pcr.spec.nodeUID == "node-uid");
  CHECK(pcr.spec.maxExpirationSeconds == 86400);
  CHECK(pcr.spec.stubPKCS10Request == std::string("\x30\x82\x01\x00", 4));
  CHECK(pcr.spec.pkixPublicKey.empty());
  CHECK(pcr.spec.unverifiedUserAnnotations.at("example.com/profile") == "mtls");
  CHECK(terminalCondition(pcr) == nullptr);
}

TEST_CASE("PodCertificateRequest v1beta1 key material and a refused base64") {
  json j = pcrJson();
  j["apiVersion"] = "certificates.k8s.io/v1beta1";
  j["spec"].erase("stubPKCS10Request");
  j["spec"]["pkixPublicKey"] = base64Encode("spki");
  j["spec"]["proofOfPossession"] = base64Encode("sig");
  const auto pcr = j.get<PodCertificateRequest>();
  CHECK(pcr.spec.pkixPublicKey == "spki");
  CHECK(pcr.spec.proofOfPossession == "sig");
  CHECK(json(pcr)["apiVersion"] == "certificates.k8s.io/v1beta1");
  j["spec"]["proofOfPossession"] = "not base64!";
  CHECK_THROWS_WITH(j.get<PodCertificateRequest>(), doctest::Contains("spec.proofOfPossession"));
}

TEST_CASE("PodCertificateRequest status write keeps unmodeled fields and writes metav1.Condition") {
  auto pcr = pcrJson().get<PodCertificateRequest>();
  pcr.status.certificateChain = "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n";
  pcr.status.notBefore = "2026-12-01T10:00:05Z";
  pcr.status.beginRefreshAt = "2026-12-01T22:00:05Z";
  pcr.status.notAfter = "2026-12-02T10:00:05Z";
  pcr.status.conditions.push_back({"Issued", "True", "Issued", "issued by csr-operator", "2026-12-01T10:00:05Z", 3});
  const json out = pcr;
  CHECK(out["spec"]["futureField"]["nested"] == true);
  CHECK(out["metadata"]["ownerReferences"][0]["kind"] == "Pod");
  CHECK(out["spec"]["stubPKCS10Request"] == base64Encode(std::string("\x30\x82\x01\x00", 4)));
  CHECK_FALSE(out["spec"].contains("pkixPublicKey"));
  CHECK(out["status"]["notAfter"] == "2026-12-02T10:00:05Z");
  const auto& c = out["status"]["conditions"][0];
  CHECK(c["type"] == "Issued");
  CHECK(c["observedGeneration"] == 3);
  CHECK_FALSE(c.contains("lastUpdateTime"));  // not a field of metav1.Condition
  const auto back = out.get<PodCertificateRequest>();
  REQUIRE(terminalCondition(back) != nullptr);
  CHECK(terminalCondition(back)->type == "Issued");
  CHECK(back.status.beginRefreshAt == "2026-12-01T22:00:05Z");
}

TEST_CASE("PodCertificateRequest: only a True Issued, Denied or Failed condition is terminal") {
  auto pcr = pcrJson().get<PodCertificateRequest>();
  pcr.status.conditions = {{"Issued", "False", "", "", "", std::nullopt}, {"Ready", "True", "", "", "", std::nullopt}};
  CHECK(terminalCondition(pcr) == nullptr);
  pcr.status.conditions.push_back({"Denied", "True", "NotAllowed", "", "", std::nullopt});
  REQUIRE(terminalCondition(pcr) != nullptr);
  CHECK(terminalCondition(pcr)->reason == "NotAllowed");
}

TEST_CASE("ClusterTrustBundle round trip") {
  const json j{{"apiVersion", "certificates.k8s.io/v1beta1"},
               {"kind", "ClusterTrustBundle"},
               {"metadata", {{"name", "example.com:pods:csr-operator"}, {"labels", {{"a", "b"}}}}},
               {"spec", {{"signerName", "example.com/pods"}, {"trustBundle", "PEM"}}}};
  auto ctb = j.get<ClusterTrustBundle>();
  CHECK(ctb.spec.signerName == "example.com/pods");
  CHECK(ctb.spec.trustBundle == "PEM");
  ctb.spec.trustBundle = "PEM2";
  const json out = ctb;
  CHECK(out["apiVersion"] == "certificates.k8s.io/v1beta1");
  CHECK(out["spec"]["trustBundle"] == "PEM2");
  CHECK(out["metadata"]["labels"]["a"] == "b");
  CHECK(json(ClusterTrustBundle{})["apiVersion"] == "certificates.k8s.io/v1");
}

TEST_CASE("discovery prefers v1 and falls back to v1beta1 per resource") {
  auto transport = std::make_shared<k8stest::FakeTransport>();
  ClientOptions o;
  o.maxRetries = 0;
  KubeClient client(transport, o);
  transport->onSend = [](const HttpRequest& r) {
    if (r.path == "/apis/certificates.k8s.io/v1")
      return k8stest::respond(200, R"({"resources":[{"name":"certificatesigningrequests"},{"name":"clustertrustbundles"}]})");
    if (r.path == "/apis/certificates.k8s.io/v1beta1")
      return k8stest::respond(200,
                              R"({"resources":[{"name":"podcertificaterequests"},{"name":"podcertificaterequests/status"},
                                  {"name":"clustertrustbundles"}]})");
    return k8stest::respond(404, R"({"kind":"Status","code":404,"reason":"NotFound"})");
  };
  auto api = discoverCertificatesApi(client);
  CHECK(api.podCertificateRequests == "v1beta1");
  CHECK(api.clusterTrustBundles == "v1");

  transport->onSend = [](const HttpRequest&) { return k8stest::respond(404, R"({"kind":"Status","code":404,"reason":"NotFound"})"); };
  api = discoverCertificatesApi(client);
  CHECK(api.podCertificateRequests.empty());
  CHECK(api.clusterTrustBundles.empty());

  transport->onSend = [](const HttpRequest&) { return k8stest::respond(403, R"({"kind":"Status","code":403,"reason":"Forbidden"})"); };
  CHECK_THROWS_AS(discoverCertificatesApi(client), ApiError);
}

TEST_CASE("typed calls: the status subresource at the discovered version, CTB preconditions, a missing CTB") {
  auto transport = std::make_shared<k8stest::FakeTransport>();
  ClientOptions o;
  o.maxRetries = 0;
  KubeClient client(transport, o);
  transport->onSend = [](const HttpRequest& r) {
    if (r.method == "GET") return k8stest::respond(404, R"({"kind":"Status","code":404,"reason":"NotFound"})");
    return k8stest::respond(200, r.body.empty() ? "{}" : r.body);
  };
  auto pcr = pcrJson().get<PodCertificateRequest>();
  const auto written = updatePodCertificateRequestStatus(client, "v1beta1", pcr);
  CHECK(written.apiVersion == "certificates.k8s.io/v1beta1");
  CHECK(!getClusterTrustBundle(client, "v1", "example.com:pods:x"));
  ClusterTrustBundle ctb;
  ctb.metadata.name = "example.com:pods:x";
  ctb.metadata.uid = "u1";
  ctb.metadata.resourceVersion = "9";
  deleteClusterTrustBundle(client, "v1", ctb);
  const auto& reqs = transport->requests;
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0].method == "PUT");
  CHECK(reqs[0].path == "/apis/certificates.k8s.io/v1beta1/namespaces/shop/podcertificaterequests/web-0-abc/status");
  CHECK(json::parse(reqs[0].body)["metadata"]["resourceVersion"] == "17");
  CHECK(json::parse(reqs[0].body)["apiVersion"] == "certificates.k8s.io/v1beta1");
  CHECK(reqs[1].path == "/apis/certificates.k8s.io/v1/clustertrustbundles/example.com%3Apods%3Ax");
  CHECK(reqs[2].method == "DELETE");
  const auto pre = json::parse(reqs[2].body)["preconditions"];
  CHECK(pre["uid"] == "u1");
  CHECK(pre["resourceVersion"] == "9");
  CHECK(signerNameSelector("example.com/pods").fieldSelector == "spec.signerName=example.com/pods");
}
