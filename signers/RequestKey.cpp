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

#include "signers/OpenSslError.h"

namespace signers {
namespace {

using RK = Result<EvpPkeyPtr>;
using RP = Result<RequestPublicKey>;

X509AlgorPtr parseAlgorithm(DerBytes der) {
  const unsigned char* p = der.data();
  X509AlgorPtr alg(d2i_X509_ALGOR(nullptr, &p, static_cast<long>(der.size())));
  if (alg && p != der.data() + der.size()) alg.reset();
  return alg;
}

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

struct EcKeyDeleter {
  void operator()(EC_KEY* k) const noexcept { EC_KEY_free(k); }
};
struct EcGroupDeleter {
  void operator()(EC_GROUP* g) const noexcept { EC_GROUP_free(g); }
};

// Built once per curve; EC_GROUP_new_by_curve_name costs about as much as the point decoding.
const EC_GROUP* sharedGroup(int curveNid) {
  static const std::unique_ptr<EC_GROUP, EcGroupDeleter> p256(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  static const std::unique_ptr<EC_GROUP, EcGroupDeleter> p384(EC_GROUP_new_by_curve_name(NID_secp384r1));
  static const std::unique_ptr<EC_GROUP, EcGroupDeleter> p521(EC_GROUP_new_by_curve_name(NID_secp521r1));
  switch (curveNid) {
    case NID_X9_62_prime256v1: return p256.get();
    case NID_secp384r1: return p384.get();
    case NID_secp521r1: return p521.get();
    default: return nullptr;
  }
}

// The AlgorithmIdentifiers of almost every request, recognised by their bytes so that the common
// case skips two ASN.1 template decodes.
constexpr unsigned char kP256KeyAlgorithm[] = {0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
                                               0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
constexpr unsigned char kEcdsaSha256Algorithm[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};

bool sameBytes(DerBytes a, std::span<const unsigned char> b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

RP ecKeyOnCurve(int curve, DerBytes bits);

RP ecKey(const X509_ALGOR* alg, DerBytes bits) {
  int ptype = 0;
  const void* pval = nullptr;
  X509_ALGOR_get0(nullptr, &ptype, &pval, alg);
  if (ptype != V_ASN1_OBJECT) return RP::fail("request has an EC key without a named curve (explicit parameters are not supported)");
  return ecKeyOnCurve(OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(pval)), bits);
}

RP ecKeyOnCurve(int curve, DerBytes bits) {
  const EC_GROUP* group = sharedGroup(curve);
  if (group == nullptr) {
    // Other named curves: imported generically, then refused by the key policy.
    const char* name = curve == NID_undef ? nullptr : OBJ_nid2sn(curve);
    if (name == nullptr) return RP::fail("request has an EC key on an unknown curve");
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(name), 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, const_cast<unsigned char*>(bits.data()), bits.size()),
        OSSL_PARAM_construct_end()};
    auto key = fromData("EC", params);
    if (!key) return RP::fail(key.error());
    RequestPublicKey out;
    out.bits = EVP_PKEY_get_bits(key.value().get());
    out.pkey = std::move(key.value());
    out.type = KeyType::EcOther;
    return RP::ok(std::move(out));
  }
  std::unique_ptr<EC_KEY, EcKeyDeleter> ec(EC_KEY_new());
  // EC_KEY_oct2key refuses points that are not on the curve.
  if (!ec || EC_KEY_set_group(ec.get(), group) != 1 || EC_KEY_oct2key(ec.get(), bits.data(), bits.size(), nullptr) != 1) {
    drainOpenSslErrors();
    return RP::fail("request has an invalid EC public key");
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

const EVP_MD* fetchedDigest(int nid) {
  static const EvpMdPtr sha256(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  static const EvpMdPtr sha384(EVP_MD_fetch(nullptr, "SHA384", nullptr));
  static const EvpMdPtr sha512(EVP_MD_fetch(nullptr, "SHA512", nullptr));
  switch (nid) {
    case NID_sha256: return sha256.get();
    case NID_sha384: return sha384.get();
    case NID_sha512: return sha512.get();
    default: return nullptr;
  }
}

RK rsaKey(DerBytes bits) {
  // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
  const unsigned char* p = bits.data();
  long len = 0;
  int tag = 0, cls = 0;
  int r = ASN1_get_object(&p, &len, &tag, &cls, static_cast<long>(bits.size()));
  if ((r & 0x80) != 0 || r == 0x21 || tag != V_ASN1_SEQUENCE || p + len != bits.data() + bits.size()) {
    ERR_clear_error();
    return RK::fail("request has a malformed RSA public key");
  }
  const unsigned char* end = p + len;
  Asn1IntegerPtr n(d2i_ASN1_INTEGER(nullptr, &p, end - p));
  Asn1IntegerPtr e(n ? d2i_ASN1_INTEGER(nullptr, &p, end - p) : nullptr);
  if (!n || !e || p != end) {
    drainOpenSslErrors();
    return RK::fail("request has a malformed RSA public key");
  }
  BignumPtr bn(ASN1_INTEGER_to_BN(n.get(), nullptr));
  BignumPtr be(ASN1_INTEGER_to_BN(e.get(), nullptr));
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bn || !be || !bld || BN_is_negative(bn.get()) || BN_is_negative(be.get()) ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, be.get()) != 1) {
    drainOpenSslErrors();
    return RK::fail("request has a malformed RSA public key");
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return RK::fail(withOpenSslErrors("cannot build RSA key parameters"));
  return fromData("RSA", params.get());
}

}  // namespace

Result<RequestPublicKey> publicKeyFromRequest(const RequestDer& der) {
  if (sameBytes(der.spkiAlgorithm, kP256KeyAlgorithm)) return ecKeyOnCurve(NID_X9_62_prime256v1, der.publicKey);
  X509AlgorPtr alg = parseAlgorithm(der.spkiAlgorithm);
  if (!alg) return RP::fail(withOpenSslErrors("request has a malformed public key algorithm"));
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, alg.get());
  RequestPublicKey out;
  switch (OBJ_obj2nid(obj)) {
    case NID_X9_62_id_ecPublicKey:
      return ecKey(alg.get(), der.publicKey);
    case NID_rsaEncryption: {
      auto key = rsaKey(der.publicKey);
      if (!key) return RP::fail(key.error());
      out.pkey = std::move(key.value());
      out.type = KeyType::Rsa;
      out.bits = EVP_PKEY_get_bits(out.pkey.get());
      return RP::ok(std::move(out));
    }
    case NID_ED25519: {
      EVP_PKEY* key = EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr, der.publicKey.data(), der.publicKey.size());
      if (key == nullptr) {
        drainOpenSslErrors();
        return RP::fail("request has an invalid Ed25519 public key");
      }
      out.pkey.reset(key);
      out.type = KeyType::Ed25519;
      out.bits = EVP_PKEY_get_bits(key);
      return RP::ok(std::move(out));
    }
    default: {
      const unsigned char* p = der.spki.data();
      EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, static_cast<long>(der.spki.size()));
      if (key == nullptr) {
        drainOpenSslErrors();
        return RP::fail("request has an unsupported public key type");
      }
      out.pkey.reset(key);
      out.type = KeyType::Other;
      out.bits = EVP_PKEY_get_bits(key);
      return RP::ok(std::move(out));
    }
  }
}

