#include <doctest/doctest.h>

#include <openssl/x509v3.h>

#include <set>
#include <thread>

#include "signers/Pem.h"
#include "signers/PodCertificate.h"
#include "signers/PodCertificateKey.h"
#include "signers/PodCertificatePolicy.h"
#include "tests/support/TestPki.h"

using namespace signers;
using namespace testpki;
using namespace std::chrono;

namespace {

const std::string kSigner = "example.com/pods";
const std::string kPodUid = "7f7c6a9e-2b1d-4c55-9d0e-0123456789ab";

PodCertificatePolicy allowingPolicy() {
  PodCertificatePolicy p;
  p.signerName = kSigner;
  p.trustDomain = "cluster.example.com";
  p.allowedNamespaces = {"team-a"};
  return p;
}

// A CA in a temp dir and a pod-certificate signer over it; jitter fixed unless a test sets it.
struct PodFixture {
  TempDir dir;
  TestCa ca;
  CaFiles files;
  std::unique_ptr<PodCertificateSigner> signer;
  double jitter = 0.0;

  explicit PodFixture(PodCertificatePolicy policy = allowingPolicy(), CaOptions caOptions = {}) : ca(makeCa(caOptions)) {
    files.certFile = dir.write("ca.crt", ca.certPem());
    files.keyFile = dir.write("ca.key", keyPem(ca.key.get()));
    build(std::move(policy));
  }
  void build(PodCertificatePolicy policy) {
    PodCertificateSignerOptions options;
    options.refreshJitter = [this] { return jitter; };
    auto s = createPodCertificateSigner(std::move(policy), files, options);
    if (!s) throw std::runtime_error(s.error());
    signer = std::move(s.value());
  }
};

KeyKind kindOf(PodKeyType t) {
  switch (t) {
    case PodKeyType::Rsa3072: return KeyKind::Rsa3072;
    case PodKeyType::Rsa4096: return KeyKind::Rsa4096;
    case PodKeyType::EcdsaP256: return KeyKind::P256;
    case PodKeyType::EcdsaP384: return KeyKind::P384;
    case PodKeyType::EcdsaP521: return KeyKind::P521;
    case PodKeyType::Ed25519: return KeyKind::Ed25519;
  }
  return KeyKind::P256;
}

PodCertificateRequestFacts facts() {
  PodCertificateRequestFacts r;
  r.namespaceName = "team-a";
  r.name = "req-abc12";
  r.signerName = kSigner;
  r.podName = "web-0";
  r.podUID = kPodUid;
  r.serviceAccountName = "web";
  r.serviceAccountUID = "5d2e9c1a-0000-4000-8000-00000000aaaa";
  r.nodeName = "worker-1";
  r.nodeUID = "1b3c5d7e-0000-4000-8000-00000000bbbb";
  return r;
}

// v1: the key in stubPKCS10Request.
PodCertificateRequestFacts stubRequest(EVP_PKEY* key) {
  auto r = facts();
  r.stubPkcs10Der = stubPkcs10Der(key);
  return r;
}

// v1beta1: pkixPublicKey + proofOfPossession over the pod UID.
PodCertificateRequestFacts pkixRequest(EVP_PKEY* key) {
  auto r = facts();
  r.pkixPublicKeyDer = publicKeyDer(key);
  r.proofOfPossession = proofOfPossession(key, r.podUID);
  return r;
}

PodCertificateIssued mustIssue(const PodCertificateSigner& s, const PodCertificateRequestFacts& r,
                               system_clock::time_point now = system_clock::now()) {
  auto out = s.issue(r, now);
  if (auto* e = std::get_if<PodCertificateRefused>(&out)) FAIL("refused: " << e->reason << ": " << e->message);
  if (auto* e = std::get_if<PodCertificateRetry>(&out)) FAIL("retry: " << e->message);
  return std::get<PodCertificateIssued>(out);
}

PodCertificateRefused mustRefuse(const PodCertificateSigner& s, const PodCertificateRequestFacts& r,
                                 system_clock::time_point now = system_clock::now()) {
  auto out = s.issue(r, now);
  if (auto* i = std::get_if<PodCertificateIssued>(&out)) FAIL("issued " << i->serialHex << " instead of refusing");
  if (auto* e = std::get_if<PodCertificateRetry>(&out)) FAIL("retry instead of a refusal: " << e->message);
  return std::get<PodCertificateRefused>(out);
}

std::string derOfPemCsr(const std::string& pem) {
  auto block = decodeSinglePemBlock(pem);
  REQUIRE(block.ok());
  return std::string(block.value().der.begin(), block.value().der.end());
}

std::string leafSpki(const std::string& chainPem) {
  auto cert = parseCertPem(chainPem);
  REQUIRE(cert);
  return publicKeyDer(X509_get0_pubkey(cert.get()));
}

system_clock::time_point asTime(const ASN1_TIME* t) {
  struct tm tm {};
  REQUIRE(ASN1_TIME_to_tm(t, &tm) == 1);
  return system_clock::from_time_t(timegm(&tm));
}

std::vector<std::string> sanStrings(X509* cert, int type) {
  std::vector<std::string> out;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
    if (n->type != type) continue;
    const ASN1_IA5STRING* s = type == GEN_DNS ? n->d.dNSName : n->d.uniformResourceIdentifier;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(ASN1_STRING_length(s)));
  }
  return out;
}

