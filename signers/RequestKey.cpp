// The EC_KEY API is deprecated in OpenSSL 3 but is the only way to verify ECDSA without a
// provider round trip per request (see RequestPublicKey::legacyEc).
#define OPENSSL_SUPPRESS_DEPRECATED
#include "signers/RequestKey.h"

#include <openssl/ec.h>
#include <openssl/ecdsa.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include <algorithm>
#include <array>
#include <atomic>

#include "signers/Der.h"
#include "signers/Digests.h"
#include "signers/OpenSslError.h"

namespace signers {
namespace {

using RK = Result<EvpPkeyPtr>;
using RP = Result<RequestPublicKey>;
// The key's subjectPublicKey bits, re-encoded from the parsed values.
using KeyBits = std::vector<unsigned char>;

RK fromData(const char* type, const OSSL_PARAM* params) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, const_cast<OSSL_PARAM*>(params)) != 1) {
    drainOpenSslErrors();
    return RK::fail(std::string("request has an invalid ") + type + " public key");
  }
  return RK::ok(EvpPkeyPtr(key));
}

// Here, not in OpenSslPtr.h: naming the deprecated EC_KEY_free would warn in every file that
// includes it.
using EcKeyPtr = std::unique_ptr<EC_KEY, OpenSslDeleter<&EC_KEY_free>>;

