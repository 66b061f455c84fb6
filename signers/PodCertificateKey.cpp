// The EC_KEY API is deprecated in OpenSSL 3 but verifies ECDSA without a provider round trip per
// request, as the CSR path does (signers/RequestKey.h, RequestPublicKey::legacyEc).
#define OPENSSL_SUPPRESS_DEPRECATED
#include "signers/PodCertificateKey.h"

#include <openssl/asn1.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <algorithm>

#include "signers/CertificateRequest.h"
#include "signers/OpenSslError.h"
#include "signers/OpenSslPtr.h"
#include "signers/RequestDer.h"
#include "signers/RequestKey.h"

namespace signers {
namespace {

using Outcome = std::variant<PodPublicKey, PodKeyRefusal>;

PodKeyRefusal refuse(std::string_view reason, std::string message) { return PodKeyRefusal{reason, std::move(message)}; }

// What an AlgorithmIdentifier names when it is no key the kubelet generates, for the
// UnsupportedKeyType message; nullopt for the three algorithms whose keys are looked at further.
std::optional<std::string> unsupportedAlgorithm(DerBytes algorithm) {
  DerTlv seq, oid;
  if (!readDerTlv(algorithm, seq) || seq.tag != V_ASN1_SEQUENCE || !seq.constructed) return std::nullopt;
  DerBytes parts = seq.content;
  if (!readDerTlv(parts, oid) || oid.tag != V_ASN1_OBJECT) return std::nullopt;
  const std::string dotted = oidToDotted(oid.content);
  if (dotted == "1.2.840.113549.1.1.1" || dotted == "1.3.101.112") return std::nullopt;
  if (dotted == "1.2.840.10045.2.1") {
    DerTlv curve;
    if (!readDerTlv(parts, curve) || curve.tag != V_ASN1_OBJECT) return std::nullopt;  // malformed: the parser says why
    const std::string name = oidToDotted(curve.content);
    if (name == "1.2.840.10045.3.1.7" || name == "1.3.132.0.34" || name == "1.3.132.0.35") return std::nullopt;
    if (name == "1.3.132.0.33") return std::string("ECDSA P-224");
    return "ECDSA on curve " + (name.empty() ? std::string("(malformed)") : name);
  }
  static constexpr std::pair<std::string_view, std::string_view> kNamed[] = {{"1.3.101.110", "X25519"},
                                                                             {"1.3.101.111", "X448"},
                                                                             {"1.3.101.113", "Ed448"},
                                                                             {"1.2.840.113549.1.1.10", "RSASSA-PSS key"},
                                                                             {"2.16.840.1.101.3.4.3.17", "ML-DSA-44"},
                                                                             {"2.16.840.1.101.3.4.3.18", "ML-DSA-65"},
                                                                             {"2.16.840.1.101.3.4.3.19", "ML-DSA-87"}};
  for (const auto& [o, name] : kNamed) {
    if (dotted == o) return std::string(name);
  }
  return "key algorithm " + (dotted.empty() ? std::string("(malformed)") : dotted);
}

// The kubelet's six (pkg/kubelet/podcertificate generateKeyAndProof). RSA by exact modulus size:
// Go's rsa.GenerateKey always sets the top bit, so a 3071-bit key is not one the kubelet made.
std::variant<PodKeyType, std::string> classify(KeyType type, int bits) {
  switch (type) {
    case KeyType::Rsa:
      if (bits == 3072) return PodKeyType::Rsa3072;
      if (bits == 4096) return PodKeyType::Rsa4096;
      return "RSA " + std::to_string(bits);
    case KeyType::EcP256: return PodKeyType::EcdsaP256;
    case KeyType::EcP384: return PodKeyType::EcdsaP384;
    case KeyType::EcOther:
      if (bits == 521) return PodKeyType::EcdsaP521;
      return "ECDSA P-" + std::to_string(bits);
    case KeyType::Ed25519: return PodKeyType::Ed25519;
    case KeyType::Other: break;
  }
  return std::string("an unknown key type");
}

std::optional<PodKeyRefusal> checkAllowed(const std::variant<PodKeyType, std::string>& type, std::span<const PodKeyType> allowed,
                                          std::string_view field) {
  if (const auto* t = std::get_if<PodKeyType>(&type)) {
    if (std::find(allowed.begin(), allowed.end(), *t) != allowed.end()) return std::nullopt;
    return refuse(pcr_reason::kUnsupportedKeyType,
                  std::string(field) + " is a " + podKeyTypeName(*t) +
                      " key, which this signer does not issue; allowed key types: " + formatPodKeyTypes(allowed));
  }
  return refuse(pcr_reason::kUnsupportedKeyType,
                std::string(field) + " is a " + std::get<std::string>(type) +
                    " key, which is no key type the kubelet generates; allowed key types: " + formatPodKeyTypes(allowed));
}

std::shared_ptr<const SubjectPublicKeyInfo> spkiFrom(std::vector<unsigned char> der) {
  auto spki = std::make_shared<SubjectPublicKeyInfo>();
  spki->der = std::move(der);
  RequestDer split;
  split.spki = spki->der;
  if (!splitSubjectPublicKeyInfo(split)) return nullptr;
  spki->algorithmDer.assign(split.spkiAlgorithm.begin(), split.spkiAlgorithm.end());
  spki->publicKey.assign(split.publicKey.begin(), split.publicKey.end());
  return spki;
}

DerBytes bytesOf(const std::string& s) { return DerBytes(reinterpret_cast<const unsigned char*>(s.data()), s.size()); }

Outcome fromStub(const std::string& stub, std::span<const PodKeyType> allowed) {
  const std::string_view field = "spec.stubPKCS10Request";
  RequestDer split;
  if (auto err = splitRequestDer(bytesOf(stub), split))
    return refuse(pcr_reason::kInvalidStubPkcs10Request, std::string(field) + ": " + *err);
  if (auto unsupported = unsupportedAlgorithm(split.spkiAlgorithm)) return checkAllowed(*unsupported, allowed, field).value();
  RequestLimits limits;
  limits.maxPemBytes = kMaxPodKeyMaterialBytes;
  auto parsed = parseCertificateRequestDer(bytesOf(stub), limits);
  if (!parsed) return refuse(pcr_reason::kInvalidStubPkcs10Request, std::string(field) + ": " + parsed.error());
  auto type = classify(parsed.value().keyType, parsed.value().keyBits);
  if (auto refusal = checkAllowed(type, allowed, field)) return *refusal;
  PodPublicKey out;
  out.spki = parsed.value().spki;
  out.pkey = parsed.value().publicKey;
  out.type = std::get<PodKeyType>(type);
  return out;
}

const EVP_MD* sha256() {
  static const EvpMdPtr md(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  return md.get();
}

bool sha256Of(std::string_view data, unsigned char (&digest)[32]) {
  unsigned int len = 0;
  return EVP_Digest(data.data(), data.size(), digest, &len, sha256(), nullptr) == 1 && len == 32;
}

// The three schemes of ValidatePodCertificateRequestCreate, over the pod UID's bytes:
// ed25519.Verify; ecdsa.VerifyASN1 of SHA-256; rsa.VerifyPSS with SHA-256 and nil options, which
// in Go means PSSSaltLengthAuto: any salt length verifies (the kubelet signs with nil options too,
// so its salt is the maximum length). OpenSSL's RSA_PSS_SALTLEN_AUTO is the same rule; MGF1 uses
// SHA-256, as Go's does.
bool verifyProof(const RequestPublicKey& key, std::string_view podUid, const std::string& proof) {
  const auto* sig = reinterpret_cast<const unsigned char*>(proof.data());
  bool ok = false;
  if (key.type == KeyType::Ed25519) {
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    ok = ctx && EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key.pkey.get(), nullptr) == 1 &&
         EVP_DigestVerify(ctx.get(), sig, proof.size(), reinterpret_cast<const unsigned char*>(podUid.data()), podUid.size()) == 1;
  } else if (key.legacyEc) {
    unsigned char digest[32];
    const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(key.pkey.get());
    // ECDSA_verify refuses a signature that is not canonical DER, as cryptobyte does for VerifyASN1.
    ok = ec != nullptr && sha256Of(podUid, digest) &&
         ECDSA_verify(0, digest, sizeof digest, sig, static_cast<int>(proof.size()), const_cast<EC_KEY*>(ec)) == 1;
  } else if (key.type == KeyType::Rsa) {
    unsigned char digest[32];
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.pkey.get(), nullptr));
    ok = ctx && sha256Of(podUid, digest) && EVP_PKEY_verify_init(ctx.get()) == 1 &&
         EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) == 1 && EVP_PKEY_CTX_set_signature_md(ctx.get(), sha256()) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), sha256()) == 1 && EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_AUTO) == 1 &&
         EVP_PKEY_verify(ctx.get(), sig, proof.size(), digest, sizeof digest) == 1;
  }
  drainOpenSslErrors();
  return ok;
}