std::string rsaPkcs1Signature(EVP_PKEY* key, const std::string& data) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  REQUIRE(EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key, nullptr) == 1);
  std::size_t len = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &len, p, data.size()) == 1);
  std::string sig(len, '\0');
  REQUIRE(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, p, data.size()) == 1);
  sig.resize(len);
  return sig;
}

std::string rsaPssSignature(EVP_PKEY* key, const std::string& data, int saltLength) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  REQUIRE(EVP_DigestSignInit_ex(ctx.get(), &pctx, "SHA256", nullptr, nullptr, key, nullptr) == 1);
  REQUIRE(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
  REQUIRE(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltLength) == 1);
  std::size_t len = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &len, p, data.size()) == 1);
  std::string sig(len, '\0');
  REQUIRE(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, p, data.size()) == 1);
  sig.resize(len);
  return sig;
}

}  // namespace

TEST_CASE("pod certificate: every kubelet key type is issued from a v1 stub request and from a v1beta1 key with proof") {
  PodFixture f;
  for (PodKeyType type : allPodKeyTypes()) {
    CAPTURE(podKeyTypeName(type));
    auto key = sharedKey(kindOf(type), "pod");
    for (const auto& request : {stubRequest(key.get()), pkixRequest(key.get())}) {
      auto issued = mustIssue(*f.signer, request);
      CHECK(issued.keyType == type);
      // The API server refuses a leaf whose key is not the requested one.
      CHECK(leafSpki(issued.certificateChainPem) == publicKeyDer(key.get()));
      auto cert = parseCertPem(issued.certificateChainPem);
      CHECK(X509_verify(cert.get(), f.ca.key.get()) == 1);
    }
  }
}

TEST_CASE("pod certificate: a proof of possession that does not verify is denied, for each scheme") {
  PodFixture f;
  for (PodKeyType type : {PodKeyType::Ed25519, PodKeyType::EcdsaP384, PodKeyType::Rsa3072}) {
    CAPTURE(podKeyTypeName(type));
    auto key = sharedKey(kindOf(type), "pod");
    auto r = pkixRequest(key.get());
    r.proofOfPossession = proofOfPossession(key.get(), "another-pod-uid");
    auto refused = mustRefuse(*f.signer, r);
    CHECK(refused.kind == PodRefusalKind::Denied);
    CHECK(refused.reason == "InvalidProofOfPossession");
    CHECK(refused.message.find("pod UID") != std::string::npos);

    auto other = sharedKey(kindOf(type), "someone-else");
    r.proofOfPossession = proofOfPossession(other.get(), r.podUID);
    CHECK(mustRefuse(*f.signer, r).reason == "InvalidProofOfPossession");

    r.proofOfPossession.clear();
    CHECK(mustRefuse(*f.signer, r).reason == "InvalidProofOfPossession");
  }
}

TEST_CASE("pod certificate: RSA proofs are PSS with SHA-256 and any salt length, as Go's VerifyPSS with nil options") {
  PodFixture f;
  auto key = sharedKey(KeyKind::Rsa3072, "pod");
  auto r = pkixRequest(key.get());
  // The kubelet's SignPSS(nil) uses the maximum salt; a signer using the digest length must verify too.
  r.proofOfPossession = rsaPssSignature(key.get(), r.podUID, 32);
  mustIssue(*f.signer, r);
  r.proofOfPossession = rsaPssSignature(key.get(), r.podUID, 0);
  mustIssue(*f.signer, r);
  // PKCS#1 v1.5 (what older KEP text said) is not what the API server verifies.
  r.proofOfPossession = rsaPkcs1Signature(key.get(), r.podUID);
  CHECK(mustRefuse(*f.signer, r).reason == "InvalidProofOfPossession");
}