// Built once per curve; EC_GROUP_new_by_curve_name costs about as much as the point decoding.
const EC_GROUP* sharedGroup(int curveNid) {
  static const EcGroupPtr p224(EC_GROUP_new_by_curve_name(NID_secp224r1));
  static const EcGroupPtr p256(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  static const EcGroupPtr p384(EC_GROUP_new_by_curve_name(NID_secp384r1));
  static const EcGroupPtr p521(EC_GROUP_new_by_curve_name(NID_secp521r1));
  switch (curveNid) {
    case NID_secp224r1: return p224.get();
    case NID_X9_62_prime256v1: return p256.get();
    case NID_secp384r1: return p384.get();
    case NID_secp521r1: return p521.get();
    default: return nullptr;
  }
}

// The only AlgorithmIdentifier encodings accepted for a request key: exactly what Go's
// parsePublicKey accepts (crypto/x509/parser.go): rsaEncryption with NULL parameters, id-ecPublicKey
// with one of Go's four named curves, Ed25519 without parameters. Any other encoding of the same
// algorithm (missing or extra parameters) would be read differently by one of the two parsers.
struct KeyAlgorithm {
  std::span<const unsigned char> der;
  int type;  // EVP_PKEY_RSA, EVP_PKEY_ED25519 or the curve NID for EC
};
constexpr unsigned char kRsaKeyAlgorithm[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
constexpr unsigned char kP224KeyAlgorithm[] = {0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d,
                                               0x02, 0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x21};
constexpr unsigned char kP256KeyAlgorithm[] = {0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
                                               0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
constexpr unsigned char kP384KeyAlgorithm[] = {0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d,
                                               0x02, 0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
constexpr unsigned char kP521KeyAlgorithm[] = {0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d,
                                               0x02, 0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};
constexpr unsigned char kEd25519KeyAlgorithm[] = {0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70};
constexpr KeyAlgorithm kKeyAlgorithms[] = {{kRsaKeyAlgorithm, EVP_PKEY_RSA},   {kP256KeyAlgorithm, NID_X9_62_prime256v1},
                                           {kP384KeyAlgorithm, NID_secp384r1}, {kP521KeyAlgorithm, NID_secp521r1},
                                           {kP224KeyAlgorithm, NID_secp224r1}, {kEd25519KeyAlgorithm, EVP_PKEY_ED25519}};

// The signature AlgorithmIdentifiers accepted, byte for byte: SHA-2 with RSA PKCS#1 v1.5 (NULL
// parameters, as every encoder writes them), ECDSA with SHA-2 and Ed25519 (parameters absent, as
// RFC 5758 and RFC 8410 require and Go's getSignatureAlgorithmFromAI checks for Ed25519).
struct SignatureAlgorithm {
  std::span<const unsigned char> der;
  int mdNid;  // NID_undef for pure Ed25519
  int keyType;
};
constexpr unsigned char kRsaSha256[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
constexpr unsigned char kRsaSha384[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00};
constexpr unsigned char kRsaSha512[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d, 0x05, 0x00};
constexpr unsigned char kEcdsaSha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
constexpr unsigned char kEcdsaSha384[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
constexpr unsigned char kEcdsaSha512[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04};
constexpr SignatureAlgorithm kSignatureAlgorithms[] = {{kEcdsaSha256, NID_sha256, EVP_PKEY_EC},
                                                       {kEcdsaSha384, NID_sha384, EVP_PKEY_EC},
                                                       {kEcdsaSha512, NID_sha512, EVP_PKEY_EC},
                                                       {kRsaSha256, NID_sha256, EVP_PKEY_RSA},
                                                       {kRsaSha384, NID_sha384, EVP_PKEY_RSA},
                                                       {kRsaSha512, NID_sha512, EVP_PKEY_RSA},
                                                       {kEd25519KeyAlgorithm, NID_undef, EVP_PKEY_ED25519}};

bool sameBytes(DerBytes a, std::span<const unsigned char> b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

// Names what is wrong with an AlgorithmIdentifier that matched none of the accepted encodings.
std::string unsupportedKeyAlgorithm(DerBytes algorithm) {
  DerTlv seq, oid;
  DerBytes in = algorithm;
  if (!readDerTlv(in, seq)) return "request has a malformed public key algorithm";
  DerBytes parts = seq.content;
  if (!readDerTlv(parts, oid) || oid.tag != V_ASN1_OBJECT) return "request has a malformed public key algorithm";
  std::string dotted = oidToDotted(oid.content);
  if (dotted == "1.2.840.113549.1.1.1") return "request has an RSA key whose algorithm parameters are not exactly NULL";
  if (dotted == "1.2.840.10045.2.1") {
    return "request has an EC key that is not on a named curve Go supports (P-224, P-256, P-384, P-521) or has extra parameters";
  }
  if (dotted == "1.3.101.112") return "request has an Ed25519 key with algorithm parameters (they must be absent)";
  return "request has an unsupported public key type" + (dotted.empty() ? std::string() : " (" + dotted + ")");
}

RP ecKeyOnCurve(int curve, DerBytes bits, KeyBits& reencoded) {
  const EC_GROUP* group = sharedGroup(curve);
  // Go's elliptic.Unmarshal accepts only the uncompressed form 0x04 || X || Y; OpenSSL would also
  // decode compressed and hybrid points.
  std::size_t fieldBytes = static_cast<std::size_t>((EC_GROUP_get_degree(group) + 7) / 8);
  if (bits.size() != 1 + 2 * fieldBytes || bits[0] != 0x04) {
    return RP::fail("request has an EC public key that is not an uncompressed point (0x04 || X || Y)");
  }
  EcKeyPtr ec(EC_KEY_new());
  // EC_KEY_oct2key refuses points that are not on the curve.
  if (!ec || EC_KEY_set_group(ec.get(), group) != 1 || EC_KEY_oct2key(ec.get(), bits.data(), bits.size(), nullptr) != 1) {
    drainOpenSslErrors();
    return RP::fail("request has an invalid EC public key");
  }
  reencoded.resize(bits.size());
  if (EC_POINT_point2oct(group, EC_KEY_get0_public_key(ec.get()), POINT_CONVERSION_UNCOMPRESSED, reencoded.data(), reencoded.size(),
                         nullptr) != reencoded.size()) {
    return RP::fail(withOpenSslErrors("cannot re-encode the EC public key"));
  }
  EvpPkeyPtr pkey(EVP_PKEY_new());
  if (!pkey || EVP_PKEY_assign_EC_KEY(pkey.get(), ec.get()) != 1) return RP::fail(withOpenSslErrors("cannot wrap the EC key"));
  ec.release();
  RequestPublicKey out;
  out.pkey = std::move(pkey);
  out.legacyEc = true;
  out.type = curve == NID_X9_62_prime256v1 ? KeyType::EcP256 : curve == NID_secp384r1 ? KeyType::EcP384 : KeyType::EcOther;
  out.bits = EC_GROUP_order_bits(group);
  return RP::ok(std::move(out));
}

// A positive INTEGER in minimal DER (cryptobyte's ReadASN1Integer refuses other encodings).
std::optional<DerBytes> positiveInteger(DerBytes& in) {
  DerTlv t;
  if (!readDerTlv(in, t) || t.cls != V_ASN1_UNIVERSAL || t.tag != V_ASN1_INTEGER || t.constructed || t.content.empty()) {
    return std::nullopt;
  }
  DerBytes v = t.content;
  if ((v[0] & 0x80) != 0) return std::nullopt;                               // negative
  if (v.size() > 1 && v[0] == 0 && (v[1] & 0x80) == 0) return std::nullopt;  // non-minimal
  while (!v.empty() && v[0] == 0) v = v.subspan(1);
  if (v.empty()) return std::nullopt;  // zero
  return v;
}

void appendBignum(KeyBits& out, const BIGNUM* bn) {
  std::vector<unsigned char> magnitude(static_cast<std::size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, magnitude.data());
  der::appendUnsignedInteger(out, magnitude);
}

RK rsaKey(DerBytes bits, KeyBits& reencoded) {
  // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
  DerTlv seq;
  if (!readDerTlv(bits, seq) || seq.cls != V_ASN1_UNIVERSAL || seq.tag != V_ASN1_SEQUENCE || !seq.constructed || !bits.empty()) {
    return RK::fail("request has a malformed RSA public key");
  }
  DerBytes fields = seq.content;
  auto n = positiveInteger(fields);
  auto e = n ? positiveInteger(fields) : std::nullopt;
  if (!n || !e || !fields.empty()) return RK::fail("request has a malformed RSA public key");
  // Exactly 65537, what kubelet, Go, OpenSSL and cfssl generate. A small exponent buys nothing
  // and e = 1 "verifies" any signature without a private key.
  static constexpr unsigned char kF4[] = {0x01, 0x00, 0x01};
  if (!sameBytes(*e, kF4)) return RK::fail("request has an RSA public exponent other than 65537");
  BignumPtr bn(BN_bin2bn(n->data(), static_cast<int>(n->size()), nullptr));
  BignumPtr be(BN_bin2bn(e->data(), static_cast<int>(e->size()), nullptr));
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bn || !be || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, be.get()) != 1) {
    drainOpenSslErrors();
    return RK::fail("request has a malformed RSA public key");
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return RK::fail(withOpenSslErrors("cannot build RSA key parameters"));
  KeyBits integers;
  appendBignum(integers, bn.get());
  appendBignum(integers, be.get());
  reencoded = der::tlv(der::kSequence, integers);
  return fromData("RSA", params.get());
}

RP keyOfType(int type, DerBytes bits, KeyBits& reencoded) {
  RequestPublicKey out;
  if (type == EVP_PKEY_RSA) {
    auto key = rsaKey(bits, reencoded);
    if (!key) return RP::fail(key.error());
    out.pkey = std::move(key.value());
    out.type = KeyType::Rsa;
    out.bits = EVP_PKEY_get_bits(out.pkey.get());
    return RP::ok(std::move(out));
  }
  if (type == EVP_PKEY_ED25519) {
    if (bits.size() != 32) return RP::fail("request has an Ed25519 public key that is not 32 bytes");
    EVP_PKEY* key = EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr, bits.data(), bits.size());
    if (key == nullptr) {
      drainOpenSslErrors();
      return RP::fail("request has an invalid Ed25519 public key");
    }
    out.pkey.reset(key);
    reencoded.resize(32);
    std::size_t len = reencoded.size();
    if (EVP_PKEY_get_raw_public_key(key, reencoded.data(), &len) != 1 || len != 32) {
      return RP::fail(withOpenSslErrors("cannot re-encode the Ed25519 public key"));
    }
    out.type = KeyType::Ed25519;
    out.bits = EVP_PKEY_get_bits(key);
    return RP::ok(std::move(out));
  }
  return ecKeyOnCurve(type, bits, reencoded);
}

}  // namespace

Result<RequestPublicKey> publicKeyFromRequest(const RequestDer& der) {
  const KeyAlgorithm* algorithm = nullptr;
  for (const auto& a : kKeyAlgorithms) {
    if (sameBytes(der.spkiAlgorithm, a.der)) algorithm = &a;
  }
  if (algorithm == nullptr) return RP::fail(unsupportedKeyAlgorithm(der.spkiAlgorithm));
  KeyBits keyBits;
  auto key = keyOfType(algorithm->type, der.publicKey, keyBits);
  if (!key) return key;
  // Re-encoded from the parsed key (its canonical AlgorithmIdentifier, the key values as OpenSSL
  // holds them) and compared with what was sent: this closes every alternative encoding the
  // checks above might miss, and the certificate then carries exactly the key both parsers read.
  // Written with our DER writer: i2d_PUBKEY goes through OpenSSL 3's encoder chain and costs
  // about 120 us per RSA key, more than the rest of the parse; tests/goparity checks that both
  // encodings agree.
  std::vector<unsigned char> spki(algorithm->der.begin(), algorithm->der.end());
  der::appendBitString(spki, keyBits);
  spki = der::tlv(der::kSequence, spki);
  if (!sameBytes(der.spki, spki)) return RP::fail("the request's public key is not in its canonical DER encoding");
  key.value().spkiDer = std::move(spki);
  return key;
}

namespace {

// Every CSR is parsed up to three times in this process (the duplicate index when it arrives, the
// approver, the signer), and the signature check is the costliest step of a parse: each request is
// verified once and remembered. The key is the SHA-256 of exactly the bytes the check reads (the
// CertificationRequestInfo, which holds the public key, the signature AlgorithmIdentifier and the
// signature; the two TLVs delimit themselves, so the concatenation is unambiguous), and the check
// is deterministic in them: a remembered request gets the answer a new check would give. Only
// successes are remembered; a failure is checked again each time. Bounded: the oldest digests are
// forgotten first (kRememberedSignatures covers a work queue thousands of CSRs deep, in about 1 MB).
constexpr std::size_t kRememberedSignatures = 16384;

RememberedByDigest<bool>& verifiedSignatures() {
  static RememberedByDigest<bool> verified(kRememberedSignatures);
  return verified;
}

std::atomic<std::uint64_t> signatureChecks{0};

std::optional<std::string> checkRequestSignature(const RequestDer& der, const RequestPublicKey& requestKey);

}  // namespace

std::uint64_t requestSignatureChecks() { return signatureChecks.load(); }

std::optional<std::string> verifyRequestSignature(const RequestDer& der, const RequestPublicKey& requestKey) {
  const auto digest = sha256Of({der.info, der.signatureAlgorithm, der.signature});
  if (digest && verifiedSignatures().find(*digest)) return std::nullopt;
  auto refused = checkRequestSignature(der, requestKey);
  if (!refused && digest) verifiedSignatures().remember(*digest, true);
  return refused;
}

namespace {

std::optional<std::string> checkRequestSignature(const RequestDer& der, const RequestPublicKey& requestKey) {
  signatureChecks.fetch_add(1, std::memory_order_relaxed);
  EVP_PKEY* key = requestKey.pkey.get();
  const SignatureAlgorithm* algorithm = nullptr;
  for (const auto& a : kSignatureAlgorithms) {
    if (sameBytes(der.signatureAlgorithm, a.der)) algorithm = &a;
  }
  if (algorithm == nullptr) return "request uses an insecure or unsupported signature algorithm";
  int mdNid = algorithm->mdNid;
  bool pureEdDsa = mdNid == NID_undef;
  if (algorithm->keyType != EVP_PKEY_get_base_id(key)) return "request signature algorithm does not match its public key";
  if (requestKey.legacyEc) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digestLen = 0;
    const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(key);
    // ECDSA_verify also refuses a signature that is not canonical DER.
    bool ok = ec != nullptr && fetchedDigest(mdNid) != nullptr &&
              EVP_Digest(der.info.data(), der.info.size(), digest, &digestLen, fetchedDigest(mdNid), nullptr) == 1 &&
              ECDSA_verify(0, digest, static_cast<int>(digestLen), der.signature.data(), static_cast<int>(der.signature.size()),
                           const_cast<EC_KEY*>(ec)) == 1;
    drainOpenSslErrors();
    if (!ok) return "request signature does not verify with its own public key";
    return std::nullopt;
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  const char* mdName = pureEdDsa ? nullptr : OBJ_nid2sn(mdNid);
  bool ok = ctx && EVP_DigestVerifyInit_ex(ctx.get(), nullptr, mdName, nullptr, nullptr, key, nullptr) == 1 &&
            EVP_DigestVerify(ctx.get(), der.signature.data(), der.signature.size(), der.info.data(), der.info.size()) == 1;
  drainOpenSslErrors();
  if (!ok) return "request signature does not verify with its own public key";
  return std::nullopt;
}

}  // namespace

}  // namespace signers
