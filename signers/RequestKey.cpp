#include "signers/RequestKey.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "signers/OpenSslError.h"

namespace signers {
namespace {

using RK = Result<EvpPkeyPtr>;

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

RK ecKey(const X509_ALGOR* alg, DerBytes bits) {
  int ptype = 0;
  const void* pval = nullptr;
  X509_ALGOR_get0(nullptr, &ptype, &pval, alg);
  if (ptype != V_ASN1_OBJECT) return RK::fail("request has an EC key without a named curve (explicit parameters are not supported)");
  int curve = OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(pval));
  const char* group = curve == NID_undef ? nullptr : OBJ_nid2sn(curve);
  if (group == nullptr) return RK::fail("request has an EC key on an unknown curve");
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, const_cast<unsigned char*>(bits.data()), bits.size()),
      OSSL_PARAM_construct_end()};
  return fromData("EC", params);
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

Result<EvpPkeyPtr> publicKeyFromRequest(const RequestDer& der) {
  X509AlgorPtr alg = parseAlgorithm(der.spkiAlgorithm);
  if (!alg) return RK::fail(withOpenSslErrors("request has a malformed public key algorithm"));
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, alg.get());
  switch (OBJ_obj2nid(obj)) {
    case NID_X9_62_id_ecPublicKey:
      return ecKey(alg.get(), der.publicKey);
    case NID_rsaEncryption:
      return rsaKey(der.publicKey);
    case NID_ED25519: {
      EVP_PKEY* key = EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr, der.publicKey.data(), der.publicKey.size());
      if (key == nullptr) {
        drainOpenSslErrors();
        return RK::fail("request has an invalid Ed25519 public key");
      }
      return RK::ok(EvpPkeyPtr(key));
    }
    default: {
      const unsigned char* p = der.spki.data();
      EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, static_cast<long>(der.spki.size()));
      if (key == nullptr) {
        drainOpenSslErrors();
        return RK::fail("request has an unsupported public key type");
      }
      return RK::ok(EvpPkeyPtr(key));
    }
  }
}

std::optional<std::string> verifyRequestSignature(const RequestDer& der, EVP_PKEY* key) {
  X509AlgorPtr alg = parseAlgorithm(der.signatureAlgorithm);
  if (!alg) {
    drainOpenSslErrors();
    return "request has a malformed signature algorithm";
  }
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, alg.get());
  int mdNid = NID_undef;
  int pkeyNid = NID_undef;
  if (OBJ_find_sigid_algs(OBJ_obj2nid(obj), &mdNid, &pkeyNid) != 1) return "request uses an unsupported signature algorithm";
  bool strongDigest = mdNid == NID_sha256 || mdNid == NID_sha384 || mdNid == NID_sha512;
  bool pureEdDsa = mdNid == NID_undef && pkeyNid == NID_ED25519;
  if (!strongDigest && !pureEdDsa) return "request uses an insecure or unsupported signature algorithm";
  if (pkeyNid != EVP_PKEY_get_base_id(key)) return "request signature algorithm does not match its public key";
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  const char* mdName = pureEdDsa ? nullptr : OBJ_nid2sn(mdNid);
  bool ok = ctx && EVP_DigestVerifyInit_ex(ctx.get(), nullptr, mdName, nullptr, nullptr, key, nullptr) == 1 &&
            EVP_DigestVerify(ctx.get(), der.signature.data(), der.signature.size(), der.info.data(), der.info.size()) == 1;
  drainOpenSslErrors();
  if (!ok) return "request signature does not verify with its own public key";
  return std::nullopt;
}

}  // namespace signers