TEST_CASE("pod certificate: the stub request's signature is verified and it must name the same key as pkixPublicKey") {
  PodFixture f;
  auto key = sharedKey(KeyKind::P256, "pod");
  auto other = sharedKey(KeyKind::P256, "someone-else");

  CsrOptions forged;
  forged.keyOverride = key.get();
  forged.signWith = other.get();
  auto r = facts();
  r.stubPkcs10Der = derOfPemCsr(makeCsr(forged));
  auto refused = mustRefuse(*f.signer, r);
  CHECK(refused.reason == "InvalidStubPKCS10Request");
  CHECK(refused.message.find("signature does not verify") != std::string::npos);

  r.stubPkcs10Der = stubPkcs10Der(key.get());
  r.stubPkcs10Der.push_back('\0');
  CHECK(mustRefuse(*f.signer, r).reason == "InvalidStubPKCS10Request");

  // Both fields (v1beta1 from 1.36): a proven key and a stub for another key.
  auto both = pkixRequest(key.get());
  both.stubPkcs10Der = stubPkcs10Der(other.get());
  refused = mustRefuse(*f.signer, both);
  CHECK(refused.reason == "PublicKeyMismatch");
  both.stubPkcs10Der = stubPkcs10Der(key.get());
  CHECK(leafSpki(mustIssue(*f.signer, both).certificateChainPem) == publicKeyDer(key.get()));
}

TEST_CASE(
    "pod certificate: keys the kubelet does not generate, or the policy does not allow, are UnsupportedKeyType naming what is allowed") {
  PodFixture f;
  auto rsa2048 = sharedKey(KeyKind::Rsa2048, "pod");
  for (const auto& r : {stubRequest(rsa2048.get()), pkixRequest(rsa2048.get())}) {
    auto refused = mustRefuse(*f.signer, r);
    CHECK(refused.kind == PodRefusalKind::Denied);
    CHECK(refused.reason == "UnsupportedKeyType");
    CHECK(refused.message.find("RSA 2048") != std::string::npos);
    CHECK(refused.message.find("RSA3072, RSA4096, ECDSAP256, ECDSAP384, ECDSAP521, ED25519") != std::string::npos);
  }

  auto policy = allowingPolicy();
  policy.allowedKeyTypes = {PodKeyType::EcdsaP256};
  f.build(policy);
  auto ed = sharedKey(KeyKind::Ed25519, "pod");
  auto refused = mustRefuse(*f.signer, stubRequest(ed.get()));
  CHECK(refused.reason == "UnsupportedKeyType");
  CHECK(refused.message.find("ED25519") != std::string::npos);
  CHECK(refused.message.find("allowed key types: ECDSAP256") != std::string::npos);
  // Refused before the proof is looked at: a wrong proof still says UnsupportedKeyType.
  auto r = pkixRequest(ed.get());
  r.proofOfPossession = "x";
  CHECK(mustRefuse(*f.signer, r).reason == "UnsupportedKeyType");
}

TEST_CASE("pod certificate: an unknown key algorithm is UnsupportedKeyType, a malformed key InvalidPublicKey") {
  auto ed = sharedKey(KeyKind::Ed25519, "pod");
  auto r = facts();
  // Ed448's OID in an otherwise well-formed SubjectPublicKeyInfo.
  r.pkixPublicKeyDer = publicKeyDer(ed.get());
  REQUIRE(static_cast<unsigned char>(r.pkixPublicKeyDer[8]) == 0x70);
  r.pkixPublicKeyDer[8] = 0x71;
  r.proofOfPossession = "x";
  auto out = verifyPodCertificateKey(r, allPodKeyTypes());
  REQUIRE(std::holds_alternative<PodKeyRefusal>(out));
  CHECK(std::get<PodKeyRefusal>(out).reason == "UnsupportedKeyType");
  CHECK(std::get<PodKeyRefusal>(out).message.find("Ed448") != std::string::npos);

  r.pkixPublicKeyDer = "not DER";
  out = verifyPodCertificateKey(r, allPodKeyTypes());
  REQUIRE(std::holds_alternative<PodKeyRefusal>(out));
  CHECK(std::get<PodKeyRefusal>(out).reason == "InvalidPublicKey");

  r.pkixPublicKeyDer = publicKeyDer(ed.get()) + "x";  // trailing data
  out = verifyPodCertificateKey(r, allPodKeyTypes());
  REQUIRE(std::holds_alternative<PodKeyRefusal>(out));
  CHECK(std::get<PodKeyRefusal>(out).reason == "InvalidPublicKey");
}

