// PodCertificateRequest validation of the fake API server: every rule of
// ValidatePodCertificateRequestCreate / ValidatePodCertificateRequestStatusUpdate
// (pkg/apis/certificates/validation/validation.go) with a case that passes and one that is refused
// with kube's message.
#include "tests/fakeapi/PcrStrategy.h"
#include "tests/support/TestPki.h"

#include <doctest/doctest.h>
#include <openssl/ec.h>

using namespace fakeapi;
using testpki::KeyKind;

namespace {

const std::string kPodUid = "0b6e3c1e-8f55-4f7b-9b43-6c0e2f1d7a10";

std::string b64(const std::string& s) { return base64Encode(s); }

json pcrObject(EVP_PKEY* key, const std::string& signer = "example.com/pods") {
  return {{"apiVersion", "certificates.k8s.io/v1"},
          {"kind", "PodCertificateRequest"},
          {"metadata", {{"name", "app-1-abcde"}, {"namespace", "team-a"}}},
          {"spec",
           {{"signerName", signer},
            {"podName", "app-1"},
            {"podUID", kPodUid},
            {"serviceAccountName", "app"},
            {"serviceAccountUID", "sa-uid-1"},
            {"nodeName", "node-a"},
            {"nodeUID", "node-uid-1"},
            {"maxExpirationSeconds", 86400},
            {"stubPKCS10Request", b64(testpki::stubPkcs10Der(key))}}}};
}

json v1beta1Object(EVP_PKEY* key, const std::string& proofUid = kPodUid) {
  json obj = pcrObject(key);
  obj["apiVersion"] = "certificates.k8s.io/v1beta1";
  obj["spec"].erase("stubPKCS10Request");
  obj["spec"]["pkixPublicKey"] = b64(testpki::publicKeyDer(key));
  obj["spec"]["proofOfPossession"] = b64(testpki::proofOfPossession(key, proofUid));
  return obj;
}

const pcr::Options kV1{true, true};
const pcr::Options kV1beta1{false, true};

std::string messages(const std::vector<FieldError>& errs) {
  std::string out;
  for (const auto& e : errs) out += (out.empty() ? "" : "\n") + e.field + ": " + e.detail;
  return out;
}

// The only error is on `field` and its message contains `text`.
void refusedWith(const std::vector<FieldError>& errs, const std::string& field, const std::string& text) {
  INFO(messages(errs));
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].field == field);
  CHECK(errs[0].detail.find(text) != std::string::npos);
}

}  // namespace

TEST_CASE("PCR create: a complete v1 request passes, maxExpirationSeconds defaults to 86400, status is reset") {
  auto key = testpki::sharedKey(KeyKind::Ed25519, "pcr");
  json obj = pcrObject(key.get());
  obj["spec"].erase("maxExpirationSeconds");
  obj["status"] = {{"certificateChain", "forged"}};
  obj = pcr::prepareForCreate(obj);
  CHECK(obj["spec"]["maxExpirationSeconds"] == 86400);
  CHECK(obj["status"] == json::object());
  CHECK(messages(pcr::validateCreate(obj, kV1)) == "");
}

TEST_CASE("PCR create: signerName must be a qualified domain/path") {
  auto key = testpki::sharedKey(KeyKind::Ed25519, "pcr");
  json obj = pcrObject(key.get(), "pods");
  refusedWith(pcr::validateCreate(obj, kV1), "spec.signerName", "must be a fully qualified domain and path of the form");
  obj = pcrObject(key.get(), "");
  refusedWith(pcr::validateCreate(obj, kV1), "spec.signerName", "Required value");
}

TEST_CASE("PCR create: pod, service account and node UIDs are non-empty and at most 128 characters") {
  auto key = testpki::sharedKey(KeyKind::Ed25519, "pcr");
  for (const char* field : {"serviceAccountUID", "nodeUID"}) {
    CAPTURE(field);
    json obj = pcrObject(key.get());
    obj["spec"][field] = "";
    refusedWith(pcr::validateCreate(obj, kV1), std::string("spec.") + field, "Invalid value: \"\": must not be empty");
    obj["spec"][field] = std::string(129, 'u');
    refusedWith(pcr::validateCreate(obj, kV1), std::string("spec.") + field, "Too long: may not be more than 128");
    obj["spec"][field] = std::string(128, 'u');
    CHECK(pcr::validateCreate(obj, kV1).empty());
  }
  // The stub request carries no pod UID, so the pod UID is checked on its own in v1.
  json obj = pcrObject(key.get());
  obj["spec"]["podUID"] = "";
  refusedWith(pcr::validateCreate(obj, kV1), "spec.podUID", "must not be empty");
}

