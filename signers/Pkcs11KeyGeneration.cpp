#include "signers/Pkcs11KeyGeneration.h"

#include <openssl/core_names.h>
#include <openssl/rand.h>

#include <array>
#include <optional>
#include <vector>

#include "signers/OpenSslError.h"
#include "signers/Pkcs11Token.h"

namespace signers {
namespace {

using Bytes = std::vector<unsigned char>;

constexpr CK_ULONG kRsaBits = 2048;
constexpr CK_ULONG kEcBits = 256;
// DER of the OID prime256v1 (1.2.840.10045.3.1.7): CKA_EC_PARAMS names the curve this way.
constexpr std::array<unsigned char, 10> kP256Params = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
constexpr std::array<unsigned char, 3> kRsaExponent = {0x01, 0x00, 0x01};  // 65537

bool isRsa(TokenKeyType type) { return type == TokenKeyType::Rsa2048; }

// The token must both generate the pair and sign with the mechanism Pkcs11Key uses, at our size.
std::optional<std::string> mechanismsMissing(const Pkcs11Module::Use& f, CK_SLOT_ID slot, TokenKeyType type) {
  const bool rsa = isRsa(type);
  const CK_ULONG bits = rsa ? kRsaBits : kEcBits;
  struct Needed {
    CK_MECHANISM_TYPE mechanism;
    const char* name;
    CK_FLAGS flag;
  };
  const std::array<Needed, 2> needed = {rsa ? Needed{CKM_RSA_PKCS_KEY_PAIR_GEN, "CKM_RSA_PKCS_KEY_PAIR_GEN", CKF_GENERATE_KEY_PAIR}
                                            : Needed{CKM_EC_KEY_PAIR_GEN, "CKM_EC_KEY_PAIR_GEN", CKF_GENERATE_KEY_PAIR},
                                        rsa ? Needed{CKM_RSA_PKCS, "CKM_RSA_PKCS", CKF_SIGN} : Needed{CKM_ECDSA, "CKM_ECDSA", CKF_SIGN}};
  for (const auto& n : needed) {
    CK_MECHANISM_INFO info{};
    const CK_RV rv = f->C_GetMechanismInfo(slot, n.mechanism, &info);
    std::string why;
    if (rv != CKR_OK)
      why = "the token does not offer " + std::string(n.name) + " (" + pkcs11ErrorName(rv) + ")";
    else if ((info.flags & n.flag) == 0)
      why = std::string("the token's ") + n.name + " cannot " + (n.flag == CKF_SIGN ? "sign" : "generate key pairs");
    // Some tokens report 0..0 when they do not say; only a stated range that excludes us refuses.
    else if (info.ulMaxKeySize != 0 && (bits < info.ulMinKeySize || bits > info.ulMaxKeySize))
      why = std::string("the token's ") + n.name + " takes keys of " + std::to_string(info.ulMinKeySize) + " to " +
            std::to_string(info.ulMaxKeySize) + " bits, not " + std::to_string(bits);
    if (!why.empty()) return why + ": it cannot hold an " + tokenKeyTypeName(type) + " CA key; choose the other key type";
  }
  return std::nullopt;
}

// How many objects (of any class, public or private: the session is logged in) carry this attribute.
Result<CK_ULONG> countObjects(const Pkcs11Module::Use& f, CK_SESSION_HANDLE session, CK_ATTRIBUTE_TYPE type, const Bytes& value) {
  CK_ATTRIBUTE query{type, const_cast<unsigned char*>(value.data()), value.size()};
  CK_RV rv = f->C_FindObjectsInit(session, &query, 1);
  CK_OBJECT_HANDLE found[8];
  CK_ULONG n = 0;
  if (rv == CKR_OK) {
    rv = f->C_FindObjects(session, found, 8, &n);
    f->C_FindObjectsFinal(session);
  }
  if (rv != CKR_OK) return Result<CK_ULONG>::fail("C_FindObjects failed with " + pkcs11ErrorName(rv));
  return Result<CK_ULONG>::ok(n);
}

Result<Bytes> attribute(const Pkcs11Module::Use& f, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type,
                        const char* name) {
  CK_ATTRIBUTE a{type, nullptr, 0};
  CK_RV rv = f->C_GetAttributeValue(session, object, &a, 1);
  Bytes value;
  if (rv == CKR_OK && a.ulValueLen != CK_UNAVAILABLE_INFORMATION) {
    value.resize(a.ulValueLen);
    a.pValue = value.data();
    rv = f->C_GetAttributeValue(session, object, &a, 1);
  }
  if (rv != CKR_OK || a.ulValueLen == CK_UNAVAILABLE_INFORMATION || value.empty())
    return Result<Bytes>::fail(std::string("cannot read the new public key's ") + name + " (" + pkcs11ErrorName(rv) + ")");
  value.resize(a.ulValueLen);
  return Result<Bytes>::ok(std::move(value));
}

Result<EvpPkeyPtr> fromParams(const char* keyType, OSSL_PARAM_BLD* bld) {
  using R = Result<EvpPkeyPtr>;
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, keyType, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return R::fail(withOpenSslErrors("the token's public key does not make an OpenSSL key"));
  return R::ok(EvpPkeyPtr(key));
}

Result<EvpPkeyPtr> rsaPublicKey(const Pkcs11Module::Use& f, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object) {
  auto n = attribute(f, session, object, CKA_MODULUS, "CKA_MODULUS");
  if (!n) return Result<EvpPkeyPtr>::fail(n.error());
  auto e = attribute(f, session, object, CKA_PUBLIC_EXPONENT, "CKA_PUBLIC_EXPONENT");
  if (!e) return Result<EvpPkeyPtr>::fail(e.error());
  BignumPtr bn(BN_bin2bn(n.value().data(), static_cast<int>(n.value().size()), nullptr));
  BignumPtr be(BN_bin2bn(e.value().data(), static_cast<int>(e.value().size()), nullptr));
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bn || !be || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, be.get()) != 1)
    return Result<EvpPkeyPtr>::fail(withOpenSslErrors("cannot read the token's RSA public key"));
  return fromParams("RSA", bld.get());
}