Outcome fromPkix(const PodCertificateRequestFacts& request, std::span<const PodKeyType> allowed) {
  const std::string_view field = "spec.pkixPublicKey";
  RequestDer split;
  split.spki = bytesOf(request.pkixPublicKeyDer);
  DerBytes whole = split.spki;
  DerTlv outer;
  if (!readDerTlv(whole, outer) || !whole.empty() || !splitSubjectPublicKeyInfo(split)) {
    return refuse(pcr_reason::kInvalidPublicKey, std::string(field) + " is not a DER SubjectPublicKeyInfo");
  }
  if (auto unsupported = unsupportedAlgorithm(split.spkiAlgorithm)) return checkAllowed(*unsupported, allowed, field).value();
  auto key = publicKeyFromRequest(split);
  if (!key) return refuse(pcr_reason::kInvalidPublicKey, std::string(field) + ": " + key.error());
  auto type = classify(key.value().type, key.value().bits);
  if (auto refusal = checkAllowed(type, allowed, field)) return *refusal;
  if (request.proofOfPossession.empty()) {
    return refuse(pcr_reason::kInvalidProofOfPossession,
                  "spec.proofOfPossession is empty: it must sign the pod UID with the key of " + std::string(field));
  }
  if (!verifyProof(key.value(), request.podUID, request.proofOfPossession)) {
    return refuse(pcr_reason::kInvalidProofOfPossession,
                  "spec.proofOfPossession does not verify: it must be a signature over the pod UID made with the key of " +
                      std::string(field) + " (Ed25519; ECDSA ASN.1 over SHA-256; RSA-PSS with SHA-256)");
  }
  PodPublicKey out;
  out.spki = spkiFrom(std::move(key.value().spkiDer));
  if (!out.spki) return refuse(pcr_reason::kInvalidPublicKey, std::string(field) + ": the re-encoded key cannot be read back");
  out.pkey = std::shared_ptr<EVP_PKEY>(key.value().pkey.release(), EVP_PKEY_free);
  out.type = std::get<PodKeyType>(type);
  return out;
}