std::optional<std::string> verifyRequestSignature(const RequestDer& der, const RequestPublicKey& requestKey) {
  EVP_PKEY* key = requestKey.pkey.get();
  int mdNid = NID_undef;
  int pkeyNid = NID_undef;
  if (sameBytes(der.signatureAlgorithm, kEcdsaSha256Algorithm)) {
    mdNid = NID_sha256;
    pkeyNid = NID_X9_62_id_ecPublicKey;
  } else {
    X509AlgorPtr alg = parseAlgorithm(der.signatureAlgorithm);
    if (!alg) {
      drainOpenSslErrors();
      return "request has a malformed signature algorithm";
    }
    const ASN1_OBJECT* obj = nullptr;
    X509_ALGOR_get0(&obj, nullptr, nullptr, alg.get());
    if (OBJ_find_sigid_algs(OBJ_obj2nid(obj), &mdNid, &pkeyNid) != 1) return "request uses an unsupported signature algorithm";
  }
  bool strongDigest = mdNid == NID_sha256 || mdNid == NID_sha384 || mdNid == NID_sha512;
  bool pureEdDsa = mdNid == NID_undef && pkeyNid == NID_ED25519;
  if (!strongDigest && !pureEdDsa) return "request uses an insecure or unsupported signature algorithm";
  if (pkeyNid != EVP_PKEY_get_base_id(key)) return "request signature algorithm does not match its public key";
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

}  // namespace signers