Result<EvpPkeyPtr> ecPublicKey(const Pkcs11Module::Use& f, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object) {
  auto point = attribute(f, session, object, CKA_EC_POINT, "CKA_EC_POINT");
  if (!point) return Result<EvpPkeyPtr>::fail(point.error());
  // PKCS#11 says DER OCTET STRING around the point; some tokens give the bare point (65 bytes, 0x04 first).
  Bytes raw = point.value();
  if (!(raw.size() == 65 && raw[0] == 0x04)) {
    const unsigned char* p = raw.data();
    Asn1OctetStringPtr os(d2i_ASN1_OCTET_STRING(nullptr, &p, static_cast<long>(raw.size())));
    if (!os) return Result<EvpPkeyPtr>::fail(withOpenSslErrors("the token's CKA_EC_POINT is neither a DER OCTET STRING nor a point"));
    raw.assign(ASN1_STRING_get0_data(os.get()), ASN1_STRING_get0_data(os.get()) + ASN1_STRING_length(os.get()));
  }
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, raw.data(), raw.size()) != 1)
    return Result<EvpPkeyPtr>::fail(withOpenSslErrors("cannot read the token's EC public key"));
  return fromParams("EC", bld.get());
}

struct CreatedPair {
  EvpPkeyPtr publicKey;
  CK_OBJECT_HANDLE publicHandle = CK_INVALID_HANDLE;
  CK_OBJECT_HANDLE privateHandle = CK_INVALID_HANDLE;
};

void destroy(const Pkcs11Module::Use& f, CK_SESSION_HANDLE session, const CreatedPair& pair) {
  f->C_DestroyObject(session, pair.privateHandle);
  f->C_DestroyObject(session, pair.publicHandle);
}

