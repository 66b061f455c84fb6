#include <doctest/doctest.h>

#include <cctype>
#include <nlohmann/json.hpp>

#include "k8sclient/Base64.h"
#include "k8sclient/Objects.h"

using namespace k8s;
using nlohmann::json;

namespace {
const char* kPem = "-----BEGIN CERTIFICATE REQUEST-----\nMIIBbase\n-----END CERTIFICATE REQUEST-----\n";

json csrJson() {
  return json{{"apiVersion", "certificates.k8s.io/v1"},
              {"kind", "CertificateSigningRequest"},
              {"metadata",
               {{"name", "node-csr-1"},
                {"uid", "u-1"},
                {"resourceVersion", "42"},
                {"creationTimestamp", "2026-11-23T10:00:00Z"},
                {"labels", {{"a", "b"}}},
                {"managedFields", json::array({{{"manager", "kubelet"}}})},
                {"ownerReferences", json::array({{{"kind", "Node"}, {"name", "n1"}}})}}},
              {"spec",
               {{"request", base64Encode(kPem)},
                {"signerName", "kubernetes.io/kubelet-serving"},
                {"expirationSeconds", 86400},
                {"usages", {"digital signature", "server auth"}},
                {"username", "system:node:n1"},
                {"uid", "abc"},
                {"groups", {"system:nodes", "system:authenticated"}},
                {"extra", {{"scope", {"x", "y"}}}},
                {"futureField", {{"nested", true}}}}},
              {"status",
               {{"conditions", json::array({{{"type", "Approved"},
                                             {"status", "True"},
                                             {"reason", "AutoApproved"},
                                             {"message", "ok"},
                                             {"lastUpdateTime", "2026-11-23T10:00:01Z"},
                                             {"lastTransitionTime", "2026-11-23T10:00:01Z"}}})},
                {"certificate", base64Encode("-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n")}}}};
}
}  // namespace

TEST_CASE("base64 round trip and strict decoding") {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)})
    CHECK(base64Decode(base64Encode(s)) == s);
  CHECK(base64Encode("hello") == "aGVsbG8=");
  CHECK(base64Decode("aGVs\nbG8=") == std::string("hello"));
  CHECK_FALSE(base64Decode("aGVsbG8"));
  CHECK_FALSE(base64Decode("aGV*bG8="));
  CHECK_FALSE(base64Decode("aG=sbG8="));
}

namespace {
// The decoding rules written the slow, obvious way: whitespace dropped first, then quantum by quantum.
std::optional<std::string> referenceDecode(std::string_view text) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string clean;
  for (char c : text)
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') clean += c;
  if (clean.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < clean.size(); i += 4) {
    int pad = 0;
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = clean[i + k];
      if (c == '=') {
        if (i + 4 != clean.size() || k < 2) return std::nullopt;
        ++pad;
        v <<= 6;
        continue;
      }
      if (pad || alphabet.find(c) == std::string::npos) return std::nullopt;
      v = (v << 6) | uint32_t(alphabet.find(c));
    }
    out += char((v >> 16) & 0xff);
    if (pad < 2) out += char((v >> 8) & 0xff);
    if (pad < 1) out += char(v & 0xff);
  }
  return out;
}
}  // namespace