TEST_CASE("PCR create: pod, service account and node names are DNS subdomains") {
  auto key = testpki::sharedKey(KeyKind::Ed25519, "pcr");
  for (const char* field : {"podName", "serviceAccountName", "nodeName"}) {
    CAPTURE(field);
    json obj = pcrObject(key.get());
    obj["spec"][field] = "Not_A_Name";
    refusedWith(pcr::validateCreate(obj, kV1), std::string("spec.") + field, "a lowercase RFC 1123 subdomain");
  }
}

TEST_CASE("PCR create: maxExpirationSeconds in [3600, 7862400], [3600, 86400] for kubernetes.io signers") {
  auto key = testpki::sharedKey(KeyKind::Ed25519, "pcr");
  json obj = pcrObject(key.get());
  obj["spec"]["maxExpirationSeconds"] = 3600;
  CHECK(pcr::validateCreate(obj, kV1).empty());
  obj["spec"]["maxExpirationSeconds"] = 7862400;
  CHECK(pcr::validateCreate(obj, kV1).empty());
  obj["spec"]["maxExpirationSeconds"] = 3599;
  refusedWith(pcr::validateCreate(obj, kV1), "spec.maxExpirationSeconds", "Invalid value: 3599: must be in the range [3600, 7862400]");
  obj["spec"]["maxExpirationSeconds"] = 7862401;
  refusedWith(pcr::validateCreate(obj, kV1), "spec.maxExpirationSeconds", "must be in the range [3600, 7862400]");

  json kube = pcrObject(key.get(), "kubernetes.io/kube-apiserver-client-pod");
  kube["spec"]["maxExpirationSeconds"] = 86400;
  CHECK(pcr::validateCreate(kube, kV1).empty());
  kube["spec"]["maxExpirationSeconds"] = 86401;
  refusedWith(pcr::validateCreate(kube, kV1), "spec.maxExpirationSeconds", "must be in the range [3600, 86400]");
  kube["spec"]["maxExpirationSeconds"] = nullptr;
  refusedWith(pcr::validateCreate(kube, kV1), "spec.maxExpirationSeconds", "Required value: must be set");
}

TEST_CASE("PCR create: unverifiedUserAnnotations keys are domain-prefixed qualified names, values strings, bounded in size") {
  auto key = testpki::sharedKey(KeyKind::Ed25519, "pcr");
  json obj = pcrObject(key.get());
  obj["spec"]["unverifiedUserAnnotations"] = {{"example.com/role", "frontend"}};
  CHECK(pcr::validateCreate(obj, kV1).empty());
  obj["spec"]["unverifiedUserAnnotations"] = {{"role", "frontend"}};
  refusedWith(pcr::validateCreate(obj, kV1), "spec.unverifiedUserAnnotations", "must be prefixed with a domain");
  obj["spec"]["unverifiedUserAnnotations"] = {{"Example.com/role", "x"}};
  refusedWith(pcr::validateCreate(obj, kV1), "spec.unverifiedUserAnnotations", "prefix part a lowercase RFC 1123 subdomain");
  obj["spec"]["unverifiedUserAnnotations"] = {{"example.com/-role", "x"}};
  refusedWith(pcr::validateCreate(obj, kV1), "spec.unverifiedUserAnnotations", "name part must consist of alphanumeric characters");
  obj["spec"]["unverifiedUserAnnotations"] = {{"example.com/role", 3}};
  refusedWith(pcr::validateCreate(obj, kV1), "spec.unverifiedUserAnnotations[example.com/role]", "must be a string");
  obj["spec"]["unverifiedUserAnnotations"] = {{"example.com/big", std::string(pcr::kMaxUserAnnotationsSize, 'x')}};
  refusedWith(pcr::validateCreate(obj, kV1), "spec.unverifiedUserAnnotations", "Too long");
}