TEST_CASE("pod certificate: key material is bounded at 10 KiB a field and must be present") {
  PodFixture f;
  auto key = sharedKey(KeyKind::P256, "pod");
  auto r = pkixRequest(key.get());
  r.proofOfPossession.assign(kMaxPodKeyMaterialBytes + 1, 'x');
  auto refused = mustRefuse(*f.signer, r);
  CHECK(refused.reason == "InvalidProofOfPossession");
  CHECK(refused.message.find("more than the limit of 10240") != std::string::npos);

  r = pkixRequest(key.get());
  r.pkixPublicKeyDer.assign(kMaxPodKeyMaterialBytes + 1, 'x');
  CHECK(mustRefuse(*f.signer, r).reason == "InvalidPublicKey");

  r = stubRequest(key.get());
  r.stubPkcs10Der.assign(kMaxPodKeyMaterialBytes + 1, 'x');
  CHECK(mustRefuse(*f.signer, r).reason == "InvalidStubPKCS10Request");

  r = facts();
  refused = mustRefuse(*f.signer, r);
  CHECK(refused.reason == "InvalidPublicKey");
  CHECK(refused.message.find("no key") != std::string::npos);

  r.proofOfPossession = "proof of nothing";
  r.stubPkcs10Der = stubPkcs10Der(key.get());
  CHECK(mustRefuse(*f.signer, r).reason == "InvalidProofOfPossession");
}

TEST_CASE("pod certificate: nobody is allowed by default, namespaces and service accounts are allow-listed") {
  auto key = sharedKey(KeyKind::P256, "pod");
  auto policy = allowingPolicy();
  policy.allowedNamespaces.clear();
  PodFixture f(policy);
  auto refused = mustRefuse(*f.signer, stubRequest(key.get()));
  CHECK(refused.kind == PodRefusalKind::Denied);
  CHECK(refused.reason == "NamespaceNotAllowed");
  CHECK(refused.message.find("\"team-a/web\"") != std::string::npos);

  policy.allowedServiceAccounts = {"team-a/db", "team-b/*"};
  f.build(policy);
  CHECK(mustRefuse(*f.signer, stubRequest(key.get())).reason == "ServiceAccountNotAllowed");
  auto other = stubRequest(key.get());
  other.namespaceName = "team-b";
  mustIssue(*f.signer, other);
  other.namespaceName = "team-c";
  CHECK(mustRefuse(*f.signer, other).reason == "NamespaceNotAllowed");

  policy.allowedServiceAccounts = {"team-a/web"};
  f.build(policy);
  mustIssue(*f.signer, stubRequest(key.get()));
  // A namespace whose name starts like an allowed one, or is the start of one, is not that namespace.
  other.namespaceName = "team-a-evil";
  CHECK(mustRefuse(*f.signer, other).reason == "NamespaceNotAllowed");
  other.namespaceName = "team";
  CHECK(mustRefuse(*f.signer, other).reason == "NamespaceNotAllowed");

  policy.allowedServiceAccounts.clear();
  policy.allowedNamespaces = {"team-a"};
  f.build(policy);
  mustIssue(*f.signer, stubRequest(key.get()));
}

TEST_CASE("pod certificate: the leaf is an X.509-SVID: empty subject, one SPIFFE URI SAN (critical), never a CA") {
  PodFixture f;
  auto key = sharedKey(KeyKind::P256, "pod");
  auto issued = mustIssue(*f.signer, stubRequest(key.get()));
  CHECK(issued.spiffeId == "spiffe://cluster.example.com/ns/team-a/sa/web");
  CHECK(countPemCertificates(issued.certificateChainPem) == 1);
  auto cert = parseCertPem(issued.certificateChainPem);
  CHECK(X509_NAME_entry_count(X509_get_subject_name(cert.get())) == 0);
  CHECK(sanStrings(cert.get(), GEN_URI) == std::vector<std::string>{"spiffe://cluster.example.com/ns/team-a/sa/web"});
  CHECK(sanStrings(cert.get(), GEN_DNS).empty());
  int crit = 0;
  CHECK(X509_EXTENSION_get_critical(X509_get_ext(cert.get(), X509_get_ext_by_NID(cert.get(), NID_subject_alt_name, -1))) == 1);

  BasicConstraintsPtr bc(static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(cert.get(), NID_basic_constraints, &crit, nullptr)));
  REQUIRE(bc);
  CHECK(bc->ca == 0);
  CHECK(crit == 1);
  CHECK((X509_get_extension_flags(cert.get()) & EXFLAG_CA) == 0);
  // AuthorityKeyIdentifier = the CA's SubjectKeyIdentifier, as on the CSR path.
  const ASN1_OCTET_STRING* caSki = X509_get0_subject_key_id(f.ca.cert.get());
  const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(cert.get());
  REQUIRE(caSki);
  REQUIRE(aki);
  CHECK(ASN1_OCTET_STRING_cmp(caSki, aki) == 0);
  CHECK(X509_get0_subject_key_id(cert.get()) != nullptr);

  auto second = mustIssue(*f.signer, stubRequest(key.get()));
  CHECK(second.serialHex != issued.serialHex);
}

