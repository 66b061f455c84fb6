#include "signers/CertificateAuthority.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <cstring>
#include <optional>
#include <ctime>

#include "signers/Asn1Time.h"
#include "signers/FileUtil.h"
#include "signers/OpenSslError.h"
#include "signers/OpenSslPem.h"
#include "signers/Pkcs11Key.h"
#include "signers/Pkcs11Pin.h"
#include "signers/Pkcs11Uri.h"

namespace signers {

const char* const kDefaultPkcs11Module = CSR_P11KIT_PROXY;

struct CaLoader {
  using R = Result<std::shared_ptr<const CertificateAuthority>>;
  using TimePoint = CertificateAuthority::TimePoint;

  // Every PEM block in the text, parsed as a certificate; any other block type is an error.
  static Result<std::vector<X509Ptr>> readCertificates(const std::string& text, const std::string& file) {
    using RC = Result<std::vector<X509Ptr>>;
    BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    std::vector<X509Ptr> certs;
    while (true) {
      char* name = nullptr;
      char* header = nullptr;
      unsigned char* data = nullptr;
      long len = 0;
      const int read = PEM_read_bio(bio.get(), &name, &header, &data, &len);
      const OpenSslStringPtr ownedName(name), ownedHeader(header);
      const OpenSslBytesPtr ownedData(data);
      if (read != 1) {
        unsigned long err = ERR_peek_last_error();
        ERR_clear_error();
        if (ERR_GET_REASON(err) == PEM_R_NO_START_LINE) break;
        return RC::fail(file + ": malformed PEM; check that the file is a PEM certificate");
      }
      std::string type = name;
      const unsigned char* p = data;
      X509Ptr cert(type == "CERTIFICATE" ? d2i_X509(nullptr, &p, len) : nullptr);
      bool trailing = cert && p != data + len;
      if (type != "CERTIFICATE") return RC::fail(file + ": contains a \"" + type + "\" PEM block; it may only hold certificates");
      if (!cert || trailing) return RC::fail(withOpenSslErrors(file + ": a CERTIFICATE block does not parse as X.509"));
      certs.push_back(std::move(cert));
    }
    return RC::ok(std::move(certs));
  }

  static Result<EvpPkeyPtr> readKey(const std::string& text, const std::string& file, const std::string& passphraseFile) {
    using RK = Result<EvpPkeyPtr>;
    bool encrypted = text.find("ENCRYPTED PRIVATE KEY") != std::string::npos || text.find("Proc-Type: 4,ENCRYPTED") != std::string::npos;
    std::string passphrase;
    if (!passphraseFile.empty()) {
      auto pass = readSmallFile(passphraseFile, 4096);
      if (!pass)
        return RK::fail("cannot read CA key passphrase file " + passphraseFile + ": " + pass.error() + "; check the path and permissions");
      passphrase = pass.value();
      if (passphrase.ends_with("\n")) passphrase.pop_back();
      if (passphrase.ends_with("\r")) passphrase.pop_back();
    } else if (encrypted) {
      return RK::fail("CA key file " + file + " is encrypted; set caKeyPassphraseFile to a file holding the passphrase");
    }
    BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    ERR_clear_error();
    // The passphrase is given directly (never via a prompt): an unencrypted key ignores it.
    EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>(passphrase.c_str()));
    if (raw == nullptr) {
      drainOpenSslErrors();
      if (encrypted)
        return RK::fail("CA key file " + file + " cannot be decrypted with the passphrase from " + passphraseFile +
                        "; check the passphrase");
      return RK::fail("CA key file " + file + " holds no readable PEM private key (PKCS#8, PKCS#1 or SEC1 expected)");
    }
    return RK::ok(EvpPkeyPtr(raw));
  }