std::optional<PodKeyRefusal> tooLarge(const std::string& value, std::string_view field, std::string_view reason) {
  if (value.size() <= kMaxPodKeyMaterialBytes) return std::nullopt;
  return refuse(reason, std::string(field) + " is " + std::to_string(value.size()) + " bytes, more than the limit of " +
                            std::to_string(kMaxPodKeyMaterialBytes));
}

}  // namespace

std::string formatPodKeyTypes(std::span<const PodKeyType> types) {
  std::string out;
  for (PodKeyType t : types) {
    if (!out.empty()) out += ", ";
    out += podKeyTypeName(t);
  }
  return out.empty() ? std::string("none") : out;
}

std::variant<PodPublicKey, PodKeyRefusal> verifyPodCertificateKey(const PodCertificateRequestFacts& request,
                                                                  std::span<const PodKeyType> allowedKeyTypes) {
  if (auto r = tooLarge(request.stubPkcs10Der, "spec.stubPKCS10Request", pcr_reason::kInvalidStubPkcs10Request)) return *r;
  if (auto r = tooLarge(request.pkixPublicKeyDer, "spec.pkixPublicKey", pcr_reason::kInvalidPublicKey)) return *r;
  if (auto r = tooLarge(request.proofOfPossession, "spec.proofOfPossession", pcr_reason::kInvalidProofOfPossession)) return *r;
  const bool stub = !request.stubPkcs10Der.empty();
  const bool pkix = !request.pkixPublicKeyDer.empty();
  if (!stub && !pkix) {
    return refuse(pcr_reason::kInvalidPublicKey,
                  "the request carries no key: neither spec.stubPKCS10Request nor spec.pkixPublicKey is set");
  }
  if (!pkix && !request.proofOfPossession.empty()) {
    return refuse(pcr_reason::kInvalidProofOfPossession, "spec.proofOfPossession is set without spec.pkixPublicKey");
  }
  if (!pkix) return fromStub(request.stubPkcs10Der, allowedKeyTypes);
  auto fromKey = fromPkix(request, allowedKeyTypes);
  if (!stub || std::holds_alternative<PodKeyRefusal>(fromKey)) return fromKey;
  // Both set (v1beta1 from 1.36): the certificate must not go to a key whose holder proved
  // nothing, so both are verified and must be the same key.
  auto fromRequest = fromStub(request.stubPkcs10Der, allowedKeyTypes);
  if (std::holds_alternative<PodKeyRefusal>(fromRequest)) return fromRequest;
  if (std::get<PodPublicKey>(fromRequest).spki->der != std::get<PodPublicKey>(fromKey).spki->der) {
    return refuse(pcr_reason::kPublicKeyMismatch, "spec.stubPKCS10Request and spec.pkixPublicKey name different public keys");
  }
  return fromKey;
}

}  // namespace signers