TEST_CASE("pod certificate: usages default to digital signature, client and server auth, plus key encipherment for RSA") {
  PodFixture f;
  auto ec = parseCertPem(mustIssue(*f.signer, stubRequest(sharedKey(KeyKind::P256, "pod").get())).certificateChainPem);
  CHECK(X509_get_key_usage(ec.get()) == KU_DIGITAL_SIGNATURE);
  CHECK(X509_get_extended_key_usage(ec.get()) == (XKU_SSL_CLIENT | XKU_SSL_SERVER));
  auto rsa = parseCertPem(mustIssue(*f.signer, stubRequest(sharedKey(KeyKind::Rsa3072, "pod").get())).certificateChainPem);
  CHECK(X509_get_key_usage(rsa.get()) == (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));

  auto policy = allowingPolicy();
  policy.usages = {"digital signature", "client auth"};
  policy.addKeyEnciphermentForRsa = false;
  f.build(policy);
  rsa = parseCertPem(mustIssue(*f.signer, stubRequest(sharedKey(KeyKind::Rsa3072, "pod").get())).certificateChainPem);
  CHECK(X509_get_key_usage(rsa.get()) == KU_DIGITAL_SIGNATURE);
  CHECK(X509_get_extended_key_usage(rsa.get()) == XKU_SSL_CLIENT);
}

TEST_CASE("pod certificate: DNS names come from templates and must be DNS-1123 names") {
  auto policy = allowingPolicy();
  policy.spiffeId = false;
  policy.dnsNameTemplates = {"{serviceAccount}.{namespace}.svc", "{pod}.{serviceAccount}.{namespace}.svc.cluster.local",
                             "{serviceAccount}.{namespace}.svc"};
  PodFixture f(policy);
  auto key = sharedKey(KeyKind::Ed25519, "pod");
  auto issued = mustIssue(*f.signer, stubRequest(key.get()));
  const std::vector<std::string> want{"web.team-a.svc", "web-0.web.team-a.svc.cluster.local"};
  CHECK(issued.dnsNames == want);
  CHECK(issued.spiffeId.empty());
  auto cert = parseCertPem(issued.certificateChainPem);
  CHECK(sanStrings(cert.get(), GEN_DNS) == want);
  CHECK(sanStrings(cert.get(), GEN_URI).empty());

  // A pod name the API server accepts (a 253-character subdomain) makes a name longer than 253.
  auto r = stubRequest(key.get());
  r.podName = std::string(63, 'p') + "." + std::string(63, 'q') + "." + std::string(63, 'r') + "." + std::string(61, 's');
  REQUIRE(isDns1123Subdomain(r.podName));
  auto refused = mustRefuse(*f.signer, r);
  CHECK(refused.kind == PodRefusalKind::Denied);
  CHECK(refused.reason == "InvalidDNSName");
}