  static Result<EvpMdPtr> digestFor(EVP_PKEY* key, const std::string& file) {
    using RD = Result<EvpMdPtr>;
    const char* name = nullptr;
    switch (EVP_PKEY_get_base_id(key)) {
      case EVP_PKEY_RSA:
        if (EVP_PKEY_get_bits(key) < 2048)
          return RD::fail("CA key file " + file + " holds an RSA key smaller than 2048 bits; use a stronger CA key");
        name = "SHA256";
        break;
      case EVP_PKEY_EC: {
        char group[64] = {};
        size_t len = 0;
        EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len);
        std::string g(group, len);
        if (g == "prime256v1")
          name = "SHA256";
        else if (g == "secp384r1")
          name = "SHA384";
        else if (g == "secp521r1")
          name = "SHA512";
        else
          return RD::fail("CA key file " + file + " holds an EC key on unsupported curve \"" + g + "\"; use P-256, P-384 or P-521");
        break;
      }
      case EVP_PKEY_ED25519: return RD::ok(EvpMdPtr());
      default: return RD::fail("CA key file " + file + " holds an unsupported key type; use RSA, ECDSA or Ed25519");
    }
    EvpMdPtr md(EVP_MD_fetch(nullptr, name, nullptr));
    if (!md) return RD::fail(withOpenSslErrors(std::string("cannot load digest ") + name));
    return RD::ok(std::move(md));
  }

  static std::optional<std::string> prepareSigning(CertificateAuthority& ca) {
    unsigned char* der = nullptr;
    const int len = i2d_X509_NAME(X509_get_subject_name(ca.cert_.get()), &der);
    const OpenSslBytesPtr ownedDer(der);
    if (len <= 0) return withOpenSslErrors("cannot encode the CA subject");
    ca.subjectDer_.assign(der, der + len);

    ca.signTemplate_.reset(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    const char* mdName = ca.digest_ ? EVP_MD_get0_name(ca.digest_.get()) : nullptr;
    if (!ca.signTemplate_ || EVP_DigestSignInit_ex(ca.signTemplate_.get(), &pctx, mdName, nullptr, nullptr, ca.key_.get(), nullptr) != 1) {
      return withOpenSslErrors("cannot initialise signing with this key");
    }
    unsigned char algId[128];
    OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, algId, sizeof algId),
                           OSSL_PARAM_construct_end()};
    if (EVP_PKEY_CTX_get_params(pctx, params) != 1 || params[0].return_size == 0 || params[0].return_size > sizeof algId) {
      return withOpenSslErrors("cannot determine the signature algorithm of this key");
    }
    ca.signatureAlgorithmDer_.assign(algId, algId + params[0].return_size);
    return std::nullopt;
  }

  // The AlgorithmIdentifier a file key's signing context reports, built from the certificate's
  // key type and the digest: sha256WithRSAEncryption carries a NULL parameter, ecdsa-with-SHA*
  // none (RFC 4055 section 5, RFC 5758 section 3.2).
  static std::optional<std::string> tokenSignatureAlgorithm(CertificateAuthority& ca) {
    const int pkeyType = EVP_PKEY_get_base_id(X509_get0_pubkey(ca.cert_.get()));
    int sigNid = NID_undef;
    if (OBJ_find_sigid_by_algs(&sigNid, EVP_MD_get_type(ca.digest_.get()), pkeyType) != 1) return "no signature algorithm for this key";
    X509AlgorPtr alg(X509_ALGOR_new());
    if (!alg || X509_ALGOR_set0(alg.get(), OBJ_nid2obj(sigNid), pkeyType == EVP_PKEY_RSA ? V_ASN1_NULL : V_ASN1_UNDEF, nullptr) != 1)
      return withOpenSslErrors("cannot encode the signature algorithm");
    unsigned char* der = nullptr;
    const int len = i2d_X509_ALGOR(alg.get(), &der);
    const OpenSslBytesPtr owned(der);
    if (len <= 0) return withOpenSslErrors("cannot encode the signature algorithm");
    ca.signatureAlgorithmDer_.assign(der, der + len);
    unsigned char* subject = nullptr;
    const int subjectLen = i2d_X509_NAME(X509_get_subject_name(ca.cert_.get()), &subject);
    const OpenSslBytesPtr ownedSubject(subject);
    if (subjectLen <= 0) return withOpenSslErrors("cannot encode the CA subject");
    ca.subjectDer_.assign(subject, subject + subjectLen);
    return std::nullopt;
  }

  static std::optional<std::string> openTokenKey(CertificateAuthority& ca, const CaFiles& files) {
    if (!files.passphraseFile.empty())
      return "caKeyPassphraseFile is for encrypted key files; a token key " + files.keyFile + " takes caKeyPinFile or caKeyPinEnv";
    auto uri = parsePkcs11Uri(files.keyFile);
    if (!uri) return "CA key " + files.keyFile.substr(0, 128) + ": " + uri.error();
    auto pin = readPkcs11Pin(files.pinFile, files.pinEnv, files.keyFile);
    if (!pin) return pin.error();
    auto key = Pkcs11Key::open({uri.value(), files.pkcs11Module, std::move(pin.value()), files.pkcs11Sessions},
                               X509_get0_pubkey(ca.cert_.get()), ca.digest_.get());
    if (!key) return key.error();
    ca.tokenKey_ = std::move(key.value());
    return tokenSignatureAlgorithm(ca);
  }

  static R load(const CaFiles& files, TimePoint now) {
    auto certText = readSmallFile(files.certFile);
    if (!certText)
      return R::fail("cannot read CA certificate file " + files.certFile + ": " + certText.error() + "; check the path and permissions");
    const bool onToken = isPkcs11Uri(files.keyFile);
    if (!onToken && (!files.pinFile.empty() || !files.pinEnv.empty()))
      return R::fail("caKeyPinFile and caKeyPinEnv are for a key on a token; " + files.keyFile +
                     " is not a PKCS#11 URI (pkcs11:...): remove the PIN setting or give the key's URI");
    Result<std::string> keyText = onToken ? Result<std::string>::ok("") : readSmallFile(files.keyFile);
    if (!keyText) return R::fail("cannot read CA key file " + files.keyFile + ": " + keyText.error() + "; check the path and permissions");

    auto certs = readCertificates(certText.value(), "CA certificate file " + files.certFile);
    if (!certs) return R::fail(certs.error());
    if (certs.value().size() != 1) {
      return R::fail("error reading CA cert file " + files.certFile + ": expected 1 certificate, found " +
                     std::to_string(certs.value().size()) + "; put intermediates in chainFiles");
    }
    std::shared_ptr<CertificateAuthority> ca(new CertificateAuthority());
    ca->files_ = files;
    ca->cert_ = std::move(certs.value()[0]);
    X509* cert = ca->cert_.get();
    ca->certificatePem_ = certificatePem(cert);

    if (!onToken) {
      auto key = readKey(keyText.value(), files.keyFile, files.passphraseFile);
      if (!key) return R::fail(key.error());
      ca->key_ = std::move(key.value());
      if (X509_check_private_key(cert, ca->key_.get()) != 1) {
        drainOpenSslErrors();
        return R::fail("CA key file " + files.keyFile + " does not match the certificate in " + files.certFile +
                       "; use the key the CA certificate was issued for");
      }
    }

    uint32_t flags = X509_get_extension_flags(cert);
    if ((flags & EXFLAG_INVALID) != 0)
      return R::fail("CA certificate file " + files.certFile +
                     ": the certificate has malformed or conflicting extensions; reissue the CA certificate");
    if ((flags & EXFLAG_BCONS) == 0 || (flags & EXFLAG_CA) == 0) {
      return R::fail("CA certificate file " + files.certFile +
                     " is not a CA certificate (BasicConstraints CA:TRUE missing); use a CA certificate");
    }
    if ((flags & EXFLAG_KUSAGE) == 0 || (X509_get_key_usage(cert) & KU_KEY_CERT_SIGN) == 0) {
      return R::fail("CA certificate file " + files.certFile +
                     " does not allow certificate signing (KeyUsage keyCertSign missing); use a CA certificate with keyCertSign");
    }

    auto nb = asn1TimeToTimePoint(X509_get0_notBefore(cert));
    auto na = asn1TimeToTimePoint(X509_get0_notAfter(cert));
    if (!nb || !na) return R::fail("CA certificate file " + files.certFile + ": unreadable validity dates; reissue the CA certificate");
    ca->notBefore_ = *nb;
    ca->notAfter_ = *na;
    if (now < *nb)
      return R::fail("CA certificate file " + files.certFile +
                     " is not valid yet (NotBefore in the future); check the clock or the certificate");
    if (now >= *na) return R::fail("CA certificate file " + files.certFile + " has expired; renew the CA certificate");

    // A token key is checked against the certificate by a test signature, once the digest is known.
    auto md = digestFor(onToken ? X509_get0_pubkey(cert) : ca->key_.get(), files.keyFile);
    if (!md) return R::fail(md.error());
    ca->digest_ = std::move(md.value());

    if (const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(cert)) {
      const unsigned char* p = ASN1_STRING_get0_data(ski);
      ca->keyId_.assign(p, p + ASN1_STRING_length(ski));
    } else {
      unsigned char buf[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      if (X509_pubkey_digest(cert, EVP_sha1(), buf, &len) != 1) return R::fail(withOpenSslErrors("cannot hash the CA public key"));
      ca->keyId_.assign(buf, buf + len);
    }

    if (onToken) {
      if (!ca->digest_) return R::fail("CA key " + files.keyFile + ": Ed25519 keys on a token are not supported; use RSA or ECDSA");
      if (auto err = openTokenKey(*ca, files)) return R::fail(*err);
    } else if (auto err = prepareSigning(*ca)) {
      return R::fail("CA key file " + files.keyFile + ": " + *err);
    }

    char subject[512] = {};
    BioPtr nameBio(BIO_new(BIO_s_mem()));
    X509_NAME_print_ex(nameBio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
    int n = BIO_read(nameBio.get(), subject, sizeof subject - 1);
    ca->subject_ = n > 0 ? std::string(subject, static_cast<std::size_t>(n)) : std::string();

    X509* previous = cert;
    for (const auto& chainFile : files.chainFiles) {
      auto text = readSmallFile(chainFile);
      if (!text) return R::fail("cannot read chain file " + chainFile + ": " + text.error() + "; check the path and permissions");
      auto chain = readCertificates(text.value(), "chain file " + chainFile);
      if (!chain) return R::fail(chain.error());
      if (chain.value().empty()) return R::fail("chain file " + chainFile + " holds no certificate");
      for (auto& c : chain.value()) {
        if (X509_check_issued(c.get(), previous) != X509_V_OK) {
          return R::fail("chain file " + chainFile + ": certificate " + std::to_string(ca->chainLength_ + 1) +
                         " did not issue the certificate before it; list intermediates from the CA's issuer upwards");
        }
        ca->chainPem_ += certificatePem(c.get());
        ++ca->chainLength_;
        previous = c.get();
        ca->chain_.push_back(std::move(c));
      }
    }
    if ((X509_get_extension_flags(cert) & EXFLAG_SS) == 0) ca->chainAfterLeafPem_ = ca->certificatePem_;
    ca->chainAfterLeafPem_ += ca->chainPem_;
    drainOpenSslErrors();
    return R::ok(std::move(ca));
  }
};

Result<std::shared_ptr<const CertificateAuthority>> CertificateAuthority::load(const std::string& certFile, const std::string& keyFile,
                                                                               const std::string& passphraseFile) {
  return load(CaFiles{certFile, keyFile, passphraseFile, {}});
}

std::optional<std::string> CertificateAuthority::unavailable() const { return tokenKey_ ? tokenKey_->unavailable() : std::nullopt; }

Result<std::vector<unsigned char>> CertificateAuthority::sign(const unsigned char* data, std::size_t length) const {
  using RS = Result<std::vector<unsigned char>>;
  if (tokenKey_) return tokenKey_->sign(data, length);
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return RS::fail(withOpenSslErrors("cannot allocate a signing context"));
  if (EVP_MD_CTX_copy_ex(ctx.get(), signTemplate_.get()) != 1) {
    // Some providers cannot duplicate a signing context; initialise this one from scratch.
    drainOpenSslErrors();
    const char* mdName = digest_ ? EVP_MD_get0_name(digest_.get()) : nullptr;
    if (EVP_DigestSignInit_ex(ctx.get(), nullptr, mdName, nullptr, nullptr, key_.get(), nullptr) != 1) {
      return RS::fail(withOpenSslErrors("cannot initialise signing"));
    }
  }
  std::vector<unsigned char> sig(static_cast<std::size_t>(EVP_PKEY_get_size(key_.get())));
  std::size_t sigLen = sig.size();
  if (EVP_DigestSign(ctx.get(), sig.data(), &sigLen, data, length) != 1) return RS::fail(withOpenSslErrors("signing failed"));
  sig.resize(sigLen);
  return RS::ok(std::move(sig));
}

Result<std::shared_ptr<const CertificateAuthority>> CertificateAuthority::load(const CaFiles& files, TimePoint now) {
  return CaLoader::load(files, now);
}

}  // namespace signers