TEST_CASE("PCR create v1: stubPKCS10Request is required, DER, and its signature verifies") {
  auto key = testpki::sharedKey(KeyKind::P256, "pcr");
  json obj = pcrObject(key.get());
  CHECK(pcr::validateCreate(obj, kV1).empty());
  obj["spec"].erase("stubPKCS10Request");
  refusedWith(pcr::validateCreate(obj, kV1), "spec.stubPKCS10Request", "Required value");
  obj["spec"]["stubPKCS10Request"] = b64("not a request");
  refusedWith(pcr::validateCreate(obj, kV1), "spec.stubPKCS10Request", "must be a DER-encoded PKCS#10 certificate request");
  obj["spec"]["stubPKCS10Request"] = "%%%";
  refusedWith(pcr::validateCreate(obj, kV1), "spec.stubPKCS10Request", "illegal base64 data");
  auto other = testpki::sharedKey(KeyKind::P256, "pcr-other");
  obj["spec"]["stubPKCS10Request"] = b64(testpki::stubPkcs10Der(key.get(), other.get()));
  refusedWith(pcr::validateCreate(obj, kV1), "spec.stubPKCS10Request", "signature does not verify");
  obj["spec"]["stubPKCS10Request"] = b64(std::string(pcr::kMaxKeyMaterialSize + 1, 'x'));
  refusedWith(pcr::validateCreate(obj, kV1), "spec.stubPKCS10Request", "Too long: may not be more than 10240");
}

TEST_CASE("PCR create v1: the kubelet's key types pass (RSA 3072/4096, P-256/384/521, Ed25519), others are refused") {
  for (auto kind : {KeyKind::Ed25519, KeyKind::P256, KeyKind::P384, KeyKind::P521, KeyKind::Rsa3072, KeyKind::Rsa4096}) {
    CAPTURE(static_cast<int>(kind));
    auto key = testpki::sharedKey(kind, "pcr");
    CHECK(messages(pcr::validateCreate(pcrObject(key.get()), kV1)) == "");
  }
  auto rsa2048 = testpki::sharedKey(KeyKind::Rsa2048, "pcr");
  refusedWith(pcr::validateCreate(pcrObject(rsa2048.get()), kV1), "spec.stubPKCS10Request",
              "Invalid value: \"2048-bit modulus\": RSA keys must have modulus size 3072 or 4096");
  auto p224 = signers::EvpPkeyPtr(EVP_EC_gen("P-224"));
  REQUIRE(p224);
  refusedWith(pcr::validateCreate(pcrObject(p224.get()), kV1), "spec.stubPKCS10Request", "Invalid value: \"curve secp224r1\"");
}

TEST_CASE("PCR create v1beta1: pkixPublicKey + proofOfPossession over the ASCII pod UID, for every key type") {
  for (auto kind : {KeyKind::Ed25519, KeyKind::P256, KeyKind::P384, KeyKind::P521, KeyKind::Rsa3072, KeyKind::Rsa4096}) {
    CAPTURE(static_cast<int>(kind));
    auto key = testpki::sharedKey(kind, "pcr");
    CHECK(messages(pcr::validateCreate(v1beta1Object(key.get()), kV1beta1)) == "");
    // A proof over another pod's UID is a proof for another request.
    refusedWith(pcr::validateCreate(v1beta1Object(key.get(), "another-pod-uid"), kV1beta1), "spec.proofOfPossession",
                "Invalid value: could not verify proof-of-possession signature");
  }
}

TEST_CASE("PCR create v1beta1: RSA proofs must be PSS, malformed or oversized key material is refused") {
  auto rsa = testpki::sharedKey(KeyKind::Rsa3072, "pcr");
  json obj = v1beta1Object(rsa.get());
  // PKCS#1 v1.5 over SHA-256 (what the older KEP text said) is not what kube verifies.
  signers::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  REQUIRE(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, rsa.get()) == 1);
  size_t len = 0;
  REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(kPodUid.data()), kPodUid.size()) == 1);
  std::string sig(len, '\0');
  REQUIRE(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                         reinterpret_cast<const unsigned char*>(kPodUid.data()), kPodUid.size()) == 1);
  obj["spec"]["proofOfPossession"] = b64(sig.substr(0, len));
  refusedWith(pcr::validateCreate(obj, kV1beta1), "spec.proofOfPossession", "could not verify proof-of-possession signature");

  auto ed = testpki::sharedKey(KeyKind::Ed25519, "pcr");
  obj = v1beta1Object(ed.get());
  obj["spec"]["pkixPublicKey"] = b64("junk");
  refusedWith(pcr::validateCreate(obj, kV1beta1), "spec.pkixPublicKey", "must be a valid PKIX-serialized public key");
  obj = v1beta1Object(ed.get());
  obj["spec"]["proofOfPossession"] = b64(std::string(pcr::kMaxKeyMaterialSize + 1, 'x'));
  refusedWith(pcr::validateCreate(obj, kV1beta1), "spec.proofOfPossession", "Too long");
  // A stub request next to pkixPublicKey (1.36) must itself be valid.
  obj = v1beta1Object(ed.get());
  obj["spec"]["stubPKCS10Request"] = b64("junk");
  refusedWith(pcr::validateCreate(obj, kV1beta1), "spec.stubPKCS10Request", "must be a DER-encoded PKCS#10");
}