TEST_CASE("pod certificate: unverifiedUserAnnotations only select among the policy's choices") {
  auto policy = allowingPolicy();
  policy.dnsNameTemplates = {"{serviceAccount}.{namespace}.svc"};
  policy.annotationChoices["example.com/identity"]["headless"] = PodIdentityChoice{{"{pod}.{serviceAccount}.{namespace}.svc"}, {}};
  policy.annotationChoices["example.com/identity"]["client"] = PodIdentityChoice{{}, {"digital signature", "client auth"}};
  policy.annotationChoices["example.com/other"]["x"] = PodIdentityChoice{};
  PodFixture f(policy);
  auto key = sharedKey(KeyKind::P256, "pod");

  auto r = stubRequest(key.get());
  CHECK(mustIssue(*f.signer, r).dnsNames == std::vector<std::string>{"web.team-a.svc"});

  r.unverifiedUserAnnotations = {{"example.com/identity", "headless"}};
  CHECK(mustIssue(*f.signer, r).dnsNames == std::vector<std::string>{"web-0.web.team-a.svc"});

  r.unverifiedUserAnnotations = {{"example.com/identity", "client"}};
  auto client = mustIssue(*f.signer, r);
  CHECK(client.dnsNames == std::vector<std::string>{"web.team-a.svc"});
  CHECK(X509_get_extended_key_usage(parseCertPem(client.certificateChainPem).get()) == XKU_SSL_CLIENT);

  r.unverifiedUserAnnotations = {{"example.com/identity", "admin\n"}};
  auto refused = mustRefuse(*f.signer, r);
  CHECK(refused.kind == PodRefusalKind::Denied);
  CHECK(refused.reason == "InvalidUnverifiedUserAnnotations");
  CHECK(refused.message.find("admin\\n") != std::string::npos);  // escaped, never a raw newline
  CHECK(refused.message.find("client, headless") != std::string::npos);

  r.unverifiedUserAnnotations = {{"evil.example/dns", "kubernetes.default.svc"}};
  refused = mustRefuse(*f.signer, r);
  CHECK(refused.reason == "InvalidUnverifiedUserAnnotations");
  CHECK(refused.message.find("evil.example/dns") != std::string::npos);

  r.unverifiedUserAnnotations = {{"example.com/identity", "headless"}, {"example.com/other", "x"}};
  CHECK(mustRefuse(*f.signer, r).reason == "InvalidUnverifiedUserAnnotations");

  policy.annotationChoices.clear();
  f.build(policy);
  r.unverifiedUserAnnotations = {{"example.com/identity", "headless"}};
  CHECK(mustRefuse(*f.signer, r).reason == "InvalidUnverifiedUserAnnotations");
}

TEST_CASE("pod certificate: notBefore is now, lifetime the smallest bound, times equal the leaf's") {
  auto policy = allowingPolicy();
  policy.maxLifetime = hours(12);
  PodFixture f(policy);
  auto key = sharedKey(KeyKind::P256, "pod");
  const auto now = system_clock::now();
  const auto start = floor<seconds>(now);

  auto r = stubRequest(key.get());
  auto issued = mustIssue(*f.signer, r, now);  // maxExpirationSeconds 86400 > 12h
  CHECK(issued.notBefore == start);
  CHECK(issued.notAfter == start + hours(12));
  CHECK_FALSE(issued.clampedToCaNotAfter);
  auto cert = parseCertPem(issued.certificateChainPem);
  CHECK(asTime(X509_get0_notBefore(cert.get())) == issued.notBefore);
  CHECK(asTime(X509_get0_notAfter(cert.get())) == issued.notAfter);

  r.maxExpirationSeconds = 7200;
  issued = mustIssue(*f.signer, r, now);
  CHECK(issued.notAfter == start + hours(2));

  r.maxExpirationSeconds = 3599;
  auto refused = mustRefuse(*f.signer, r, now);
  CHECK(refused.kind == PodRefusalKind::Failed);
  CHECK(refused.reason == "LifetimeTooShort");
  CHECK(refused.message.find("maxExpirationSeconds is 3599") != std::string::npos);
  r.maxExpirationSeconds = -5;
  CHECK(mustRefuse(*f.signer, r, now).reason == "LifetimeTooShort");
  r.maxExpirationSeconds = INT64_MAX;
  CHECK(mustIssue(*f.signer, r, now).notAfter == start + hours(12));
}

TEST_CASE("pod certificate: the CA's NotAfter cuts the lifetime, under 1 h left is Failed, a CA not valid yet is retried") {
  PodFixture f;
  auto key = sharedKey(KeyKind::P256, "pod");
  const auto caNotAfter = f.signer->caNotAfter();
  auto issued = mustIssue(*f.signer, stubRequest(key.get()), caNotAfter - hours(5));
  CHECK(issued.notAfter == caNotAfter);
  CHECK(issued.clampedToCaNotAfter);

  auto refused = mustRefuse(*f.signer, stubRequest(key.get()), caNotAfter - minutes(30));
  CHECK(refused.kind == PodRefusalKind::Failed);
  CHECK(refused.reason == "LifetimeTooShort");
  CHECK(refused.message.find("rotate the CA") != std::string::npos);
  CHECK(mustRefuse(*f.signer, stubRequest(key.get()), caNotAfter + hours(1)).reason == "LifetimeTooShort");

  auto early = f.signer->issue(stubRequest(key.get()), system_clock::now() - hours(3));
  CHECK(std::holds_alternative<PodCertificateRetry>(early));
}

