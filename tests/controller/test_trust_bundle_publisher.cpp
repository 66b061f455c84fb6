// The ClusterTrustBundle publisher on a scripted API server holding bundles in memory: created at
// start, nothing written when nothing changed, both CAs kept during a rotation until nothing the
// old one issued can be valid (also across a restart), garbage collection of our bundles only,
// and a bundle we did not create left alone.
#include "controller/Metrics.h"
#include "controller/TrustBundlePublisher.h"
#include "k8sclient/KubeClient.h"
#include "k8sclient/Rfc3339.h"
#include "signers/TrustBundle.h"
#include "tests/k8sclient/Fakes.h"
#include "tests/support/FakeClock.h"
#include "tests/support/TestPki.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>

namespace {

using nlohmann::json;
constexpr const char* kBase = "/apis/certificates.k8s.io/v1/clustertrustbundles";

std::string decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Cluster-scoped bundles by name, with the verbs the publisher uses and a label selector of
// comma-separated key=value pairs.
struct BundleApi {
  std::map<std::string, json> bundles;
  int writes = 0, rv = 1;
  int forbidCreate = 0;

  static bool matches(const json& obj, const std::string& selector) {
    std::size_t start = 0;
    while (start < selector.size()) {
      auto end = selector.find(',', start);
      if (end == std::string::npos) end = selector.size();
      const auto pair = selector.substr(start, end - start);
      const auto eq = pair.find('=');
      const auto labels = obj["metadata"].value("labels", json::object());
      if (labels.value(pair.substr(0, eq), std::string("\x01")) != pair.substr(eq + 1)) return false;
      start = end + 1;
    }
    return true;
  }

  k8s::HttpResponse handle(const k8s::HttpRequest& r) {
    const std::string path = r.path.substr(0, r.path.find('?'));
    const std::string name = path.size() > std::string(kBase).size() ? decode(path.substr(std::string(kBase).size() + 1)) : "";
    const auto notFound = k8stest::respond(404, R"({"kind":"Status","code":404,"reason":"NotFound"})");
    if (r.method == "GET" && name.empty()) {
      const auto q = r.path.find("labelSelector=");
      const std::string selector = q == std::string::npos ? "" : decode(r.path.substr(q + 14, r.path.find('&', q) - q - 14));
      json items = json::array();
      for (const auto& [n, obj] : bundles)
        if (matches(obj, selector)) items.push_back(obj);
      return k8stest::respond(200, json{{"items", items}, {"metadata", {{"resourceVersion", std::to_string(rv)}}}}.dump());
    }
    if (r.method == "GET") return bundles.count(name) ? k8stest::respond(200, bundles[name].dump()) : notFound;
    if (r.method == "DELETE") {
      ++writes;
      if (!bundles.erase(name)) return notFound;
      return k8stest::respond(200, "{}");
    }
    json obj = json::parse(r.body);
    if (r.method == "POST" && forbidCreate > 0) {
      --forbidCreate;
      return k8stest::respond(403, R"({"kind":"Status","code":403,"reason":"Forbidden","message":"cannot attest"})");
    }
    if (r.method == "PUT" && bundles[obj["metadata"]["name"]]["metadata"]["resourceVersion"] != obj["metadata"]["resourceVersion"])
      return k8stest::respond(409, R"({"kind":"Status","code":409,"reason":"Conflict"})");
    ++writes;
    obj["metadata"]["resourceVersion"] = std::to_string(++rv);
    obj["metadata"]["uid"] = "uid-" + obj["metadata"]["name"].get<std::string>();
    bundles[obj["metadata"]["name"]] = obj;
    return k8stest::respond(r.method == "POST" ? 201 : 200, obj.dump());
  }
};

struct Harness {
  Harness() {
    transport->onSend = [this](const k8s::HttpRequest& r) { return api.handle(r); };
  }
  csrop::TrustBundlePublisher publisher(std::vector<csrop::TrustBundleSource> sources) {
    return csrop::TrustBundlePublisher(*client, {"v1", "csr-operator"}, std::move(sources), metrics, clock);
  }
  csrop::TrustBundleSource source(const std::string& name) {
    return {name, [this] { return caPem; }, std::chrono::hours(24)};
  }
  std::vector<std::string> bundleIds(const std::string& name) {
    auto read = signers::readCertificateBundle(api.bundles.at(name)["spec"]["trustBundle"].get<std::string>());
    REQUIRE(read.ok());
    std::vector<std::string> ids;
    for (const auto& c : read.value()) ids.push_back(c.sha256Hex);
    return ids;
  }
  static std::string idOf(const std::string& pem) { return signers::readCertificateBundle(pem).value().front().sha256Hex; }