TEST_CASE("PCR create: --pcr-key-checks=false lets a bad proof of possession through (for signer-side tests)") {
  auto key = testpki::sharedKey(KeyKind::Ed25519, "pcr");
  json obj = v1beta1Object(key.get(), "another-pod-uid");
  CHECK_FALSE(pcr::validateCreate(obj, kV1beta1).empty());
  CHECK(pcr::validateCreate(obj, pcr::Options{false, false}).empty());
}

TEST_CASE("PCR update: the spec is immutable, the status is kept") {
  auto key = testpki::sharedKey(KeyKind::Ed25519, "pcr");
  json old = pcrObject(key.get());
  old["status"] = json::object();
  json obj = old;
  obj["metadata"]["labels"] = {{"a", "b"}};
  obj["status"] = {{"certificateChain", "x"}};
  obj = pcr::prepareForUpdate(obj, old);
  CHECK(obj["status"] == json::object());
  CHECK(pcr::validateUpdate(obj, old).empty());
  obj["spec"]["maxExpirationSeconds"] = 3600;
  refusedWith(pcr::validateUpdate(obj, old), "spec", "field is immutable");
}

// ---- /status ---------------------------------------------------------------------------------

namespace {

struct Issuance {
  testpki::TestCa ca = testpki::makeCa({});
  signers::EvpPkeyPtr key = testpki::sharedKey(KeyKind::P256, "pcr-leaf");
  int64_t now = unixNow();
  json old;

  Issuance() {
    old = pcrObject(key.get());
    old["metadata"]["resourceVersion"] = "7";
    old["status"] = json::object();
  }

  static std::chrono::system_clock::time_point at(int64_t unix) {
    return std::chrono::system_clock::time_point(std::chrono::seconds(unix));
  }

  std::string leafPem(int64_t notBefore, int64_t notAfter, EVP_PKEY* leafKey = nullptr, testpki::LeafOptions options = {}) const {
    options.keyOverride = leafKey ? leafKey : key.get();
    options.notBefore = at(notBefore);
    options.notAfter = at(notAfter);
    return testpki::issueCert(ca, options).certPem();
  }

  // An Issued status as an honest signer writes it: now .. now + 2h, refresh at half time.
  json issued(const std::string& chain, int64_t notBefore, int64_t notAfter) const {
    json obj = pcr::prepareForStatus(old, old);
    obj["status"] = {{"conditions",
                      {{{"type", "Issued"},
                        {"status", "True"},
                        {"reason", "Issued"},
                        {"message", "signed"},
                        {"lastTransitionTime", formatRfc3339(now)}}}},
                     {"certificateChain", chain},
                     {"notBefore", formatRfc3339(notBefore)},
                     {"notAfter", formatRfc3339(notAfter)},
                     {"beginRefreshAt", formatRfc3339((notBefore + notAfter) / 2)}};
    return obj;
  }
  json honest() const { return issued(leafPem(now, now + 7200), now, now + 7200); }

  json terminal(const std::string& type, const std::string& reason = "NotAllowed") const {
    json obj = pcr::prepareForStatus(old, old);
    obj["status"] = {
        {"conditions",
         {{{"type", type}, {"status", "True"}, {"reason", reason}, {"message", "m"}, {"lastTransitionTime", formatRfc3339(now)}}}}};
    return obj;
  }
  std::vector<FieldError> check(const json& obj) const { return pcr::validateStatusUpdate(obj, old, now); }
};

}  // namespace