TEST_CASE("pod certificate: beginRefreshAt is inside the jitter window and at least 10 minutes inside the lifetime") {
  PodFixture f;
  auto key = sharedKey(KeyKind::P256, "pod");
  const auto now = floor<seconds>(system_clock::now());
  auto r = stubRequest(key.get());
  r.maxExpirationSeconds = 10000;
  f.jitter = 0.0;
  CHECK(mustIssue(*f.signer, r, now).beginRefreshAt == now + seconds(5000));
  f.jitter = 0.5;
  CHECK(mustIssue(*f.signer, r, now).beginRefreshAt == now + seconds(6500));
  f.jitter = 0.999999;
  CHECK(mustIssue(*f.signer, r, now).beginRefreshAt == now + seconds(7999));

  auto policy = allowingPolicy();
  policy.refreshFromFraction = 0.01;
  policy.refreshToFraction = 0.99;
  f.build(policy);
  r.maxExpirationSeconds = 3600;
  f.jitter = 0.0;
  CHECK(mustIssue(*f.signer, r, now).beginRefreshAt == now + minutes(10));
  f.jitter = 0.999999;
  CHECK(mustIssue(*f.signer, r, now).beginRefreshAt == now + minutes(50));

  // The default jitter draws inside [50 %, 80 %].
  PodCertificateSignerOptions defaults;
  auto random = createPodCertificateSigner(allowingPolicy(), f.files, defaults);
  REQUIRE(random.ok());
  r.maxExpirationSeconds = 86400;
  std::set<system_clock::time_point> seen;
  for (int i = 0; i < 20; ++i) {
    auto at = mustIssue(*random.value(), r, now).beginRefreshAt;
    CHECK(at >= now + seconds(43200));
    CHECK(at <= now + seconds(69120));
    seen.insert(at);
  }
  CHECK(seen.size() > 1);
}

TEST_CASE("pod certificate: certificateChain is the leaf then the configured intermediates") {
  TestCa root = makeCa({.commonName = "root"});
  TestCa intermediate = makeIntermediate(root, "issuing");
  TempDir dir;
  CaFiles files;
  files.certFile = dir.write("ca.crt", intermediate.certPem());
  files.keyFile = dir.write("ca.key", keyPem(intermediate.key.get()));
  files.chainFiles = {dir.write("chain.crt", root.certPem())};
  auto signer = createPodCertificateSigner(allowingPolicy(), files);
  REQUIRE(signer.ok());
  auto key = sharedKey(KeyKind::P256, "pod");
  auto issued = mustIssue(*signer.value(), stubRequest(key.get()));
  CHECK(countPemCertificates(issued.certificateChainPem) == 3);
  const auto at = issued.certificateChainPem.find(intermediate.certPem());
  CHECK(at != std::string::npos);
  CHECK(at > 0);
  const auto rootAt = issued.certificateChainPem.find(root.certPem());
  CHECK(rootAt != std::string::npos);
  CHECK(rootAt > at);
  CHECK(leafSpki(issued.certificateChainPem) == publicKeyDer(key.get()));

  auto policy = allowingPolicy();
  policy.includeChain = false;
  signer = createPodCertificateSigner(policy, files);
  REQUIRE(signer.ok());
  CHECK(countPemCertificates(mustIssue(*signer.value(), stubRequest(key.get())).certificateChainPem) == 1);

  // A self-signed CA is the trust anchor itself: the chain is the leaf alone.
  PodFixture f;
  CHECK(countPemCertificates(mustIssue(*f.signer, stubRequest(key.get())).certificateChainPem) == 1);
}

TEST_CASE("pod certificate: the request's own fields are checked again") {
  PodFixture f;
  auto key = sharedKey(KeyKind::P256, "pod");
  auto r = stubRequest(key.get());
  r.signerName = "example.com/other";
  auto refused = mustRefuse(*f.signer, r);
  CHECK(refused.kind == PodRefusalKind::Failed);
  CHECK(refused.reason == "InvalidRequest");

  r = stubRequest(key.get());
  r.podUID.clear();
  CHECK(mustRefuse(*f.signer, r).reason == "InvalidRequest");
  r = stubRequest(key.get());
  r.serviceAccountName = "Web/../x";
  CHECK(mustRefuse(*f.signer, r).reason == "InvalidRequest");
  r = stubRequest(key.get());
  r.nodeUID.assign(129, 'u');
  CHECK(mustRefuse(*f.signer, r).reason == "InvalidRequest");
}