// Checks that nothing on the token carries the label (or id), generates the pair, reads the public
// key back. Creates nothing when it fails.
Result<CreatedPair> createPair(const Pkcs11Module::Use& f, CK_SESSION_HANDLE session, const TokenKeyPairRequest& request) {
  using R = Result<CreatedPair>;
  const auto& uri = request.uri;
  const Bytes label(uri.object->begin(), uri.object->end());
  auto sameLabel = countObjects(f, session, CKA_LABEL, label);
  if (!sameLabel) return R::fail(sameLabel.error());
  if (sameLabel.value() > 0)
    return R::fail("the token already holds an object labelled \"" + *uri.object +
                   "\"; an existing key is never replaced: choose another object= for the new CA key (or, when that key is "
                   "no longer needed, delete it with the token's own tool first)");
  Bytes id;
  if (uri.id) {
    id.assign(uri.id->begin(), uri.id->end());
  } else {
    id.resize(16);
    if (RAND_bytes(id.data(), static_cast<int>(id.size())) != 1) return R::fail(withOpenSslErrors("cannot draw a CKA_ID"));
  }
  auto sameId = countObjects(f, session, CKA_ID, id);
  if (!sameId) return R::fail(sameId.error());
  if (sameId.value() > 0) return R::fail("the token already holds an object with this id=; choose another id= or leave it out");

  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_ULONG bits = kRsaBits;
  auto* labelPtr = const_cast<unsigned char*>(label.data());
  std::vector<CK_ATTRIBUTE> pub{{CKA_TOKEN, &yes, sizeof yes}, {CKA_PRIVATE, &no, sizeof no}, {CKA_VERIFY, &yes, sizeof yes},
                                {CKA_ENCRYPT, &no, sizeof no}, {CKA_WRAP, &no, sizeof no},    {CKA_LABEL, labelPtr, label.size()},
                                {CKA_ID, id.data(), id.size()}};
  if (isRsa(request.type)) {
    pub.push_back({CKA_MODULUS_BITS, &bits, sizeof bits});
    pub.push_back({CKA_PUBLIC_EXPONENT, const_cast<unsigned char*>(kRsaExponent.data()), kRsaExponent.size()});
  } else {
    pub.push_back({CKA_EC_PARAMS, const_cast<unsigned char*>(kP256Params.data()), kP256Params.size()});
  }
  std::vector<CK_ATTRIBUTE> priv{{CKA_TOKEN, &yes, sizeof yes},     {CKA_PRIVATE, &yes, sizeof yes}, {CKA_SENSITIVE, &yes, sizeof yes},
                                 {CKA_EXTRACTABLE, &no, sizeof no}, {CKA_SIGN, &yes, sizeof yes},    {CKA_DECRYPT, &no, sizeof no},
                                 {CKA_UNWRAP, &no, sizeof no},      {CKA_DERIVE, &no, sizeof no},    {CKA_LABEL, labelPtr, label.size()},
                                 {CKA_ID, id.data(), id.size()}};
  CK_MECHANISM mechanism{isRsa(request.type) ? CKM_RSA_PKCS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  CK_OBJECT_HANDLE pubKey = CK_INVALID_HANDLE, privKey = CK_INVALID_HANDLE;
  const CK_RV rv = f->C_GenerateKeyPair(session, &mechanism, pub.data(), pub.size(), priv.data(), priv.size(), &pubKey, &privKey);
  if (rv != CKR_OK)
    return R::fail("C_GenerateKeyPair failed with " + pkcs11ErrorName(rv) + "; the token may not accept an " +
                   tokenKeyTypeName(request.type) + " key with these attributes (sensitive, not extractable, sign only)");

  CreatedPair pair{nullptr, pubKey, privKey};
  auto key = isRsa(request.type) ? rsaPublicKey(f, session, pubKey) : ecPublicKey(f, session, pubKey);
  if (!key) {
    // The pair is ours and unusable without its public half: leave no orphan under the label.
    destroy(f, session, pair);
    return R::fail(key.error() + "; the new key pair was removed from the token again");
  }
  pair.publicKey = std::move(key.value());
  return R::ok(std::move(pair));
}

}  // namespace

const char* tokenKeyTypeName(TokenKeyType type) { return isRsa(type) ? "RSA 2048" : "ECDSA P-256"; }

Result<GeneratedTokenKey> generateTokenKeyPair(const TokenKeyPairRequest& request) {
  using R = Result<GeneratedTokenKey>;
  const auto& uri = request.uri;
  const std::string who = "key " + uri.display() + " (module " + request.modulePath + "): ";
  if (!uri.object) return R::fail(who + "the URI needs object=, the label the new key pair gets on the token");
  if (uri.modulePath && *uri.modulePath != request.modulePath)
    return R::fail(who + "the URI's module-path " + *uri.modulePath + " is not the module " + request.modulePath +
                   "; set one of them, or the same path in both");
  auto module = Pkcs11Module::load(request.modulePath);
  if (!module) return R::fail(who + module.error());
  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
  CreatedPair pair;
  {
    Pkcs11Module::Use f(*module.value());
    auto token = findToken(f, uri);
    if (!token.error.empty()) return R::fail(who + token.error);
    if (auto missing = mechanismsMissing(f, token.slot, request.type)) return R::fail(who + *missing);
    auto opened = openTokenSession(f, token.slot, request.pin, true);
    if (!opened) {
      const bool pinRefused = opened.error().find("CKR_PIN_") != std::string::npos;
      return R::fail(who + opened.error() + (pinRefused ? "; check the user PIN in the PIN file" : ""));
    }
    session = opened.value();
    auto created = createPair(f, session, request);
    if (!created) {
      f->C_CloseSession(session);
      return R::fail(who + created.error());
    }
    pair = std::move(created.value());
  }
  // Outside the Use above: Pkcs11Key takes the module's lock itself. Its test signature is what
  // shows the token can sign with the new key (a token may list a mechanism it then refuses).
  auto signingKey = openTokenSigningKey(uri, request.modulePath, request.pin, pair.publicKey.get());
  Pkcs11Module::Use f(*module.value());
  if (!signingKey) destroy(f, session, pair);
  f->C_CloseSession(session);
  if (!signingKey)
    return R::fail(signingKey.error() + "; the new key pair was removed from the token again (a token that refuses the signing " +
                   "mechanism cannot hold an " + tokenKeyTypeName(request.type) + " CA key: choose the other key type)");
  return R::ok(GeneratedTokenKey{std::move(pair.publicKey), std::move(signingKey.value())});
}

}  // namespace signers