  BundleApi api;
  std::shared_ptr<k8stest::FakeTransport> transport = std::make_shared<k8stest::FakeTransport>();
  std::unique_ptr<k8s::KubeClient> client = std::make_unique<k8s::KubeClient>(transport, [] {
    k8s::ClientOptions o;
    o.maxRetries = 0;
    return o;
  }());
  csrop::Metrics metrics;
  std::shared_ptr<testsupport::FakeClock> clock = std::make_shared<testsupport::FakeClock>();
  std::string caPem = testpki::makeCa({.commonName = "pods-ca-1"}).certPem();
};

constexpr const char* kBundle = "example.com:pods:csr-operator";

}  // namespace

TEST_CASE("trust bundle: the bundle name is the signer name with / as : and the suffix") {
  CHECK(csrop::TrustBundlePublisher::bundleName("example.com/pods", "csr-operator") == kBundle);
  CHECK(csrop::TrustBundlePublisher::bundleName("a.example.com/x/y", "s") == "a.example.com:x:y:s");
}

TEST_CASE("trust bundle: created signer-linked and labelled, then left alone while nothing changes") {
  Harness h;
  auto publisher = h.publisher({h.source("example.com/pods")});
  CHECK_FALSE(publisher.reconcile().retry);
  REQUIRE(h.api.bundles.count(kBundle));
  const auto& ctb = h.api.bundles.at(kBundle);
  CHECK(ctb["apiVersion"] == "certificates.k8s.io/v1");
  CHECK(ctb["spec"]["signerName"] == "example.com/pods");
  CHECK(ctb["metadata"]["labels"]["csr-operator.io/trust-bundle"] == "csr-operator");
  CHECK(ctb["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "csr-operator");
  CHECK(h.bundleIds(kBundle) == std::vector<std::string>{Harness::idOf(h.caPem)});
  CHECK(h.api.writes == 1);
  CHECK(h.metrics.value(csrop::metric::kTrustBundleWrites, {{"signer", "example.com/pods"}, {"action", "create"}}) == 1);
  CHECK_FALSE(publisher.reconcile().retry);
  CHECK(h.api.writes == 1);
}

TEST_CASE("trust bundle: a CA rotation keeps the outgoing CA until nothing it issued is valid, across a restart") {
  Harness h;
  const std::string oldPem = h.caPem;
  CHECK_FALSE(h.publisher({h.source("example.com/pods")}).reconcile().retry);
  h.caPem = testpki::makeCa({.commonName = "pods-ca-2"}).certPem();
  const auto swap = h.clock->systemNow();
  CHECK_FALSE(h.publisher({h.source("example.com/pods")}).reconcile().retry);
  CHECK(h.bundleIds(kBundle) == std::vector<std::string>{Harness::idOf(h.caPem), Harness::idOf(oldPem)});
  const auto annotation = h.api.bundles.at(kBundle)["metadata"]["annotations"]["csr-operator.io/retain-until"].get<std::string>();
  CHECK(annotation == Harness::idOf(oldPem) + "=" + k8s::formatRfc3339(swap + std::chrono::hours(24)));

  // A restart 23 hours later: the promise recorded at the swap holds, not "now + 24h".
  h.clock->advance(std::chrono::hours(23));
  CHECK_FALSE(h.publisher({h.source("example.com/pods")}).reconcile().retry);
  CHECK(h.bundleIds(kBundle).size() == 2);
  CHECK(h.api.bundles.at(kBundle)["metadata"]["annotations"]["csr-operator.io/retain-until"] == annotation);

  h.clock->advance(std::chrono::hours(1) + std::chrono::seconds(1));
  CHECK_FALSE(h.publisher({h.source("example.com/pods")}).reconcile().retry);
  CHECK(h.bundleIds(kBundle) == std::vector<std::string>{Harness::idOf(h.caPem)});
  CHECK_FALSE(h.api.bundles.at(kBundle)["metadata"].contains("annotations"));
}

TEST_CASE("trust bundle: the outgoing CA is dropped at its own notAfter when that comes first") {
  Harness h;
  const std::string oldPem = h.caPem;
  CHECK_FALSE(h.publisher({h.source("example.com/pods")}).reconcile().retry);
  h.caPem = testpki::makeCa({.commonName = "pods-ca-2"}).certPem();
  auto longLived = h.source("example.com/pods");
  longLived.maxLifetime = std::chrono::hours(24 * 365 * 10);
  CHECK_FALSE(h.publisher({longLived}).reconcile().retry);
  const auto until =
      csrop::parseRetainUntil(h.api.bundles.at(kBundle)["metadata"]["annotations"]["csr-operator.io/retain-until"].get<std::string>());
  REQUIRE(until.size() == 1);
  CHECK(until.begin()->second == signers::readCertificateBundle(oldPem).value().front().notAfter);
}

TEST_CASE("trust bundle: ours of removed signers are deleted, others' bundles are never touched") {
  Harness h;
  CHECK_FALSE(h.publisher({h.source("example.com/pods"), h.source("example.com/old")}).reconcile().retry);
  REQUIRE(h.api.bundles.count("example.com:old:csr-operator"));
  h.api.bundles["example.com:old:other"] = {
      {"metadata",
       {{"name", "example.com:old:other"},
        {"labels", {{"app.kubernetes.io/managed-by", "csr-operator"}, {"csr-operator.io/trust-bundle", "other"}}}}},
      {"spec", {{"signerName", "example.com/old"}}}};
  h.api.bundles["unlinked"] = {{"metadata", {{"name", "unlinked"}}}, {"spec", {{"trustBundle", "x"}}}};
  CHECK_FALSE(h.publisher({h.source("example.com/pods")}).reconcile().retry);
  CHECK_FALSE(h.api.bundles.count("example.com:old:csr-operator"));
  CHECK(h.api.bundles.count("example.com:old:other"));
  CHECK(h.api.bundles.count("unlinked"));
  CHECK(h.api.bundles.count(kBundle));
  CHECK(h.metrics.value(csrop::metric::kTrustBundleWrites, {{"signer", "example.com/old"}, {"action", "delete"}}) == 1);
  const auto& last = h.transport->requests.back();
  CHECK(last.method == "DELETE");
  CHECK(json::parse(last.body)["preconditions"]["uid"] == "uid-example.com:old:csr-operator");
}

TEST_CASE("trust bundle: a bundle with our name that we did not create is left alone") {
  Harness h;
  h.api.bundles[kBundle] = {{"metadata", {{"name", kBundle}, {"resourceVersion", "1"}}},
                            {"spec", {{"signerName", "example.com/pods"}, {"trustBundle", "theirs"}}}};
  CHECK_FALSE(h.publisher({h.source("example.com/pods")}).reconcile().retry);
  CHECK(h.api.bundles.at(kBundle)["spec"]["trustBundle"] == "theirs");
  CHECK(h.api.writes == 0);
}

TEST_CASE("trust bundle: a refused write or an unreadable CA is retried, and the other signers still publish") {
  Harness h;
  h.api.forbidCreate = 1;
  auto broken = h.source("example.com/broken");
  broken.caPem = [] { return std::string("not a certificate"); };
  const auto r = h.publisher({h.source("example.com/pods"), broken, h.source("example.com/third")}).reconcile();
  CHECK(r.retry);
  CHECK(r.error.find("create clustertrustbundle example.com:pods:csr-operator failed") != std::string::npos);
  CHECK_FALSE(h.api.bundles.count(kBundle));
  CHECK_FALSE(h.api.bundles.count("example.com:broken:csr-operator"));
  CHECK(h.api.bundles.count("example.com:third:csr-operator"));
  CHECK_FALSE(h.publisher({h.source("example.com/pods"), h.source("example.com/third")}).reconcile().retry);
  CHECK(h.api.bundles.count(kBundle));
}

TEST_CASE("trust bundle: the retain-until annotation is read leniently and written sorted") {
  using namespace std::chrono;
  const auto t = system_clock::time_point(seconds(1767225600));
  const auto parsed = csrop::parseRetainUntil("bb=2026-01-01T00:00:00Z,,=x,aa=garbage,cc");
  REQUIRE(parsed.size() == 1);
  CHECK(parsed.at("bb") == t);
  CHECK(csrop::formatRetainUntil({{"b", t}, {"a", t + hours(1)}}) == "a=2026-01-01T01:00:00Z,b=2026-01-01T00:00:00Z");
}

TEST_CASE("trust bundle: readCertificateBundle refuses what the API server would") {
  const auto ca = testpki::makeCa({.commonName = "one"}).certPem();
  CHECK(signers::readCertificateBundle(ca + ca).value().size() == 1);  // duplicates dropped
  CHECK_FALSE(signers::readCertificateBundle("").ok());
  CHECK(signers::readCertificateBundle("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").error().find("not a CERTIFICATE") !=
        std::string::npos);
  CHECK_FALSE(signers::readCertificateBundle("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n").ok());
}