TEST_CASE("PCR status: /status keeps the stored spec and metadata") {
  Issuance f;
  json obj = f.honest();
  obj["spec"]["signerName"] = "example.com/other";
  obj["metadata"]["labels"] = {{"x", "y"}};
  obj = pcr::prepareForStatus(obj, f.old);
  CHECK(obj["spec"] == f.old["spec"]);
  CHECK(obj["metadata"] == f.old["metadata"]);
}

TEST_CASE("PCR status: an honest Issued status passes, with an intermediate too") {
  Issuance f;
  CHECK(messages(f.check(f.honest())) == "");
  json withIntermediate = f.issued(f.leafPem(f.now, f.now + 7200) + testpki::makeIntermediate(f.ca).certPem(), f.now, f.now + 7200);
  CHECK(messages(f.check(withIntermediate)) == "");
  CHECK(pcr::stateOf(f.honest()) == "Issued");
}

TEST_CASE("PCR status: conditions are only Issued/Denied/Failed, at most one, status True, with reason and lastTransitionTime") {
  Issuance f;
  json obj = f.terminal("Denied");
  obj["status"]["conditions"][0]["type"] = "Approved";
  refusedWith(f.check(obj), "status.conditions[0].type",
              "Unsupported value: \"Approved\": supported values: \"Issued\", \"Denied\", \"Failed\"");
  obj = f.terminal("Denied");
  obj["status"]["conditions"][0]["status"] = "False";
  refusedWith(f.check(obj), "status.conditions[0].status", "Unsupported value: \"False\"");
  obj = f.terminal("Denied");
  obj["status"]["conditions"].push_back(f.terminal("Failed")["status"]["conditions"][0]);
  refusedWith(f.check(obj), "status.conditions[1].type",
              "There may be at most one condition with type \"Issued\", \"Denied\", or \"Failed\"");
  obj = f.terminal("Denied");
  obj["status"]["conditions"][0].erase("lastTransitionTime");
  refusedWith(f.check(obj), "status.conditions[0].lastTransitionTime", "Required value: must be set");
  obj = f.terminal("Denied");
  obj["status"]["conditions"][0]["reason"] = "";
  refusedWith(f.check(obj), "status.conditions[0].reason", "Required value: must be set");
  obj = f.terminal("Denied", "not allowed");
  refusedWith(f.check(obj), "status.conditions[0].reason", "a condition reason must start with alphabetic character");
  CHECK(f.check(f.terminal("Denied", "UnsupportedKeyType")).empty());
  CHECK(f.check(f.terminal("Failed", "SignerUnavailable")).empty());
}

TEST_CASE("PCR status: Denied and Failed carry nothing but the condition") {
  Issuance f;
  json obj = f.terminal("Denied");
  obj["status"]["certificateChain"] = f.leafPem(f.now, f.now + 7200);
  refusedWith(f.check(obj), "status", "non-condition status fields must be empty when denying or failing the PodCertificateRequest");
  obj = f.terminal("Failed");
  obj["status"]["notBefore"] = formatRfc3339(f.now);
  refusedWith(f.check(obj), "status", "non-condition status fields must be empty");
}

TEST_CASE("PCR status: once Issued, Denied or Failed the status is immutable") {
  Issuance f;
  f.old["status"] = f.terminal("Denied")["status"];
  CHECK(f.check(pcr::prepareForStatus(f.old, f.old)).empty());
  refusedWith(f.check(f.honest()), "status", "immutable after PodCertificateRequest is issued, denied, or failed");
  json reworded = pcr::prepareForStatus(f.old, f.old);
  reworded["status"]["conditions"][0]["message"] = "changed my mind";
  refusedWith(f.check(reworded), "status", "immutable after PodCertificateRequest is issued, denied, or failed");
}

TEST_CASE("PCR status: without a terminal condition nothing in the status may change") {
  Issuance f;
  json obj = pcr::prepareForStatus(f.old, f.old);
  obj["status"]["notBefore"] = formatRfc3339(f.now);
  refusedWith(f.check(obj), "status", "status is immutable unless transitioning to \"Issued\", \"Denied\", or \"Failed\"");
  CHECK(f.check(pcr::prepareForStatus(f.old, f.old)).empty());
}