TEST_CASE("base64Decode agrees with the rules written out, on every text of up to 7 characters from a mixed alphabet") {
  const std::string symbols = "Az/=\n *";
  std::size_t checked = 0, decoded = 0;
  for (std::size_t length = 0; length <= 7; ++length) {
    std::vector<std::size_t> digit(length, 0);
    for (;;) {
      std::string text;
      for (auto d : digit) text += symbols[d];
      const auto got = base64Decode(text);
      const auto want = referenceDecode(text);
      if (got != want) FAIL_CHECK("base64Decode(\"" << text << "\") disagrees with the reference");
      ++checked;
      decoded += want.has_value();
      std::size_t i = 0;
      while (i < length && ++digit[i] == symbols.size()) digit[i++] = 0;
      if (i == length) break;
    }
  }
  CHECK(checked == 960'800);  // 7 symbols, lengths 0 to 7
  CHECK(decoded > 1000);
  for (std::size_t n = 0; n < 300; ++n) {
    std::string bytes;
    for (std::size_t i = 0; i < n; ++i) bytes += char((i * 131 + n) & 0xff);
    CHECK(base64Decode(base64Encode(bytes)) == bytes);
    CHECK(referenceDecode(base64Encode(bytes)) == bytes);
  }
}

TEST_CASE("CSR decodes every v1 field") {
  auto csr = csrJson().get<CertificateSigningRequest>();
  CHECK(csr.metadata.name == "node-csr-1");
  CHECK(csr.metadata.resourceVersion == "42");
  CHECK(csr.metadata.labels.at("a") == "b");
  CHECK(csr.spec.request == kPem);
  CHECK(csr.spec.signerName == "kubernetes.io/kubelet-serving");
  CHECK(csr.spec.expirationSeconds == 86400);
  CHECK(csr.spec.usages.size() == 2);
  CHECK(csr.spec.username == "system:node:n1");
  CHECK(csr.spec.uid == "abc");
  CHECK(csr.spec.groups[0] == "system:nodes");
  CHECK(csr.spec.extra.at("scope") == std::vector<std::string>{"x", "y"});
  REQUIRE(csr.status.conditions.size() == 1);
  CHECK(csr.status.conditions[0].lastTransitionTime == "2026-11-23T10:00:01Z");
  CHECK(csr.status.certificate.find("BEGIN CERTIFICATE") != std::string::npos);
  CHECK(hasCondition(csr, "Approved"));
  CHECK_FALSE(hasCondition(csr, "Denied"));
  CHECK(findCondition(csr, "Approved")->reason == "AutoApproved");
}

TEST_CASE("CSR round trip preserves unknown fields and applies changes") {
  json in = csrJson();
  auto csr = in.get<CertificateSigningRequest>();
  CHECK(json(csr) == in);

  csr.status.conditions.push_back({"Failed", "True", "SignerError", "boom", "t", "t"});
  csr.metadata.labels.clear();
  csr.spec.expirationSeconds.reset();
  json out = csr;
  CHECK(out["metadata"]["managedFields"] == in["metadata"]["managedFields"]);
  CHECK(out["metadata"]["ownerReferences"] == in["metadata"]["ownerReferences"]);
  CHECK(out["spec"]["futureField"] == in["spec"]["futureField"]);
  CHECK_FALSE(out["metadata"].contains("labels"));
  CHECK_FALSE(out["spec"].contains("expirationSeconds"));
  CHECK(out["status"]["conditions"].size() == 2);
  CHECK(out["spec"]["request"] == in["spec"]["request"]);
}

TEST_CASE("CSR with bad base64 in spec.request is rejected with the field name") {
  json in = csrJson();
  in["spec"]["request"] = "not base64!";
  CHECK_THROWS_WITH_AS(in.get<CertificateSigningRequest>(), doctest::Contains("spec.request"), std::runtime_error);
}

TEST_CASE("a fresh CSR serialises with apiVersion and kind and without status") {
  CertificateSigningRequest csr;
  csr.metadata.generateName = "csr-";
  csr.spec.request = kPem;
  csr.spec.signerName = "example.com/s";
  csr.spec.usages = {"client auth"};
  json j = csr;
  CHECK(j["apiVersion"] == "certificates.k8s.io/v1");
  CHECK(j["kind"] == "CertificateSigningRequest");
  CHECK(j["metadata"]["generateName"] == "csr-");
  CHECK_FALSE(j.contains("status"));
  CHECK(j.get<CertificateSigningRequest>().spec.request == kPem);
}

TEST_CASE("Node addresses and unknown fields") {
  json in = {{"apiVersion", "v1"},
             {"kind", "Node"},
             {"metadata", {{"name", "n1"}, {"resourceVersion", "7"}}},
             {"spec", {{"podCIDR", "10.0.0.0/24"}}},
             {"status",
              {{"addresses", json::array({{{"type", "InternalIP"}, {"address", "10.0.0.5"}}, {{"type", "Hostname"}, {"address", "n1"}}})},
               {"capacity", {{"cpu", "4"}}}}}};
  auto n = in.get<Node>();
  REQUIRE(n.addresses.size() == 2);
  CHECK(n.addresses[0].type == "InternalIP");
  CHECK(n.addresses[0].address == "10.0.0.5");
  CHECK(json(n) == in);
}

TEST_CASE("Lease round trip") {
  json in = {{"apiVersion", "coordination.k8s.io/v1"},
             {"kind", "Lease"},
             {"metadata", {{"name", "csr-operator"}, {"namespace", "kube-system"}, {"resourceVersion", "9"}}},
             {"spec",
              {{"holderIdentity", "pod-a"},
               {"leaseDurationSeconds", 15},
               {"acquireTime", "2026-11-23T10:00:00.000000Z"},
               {"renewTime", "2026-11-23T10:00:05.123456Z"},
               {"leaseTransitions", 2},
               {"preferredHolder", "x"}}}};
  auto l = in.get<Lease>();
  CHECK(l.holderIdentity == "pod-a");
  CHECK(l.leaseDurationSeconds == 15);
  CHECK(l.leaseTransitions == 2);
  CHECK(l.renewTime == "2026-11-23T10:00:05.123456Z");
  CHECK(json(l) == in);
  l.holderIdentity.reset();
  json out = l;
  CHECK_FALSE(out["spec"].contains("holderIdentity"));
  CHECK(out["spec"]["preferredHolder"] == "x");
  Lease fresh;
  CHECK_FALSE(json(fresh)["spec"].contains("holderIdentity"));
}

TEST_CASE("SubjectAccessReview request and response") {
  SubjectAccessReview sar;
  sar.spec.user = "system:node:n1";
  sar.spec.groups = {"system:nodes"};
  sar.spec.extra = {{"k", {"v"}}};
  sar.spec.resourceAttributes = {"", "create", "certificates.k8s.io", "", "certificatesigningrequests", "selfnodeclient", ""};
  json j = sar;
  CHECK(j["apiVersion"] == "authorization.k8s.io/v1");
  CHECK(j["spec"]["resourceAttributes"]["subresource"] == "selfnodeclient");
  CHECK_FALSE(j["spec"]["resourceAttributes"].contains("namespace"));
  j["status"] = {{"allowed", true}, {"reason", "RBAC: allowed"}};
  auto back = j.get<SubjectAccessReview>();
  CHECK(back.status.allowed);
  CHECK_FALSE(back.status.denied);
  CHECK(back.status.reason == "RBAC: allowed");
  CHECK(back.spec.resourceAttributes.verb == "create");
}

TEST_CASE("Event round trip") {
  json in = {{"apiVersion", "v1"},
             {"kind", "Event"},
             {"metadata", {{"name", "csr.1"}, {"namespace", "default"}}},
             {"involvedObject",
              {{"kind", "CertificateSigningRequest"},
               {"apiVersion", "certificates.k8s.io/v1"},
               {"name", "csr"},
               {"uid", "u"},
               {"resourceVersion", "3"}}},
             {"reason", "Approved"},
             {"message", "ok"},
             {"type", "Normal"},
             {"source", {{"component", "csr-operator"}}},
             {"reportingComponent", "csr-operator"},
             {"reportingInstance", "pod-a"},
             {"firstTimestamp", "2026-11-23T10:00:00Z"},
             {"lastTimestamp", "2026-11-23T10:00:00Z"},
             {"count", 1},
             {"action", "Approve"},
             {"eventTime", nullptr}};
  auto e = in.get<Event>();
  CHECK(e.involvedObject.kind == "CertificateSigningRequest");
  CHECK(e.source.component == "csr-operator");
  CHECK(e.count == 1);
  CHECK(json(e) == in);
}

namespace {
// Matches text against a shape where '9' stands for any digit (std::regex trips GCC 12 warnings under ASan).
bool shaped(const std::string& text, const std::string& shape) {
  if (text.size() != shape.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (shape[i] == '9' ? !std::isdigit(static_cast<unsigned char>(text[i])) : text[i] != shape[i]) return false;
  }
  return true;
}
}  // namespace

TEST_CASE("timestamps") {
  CHECK(shaped(nowRfc3339(), "9999-99-99T99:99:99Z"));
  CHECK(shaped(nowRfc3339Micro(), "9999-99-99T99:99:99.999999Z"));
}

TEST_CASE("resource traits") {
  auto r = ResourceRef::of<CertificateSigningRequest>();
  CHECK(r.apiVersion() == "certificates.k8s.io/v1");
  CHECK_FALSE(r.namespaced);
  CHECK(ResourceRef::of<Node>().apiVersion() == "v1");
  CHECK(ResourceRef::of<Lease>().namespaced);
}

TEST_CASE("a number that is not a whole value in its field's range is refused, as Go's encoding/json does") {
  // Found by tests/fuzz/fuzz_objects: 1e300 into an int64 field was undefined behaviour.
  json csr = csrJson();
  csr["spec"]["expirationSeconds"] = 1e300;
  CHECK_THROWS_WITH(csr.get<CertificateSigningRequest>(), doctest::Contains("expirationSeconds"));
  csr["spec"]["expirationSeconds"] = 3600.5;
  CHECK_THROWS(csr.get<CertificateSigningRequest>());
  csr["spec"]["expirationSeconds"] = 3600;
  CHECK(csr.get<CertificateSigningRequest>().spec.expirationSeconds == 3600);

  json lease = {{"metadata", {{"name", "l"}}}, {"spec", {{"leaseDurationSeconds", 4294967296LL}}}};
  CHECK_THROWS_WITH(lease.get<Lease>(), doctest::Contains("leaseDurationSeconds"));
  lease["spec"]["leaseDurationSeconds"] = -2147483649LL;
  CHECK_THROWS(lease.get<Lease>());
  lease["spec"]["leaseDurationSeconds"] = 15;
  CHECK(lease.get<Lease>().leaseDurationSeconds == 15);
}

TEST_CASE("a copy of an object owns its raw JSON: editing one leaves the other as read") {
  const auto original = json{{"metadata", {{"name", "n1"}}}, {"status", {{"nodeInfo", {{"kubeletVersion", "v1.33.0"}}}}}}.get<Node>();
  Node copy = original;
  copy.raw.edit()["status"]["nodeInfo"]["kubeletVersion"] = "v1.34.0";
  Node assigned;
  assigned = original;
  assigned.raw.edit().erase("status");
  CHECK(original.raw.get()["status"]["nodeInfo"]["kubeletVersion"] == "v1.33.0");
  CHECK(json(copy)["status"]["nodeInfo"]["kubeletVersion"] == "v1.34.0");
  CHECK(json(original)["status"]["nodeInfo"]["kubeletVersion"] == "v1.33.0");
  Node moved = std::move(copy);
  CHECK(json(moved)["status"]["nodeInfo"]["kubeletVersion"] == "v1.34.0");
}