TEST_CASE("pod certificate: a policy that cannot work is refused at load with the field named") {
  const auto refusedFor = [](auto mutate) {
    auto p = allowingPolicy();
    mutate(p);
    return validatePodCertificatePolicy(p).value_or("");
  };
  CHECK(validatePodCertificatePolicy(allowingPolicy()) == std::nullopt);
  CHECK(refusedFor([](auto& p) { p.signerName = "kubernetes.io/kube-apiserver-client-pod"; }).find("reserved") != std::string::npos);
  CHECK(refusedFor([](auto& p) { p.signerName = "pods"; }).find("signerName") != std::string::npos);
  CHECK(refusedFor([](auto& p) { p.trustDomain = ""; }).find("trustDomain") != std::string::npos);
  CHECK(refusedFor([](auto& p) { p.trustDomain = "Cluster.Example"; }).find("trustDomain") != std::string::npos);
  CHECK(refusedFor([](auto& p) { p.spiffeId = false; }).find("no identity") != std::string::npos);
  CHECK(refusedFor([](auto& p) { p.dnsNameTemplates = {"{node}.example.com"}; }).find("placeholder") != std::string::npos);
  CHECK(refusedFor([](auto& p) { p.dnsNameTemplates = {"*.{namespace}.svc"}; }).find("DNS name") != std::string::npos);
  CHECK(refusedFor([](auto& p) { p.usages = {"digital signature", "cert sign"}; }).find("never granted") != std::string::npos);
  CHECK(refusedFor([](auto& p) { p.usages = {"serverauth"}; }).find("unknown usage") != std::string::npos);
  CHECK(refusedFor([](auto& p) { p.usages.clear(); }).find("at least one usage") != std::string::npos);
  CHECK(refusedFor([](auto& p) { p.maxLifetime = minutes(30); }).find("maxLifetime") != std::string::npos);
  CHECK(refusedFor([](auto& p) { p.maxLifetime = hours(24 * 92); }).find("maxLifetime") != std::string::npos);
  CHECK(refusedFor([](auto& p) { p.allowedKeyTypes.clear(); }).find("allowedKeyTypes") != std::string::npos);
  CHECK(refusedFor([](auto& p) { p.allowedServiceAccounts = {"team-a"}; }).find("allowedServiceAccounts") != std::string::npos);
  CHECK(refusedFor([](auto& p) { p.allowedNamespaces = {"Team-A"}; }).find("allowedNamespaces") != std::string::npos);
  CHECK(refusedFor([](auto& p) { p.refreshToFraction = 1.0; }).find("refresh") != std::string::npos);
  CHECK(refusedFor([](auto& p) { p.refreshFromFraction = 0.9; }).find("refresh") != std::string::npos);
  CHECK(refusedFor([](auto& p) { p.annotationChoices["identity"]["a"] = {}; }).find("domain-prefixed") != std::string::npos);
  CHECK(refusedFor([](auto& p) {
          p.annotationChoices["example.com/identity"]["a"] = PodIdentityChoice{{}, {"any"}};
        }).find("never granted") != std::string::npos);

  TempDir dir;
  CaFiles missing{dir.path() / "none.crt", dir.path() / "none.key", "", {}};
  auto s = createPodCertificateSigner(allowingPolicy(), missing);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().find("example.com/pods") != std::string::npos);
}

TEST_CASE("pod certificate: key type names are the kubelet's") {
  CHECK(std::string(podKeyTypeName(PodKeyType::EcdsaP521)) == "ECDSAP521");
  for (PodKeyType t : allPodKeyTypes()) CHECK(parsePodKeyType(podKeyTypeName(t)) == t);
  CHECK(parsePodKeyType("ed25519") == std::nullopt);
  CHECK(allPodKeyTypes().size() == 6);
}

TEST_CASE("pod certificate: issue is safe from many threads at once") {
  PodFixture f;
  auto key = sharedKey(KeyKind::P256, "pod");
  const auto request = stubRequest(key.get());
  std::mutex mutex;
  std::set<std::string> serials;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto out = f.signer->issue(request, system_clock::now());
        std::lock_guard lock(mutex);
        if (auto* issued = std::get_if<PodCertificateIssued>(&out)) serials.insert(issued->serialHex);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(serials.size() == 100);
}
