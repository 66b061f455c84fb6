#include "signers/CertificateSigningKey.h"

#include "signers/Der.h"
#include "signers/OpenSslError.h"
#include "signers/Pkcs11Key.h"

namespace signers {
namespace {

class InMemorySigningKey final : public CertificateSigningKey {
 public:
  explicit InMemorySigningKey(EVP_PKEY* key) : key_(key) {}
  Result<X509Ptr> sign(X509Ptr certificate) const override {
    const EVP_MD* md = EVP_PKEY_get_base_id(key_) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
    if (X509_sign(certificate.get(), key_, md) <= 0) return Result<X509Ptr>::fail(withOpenSslErrors("X509_sign failed"));
    return Result<X509Ptr>::ok(std::move(certificate));
  }

 private:
  EVP_PKEY* key_;
};

// The token signs the DER TBSCertificate; the certificate is then assembled around the signature,
// since OpenSSL can only sign with a key it holds.
class TokenSigningKey final : public CertificateSigningKey {
 public:
  TokenSigningKey(std::shared_ptr<Pkcs11Key> key, bool rsa) : key_(std::move(key)), rsa_(rsa) {}

  Result<X509Ptr> sign(X509Ptr certificate) const override {
    using R = Result<X509Ptr>;
    // OpenSSL 3.0 has no setter for the TBSCertificate's AlgorithmIdentifier (X509_REQ has one);
    // the object is ours and not yet encoded, so it is set in place. RFC 4055: a NULL parameter for
    // sha256WithRSAEncryption; RFC 5758: none for ecdsa-with-SHA256.
    auto* inner = const_cast<X509_ALGOR*>(X509_get0_tbs_sigalg(certificate.get()));
    const int nid = rsa_ ? NID_sha256WithRSAEncryption : NID_ecdsa_with_SHA256;
    if (X509_ALGOR_set0(inner, OBJ_nid2obj(nid), rsa_ ? V_ASN1_NULL : V_ASN1_UNDEF, nullptr) != 1)
      return R::fail(withOpenSslErrors("cannot set the signature algorithm"));
    unsigned char* tbs = nullptr;
    const int tbsLen = i2d_re_X509_tbs(certificate.get(), &tbs);
    const OpenSslBytesPtr ownedTbs(tbs);
    unsigned char* alg = nullptr;
    const int algLen = i2d_X509_ALGOR(inner, &alg);
    const OpenSslBytesPtr ownedAlg(alg);
    if (tbsLen <= 0 || algLen <= 0) return R::fail(withOpenSslErrors("cannot encode the certificate to sign"));

    auto signature = key_->sign(tbs, static_cast<std::size_t>(tbsLen));
    if (!signature) return R::fail(signature.error());
    der::Bytes body(tbs, tbs + tbsLen);
    body.insert(body.end(), alg, alg + algLen);
    der::appendBitString(body, signature.value());
    const der::Bytes cert = der::tlv(der::kSequence, body);
    const unsigned char* p = cert.data();
    X509Ptr signedCert(d2i_X509(nullptr, &p, static_cast<long>(cert.size())));
    if (!signedCert) return R::fail(withOpenSslErrors("the certificate signed by the token does not parse"));
    return R::ok(std::move(signedCert));
  }

 private:
  std::shared_ptr<Pkcs11Key> key_;
  bool rsa_;
};

}  // namespace

std::unique_ptr<CertificateSigningKey> inMemorySigningKey(EVP_PKEY* key) { return std::make_unique<InMemorySigningKey>(key); }

Result<std::unique_ptr<CertificateSigningKey>> openTokenSigningKey(const Pkcs11Uri& uri, const std::string& modulePath,
                                                                   std::optional<std::string> pin, EVP_PKEY* publicKey) {
  using R = Result<std::unique_ptr<CertificateSigningKey>>;
  auto key = Pkcs11Key::open({uri, modulePath, std::move(pin), 1}, publicKey, EVP_sha256());
  if (!key) return R::fail(key.error());
  return R::ok(std::make_unique<TokenSigningKey>(std::move(key.value()), EVP_PKEY_get_base_id(publicKey) == EVP_PKEY_RSA));
}

}  // namespace signers