TEST_CASE("PCR status Issued: the leaf must parse and be issued to the requested key") {
  Issuance f;
  refusedWith(f.check(f.issued("", f.now, f.now + 7200)), "status.certificateChain",
              "issued certificate chain must contain at least one certificate");
  refusedWith(f.check(f.issued("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", f.now, f.now + 7200)),
              "status.certificateChain", "must consist entirely of CERTIFICATE PEM blocks");
  refusedWith(f.check(f.issued("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", f.now, f.now + 7200)),
              "status.certificateChain", "leaf certificate does not parse as valid X.509");
  auto other = testpki::sharedKey(KeyKind::P256, "pcr-other-leaf");
  refusedWith(f.check(f.issued(f.leafPem(f.now, f.now + 7200, other.get()), f.now, f.now + 7200)), "status.certificateChain",
              "leaf certificate was not issued to the requested public key");
}

TEST_CASE("PCR status Issued (v1beta1): the leaf must carry pkixPublicKey, and the stub's key when both are given") {
  Issuance f;
  f.old = v1beta1Object(f.key.get());
  f.old["status"] = json::object();
  CHECK(messages(f.check(f.honest())) == "");
  // A request whose stub names another key than pkixPublicKey can never be issued: whichever key the
  // leaf carries, one of the two does not match.
  auto other = testpki::sharedKey(KeyKind::P256, "pcr-other-leaf");
  f.old["spec"]["stubPKCS10Request"] = b64(testpki::stubPkcs10Der(other.get()));
  refusedWith(f.check(f.honest()), "status.certificateChain", "leaf certificate was not issued to the requested public key");
}

TEST_CASE("PCR status Issued: notBefore, notAfter and beginRefreshAt must all be set") {
  Issuance f;
  json obj = f.honest();
  obj["status"].erase("notBefore");
  refusedWith(f.check(obj), "status.notBefore", "Required value: must be present and consistent with the issued certificate");
  obj = f.honest();
  obj["status"].erase("notAfter");
  refusedWith(f.check(obj), "status.notAfter", "Required value");
  obj = f.honest();
  obj["status"].erase("beginRefreshAt");
  refusedWith(f.check(obj), "status.beginRefreshAt", "must be present and in the range [notbefore+10min, notafter-10min]");
}

TEST_CASE("PCR status Issued: notBefore equals the leaf's and lies within 5 minutes of the API server's clock") {
  Issuance f;
  json obj = f.issued(f.leafPem(f.now, f.now + 7200), f.now + 1, f.now + 7200);
  refusedWith(f.check(obj), "status.notBefore", "must be set to the NotBefore time encoded in the leaf certificate");
  // kube-controller-manager backdates by 5 minutes; here that is already out of the window.
  const int64_t backdated = f.now - 300;
  obj = f.issued(f.leafPem(backdated, backdated + 7200), backdated, backdated + 7200);
  refusedWith(f.check(obj), "status.notBefore", "must be set to within 5 minutes of kube-apiserver's current time");
  const int64_t early = f.now - 299;
  CHECK(f.check(f.issued(f.leafPem(early, early + 7200), early, early + 7200)).empty());
  const int64_t future = f.now + 301;
  refusedWith(f.check(f.issued(f.leafPem(future, future + 7200), future, future + 7200)), "status.notBefore", "within 5 minutes");
}

TEST_CASE("PCR status Issued: notAfter equals the leaf's, the lifetime is at least 1 h and at most maxExpirationSeconds") {
  Issuance f;
  refusedWith(f.check(f.issued(f.leafPem(f.now, f.now + 7200), f.now, f.now + 7199)), "status.notAfter",
              "must be set to the NotAfter time encoded in the leaf certificate");
  refusedWith(f.check(f.issued(f.leafPem(f.now, f.now + 3599), f.now, f.now + 3599)), "status.certificateChain",
              "Invalid value: \"59m59s\": leaf certificate lifetime must be >= 1 hour");
  CHECK(f.check(f.issued(f.leafPem(f.now, f.now + 3600), f.now, f.now + 3600)).empty());
  CHECK(f.check(f.issued(f.leafPem(f.now, f.now + 86400), f.now, f.now + 86400)).empty());
  refusedWith(f.check(f.issued(f.leafPem(f.now, f.now + 86401), f.now, f.now + 86401)), "status.certificateChain",
              "Invalid value: \"24h0m1s\": leaf certificate lifetime must be <= spec.maxExpirationSeconds (86400)");
}

TEST_CASE("PCR status Issued: beginRefreshAt lies in [notBefore + 10 min, notAfter - 10 min]") {
  Issuance f;
  json obj = f.honest();
  obj["status"]["beginRefreshAt"] = formatRfc3339(f.now + 600);
  CHECK(f.check(obj).empty());
  obj["status"]["beginRefreshAt"] = formatRfc3339(f.now + 599);
  refusedWith(f.check(obj), "status.beginRefreshAt", "must be at least 10 minutes after status.notBefore");
  obj["status"]["beginRefreshAt"] = formatRfc3339(f.now + 7200 - 600);
  CHECK(f.check(obj).empty());
  obj["status"]["beginRefreshAt"] = formatRfc3339(f.now + 7200 - 599);
  refusedWith(f.check(obj), "status.beginRefreshAt", "must be at least 10 minutes before status.notAfter");
}

TEST_CASE("PCR status Issued: DNS SANs without empty labels or outer dots, parsable emails") {
  Issuance f;
  auto withSans = [&](std::vector<std::string> dns, std::vector<std::string> emails) {
    testpki::LeafOptions o;
    o.dnsNames = std::move(dns);
    o.emails = std::move(emails);
    return f.issued(f.leafPem(f.now, f.now + 7200, nullptr, o), f.now, f.now + 7200);
  };
  CHECK(f.check(withSans({"app.team-a.svc"}, {"app@example.com"})).empty());
  refusedWith(f.check(withSans({"app..svc"}, {})), "status.certificateChain", "leaf certificate's DNSName should not contain '..'");
  refusedWith(f.check(withSans({"app.svc."}, {})), "status.certificateChain",
              "leaf certificate's DNSName should not start or end with '.'");
  refusedWith(f.check(withSans({}, {"not-an-address"})), "status.certificateChain",
              "leaf certificate should not contain invalid EmailAddress");
}

TEST_CASE("PCR status Issued: intermediates must parse, the chain is at most 100 KiB") {
  Issuance f;
  const std::string leaf = f.leafPem(f.now, f.now + 7200);
  refusedWith(f.check(f.issued(leaf + "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", f.now, f.now + 7200)),
              "status.certificateChain", "intermediate certificate does not parse as valid X.509");
  refusedWith(f.check(f.issued(leaf + "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", f.now, f.now + 7200)),
              "status.certificateChain", "issued certificate chain must consist entirely of CERTFICATE PEM blocks");
  std::string big = leaf;
  while (big.size() <= pcr::kMaxCertificateChainSize) big += testpki::makeIntermediate(f.ca).certPem();
  refusedWith(f.check(f.issued(big, f.now, f.now + 7200)), "status.certificateChain", "Too long: may not be more than 102400");
}

TEST_CASE("PCR cleaner: requests older than the maximum age are deleted, on the fake's clock") {
  struct ClockReset {
    int64_t before = clockOffset();
    ~ClockReset() { advanceClock(before - clockOffset()); }
  } reset;
  Store store;
  const ResourceInfo& r = *findResource("certificates.k8s.io", "v1", "podcertificaterequests");
  auto key = testpki::sharedKey(KeyKind::Ed25519, "pcr");
  json obj = pcrObject(key.get());
  obj["metadata"]["name"] = "old";
  const int64_t oldCreated = parseRfc3339((*store.create(r, "team-a", obj))["metadata"]["creationTimestamp"].get<std::string>());
  obj["metadata"]["name"] = "old-elsewhere";
  store.create(r, "team-b", obj);
  advanceClock(600);
  obj["metadata"]["name"] = "young";
  const int64_t youngCreated = parseRfc3339((*store.create(r, "team-a", obj))["metadata"]["creationTimestamp"].get<std::string>());
  REQUIRE(youngCreated >= oldCreated + 600);

  // Exactly the maximum age is not older than it.
  CHECK(pcr::removeExpired(store, oldCreated + pcr::kCleanerMaxAgeSeconds, pcr::kCleanerMaxAgeSeconds) == 0);
  CHECK(pcr::removeExpired(store, oldCreated + pcr::kCleanerMaxAgeSeconds + 2, pcr::kCleanerMaxAgeSeconds) == 2);
  auto left = store.list(r, "", Selector{}, 0, "").items;
  REQUIRE(left.size() == 1);
  CHECK((*left[0])["metadata"]["name"] == "young");
  CHECK(pcr::removeExpired(store, youngCreated + pcr::kCleanerMaxAgeSeconds + 1, pcr::kCleanerMaxAgeSeconds) == 1);
  CHECK(store.list(r, "", Selector{}, 0, "").items.empty());
}
