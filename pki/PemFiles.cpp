#include "pki/PemFiles.h"

#include <algorithm>

#include <openssl/pem.h>

#include "signers/FileUtil.h"
#include "signers/IpAddress.h"
#include "signers/OpenSslError.h"

namespace csrop::pki {

namespace fs = std::filesystem;
using signers::BioPtr;
using signers::EvpPkeyPtr;
using signers::X509Ptr;

namespace {

BioPtr memoryBio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string bioText(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

std::chrono::system_clock::time_point asn1Time(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return {};
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string nameText(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  return bioText(bio.get());
}

std::vector<std::string> entries(const X509_NAME* name, int nid) {
  std::vector<std::string> out;
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0; i = X509_NAME_get_index_by_NID(name, nid, i)) {
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, data);
    if (len >= 0) out.emplace_back(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
  }
  return out;
}

}  // namespace

Result<X509Ptr> parseCertificate(const std::string& pem, const std::string& what) {
  auto bio = memoryBio(pem);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    signers::drainOpenSslErrors();
    return Result<X509Ptr>::fail(what + " does not hold a PEM certificate (truncated or corrupt?)");
  }
  return Result<X509Ptr>::ok(std::move(cert));
}

Result<X509Ptr> loadCertificateFile(const fs::path& path, const std::string& shownAs) {
  auto text = signers::readSmallFile(path.string());
  if (!text) return Result<X509Ptr>::fail(shownAs + ": " + text.error());
  auto cert = parseCertificate(text.value(), shownAs);
  if (!cert) return cert;
  auto bio = memoryBio(text.value());
  int count = 0;
  while (X509Ptr c{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) ++count;
  signers::drainOpenSslErrors();
  if (count != 1) {
    return Result<X509Ptr>::fail(shownAs + " holds " + std::to_string(count) + " certificates, expected exactly one");
  }
  return cert;
}

Result<EvpPkeyPtr> parsePrivateKey(const std::string& pem, const std::string& what) {
  auto bio = memoryBio(pem);
  // An empty passphrase callback result makes encrypted keys fail instead of prompting on a tty.
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
  if (!key) {
    signers::drainOpenSslErrors();
    return Result<EvpPkeyPtr>::fail(what + " does not hold an unencrypted PEM private key (truncated or corrupt?)");
  }
  return Result<EvpPkeyPtr>::ok(std::move(key));
}

Result<EvpPkeyPtr> loadPrivateKeyFile(const fs::path& path, const std::string& shownAs) {
  auto text = signers::readSmallFile(path.string());
  if (!text) return Result<EvpPkeyPtr>::fail(shownAs + ": " + text.error());
  return parsePrivateKey(text.value(), shownAs);
}

Result<EvpPkeyPtr> loadPublicKeyFile(const fs::path& path, const std::string& shownAs) {
  auto text = signers::readSmallFile(path.string());
  if (!text) return Result<EvpPkeyPtr>::fail(shownAs + ": " + text.error());
  auto bio = memoryBio(text.value());
  EvpPkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    signers::drainOpenSslErrors();
    return Result<EvpPkeyPtr>::fail(shownAs + " does not hold a PEM public key");
  }
  return Result<EvpPkeyPtr>::ok(std::move(key));
}

bool samePublicKey(EVP_PKEY* a, EVP_PKEY* b) { return a != nullptr && b != nullptr && EVP_PKEY_eq(a, b) == 1; }

std::string certificatePem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  return bioText(bio.get());
}

std::string privateKeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return bioText(bio.get());
}

std::string publicKeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), key);
  return bioText(bio.get());
}

std::string base64Encode(const std::string& data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Result<std::string> base64Decode(const std::string& text, const std::string& what) {
  std::string clean;
  for (char c : text) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') clean.push_back(c);
  }
  if (clean.size() % 4 != 0) return Result<std::string>::fail(what + " is not valid base64");
  std::string out(clean.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()), static_cast<int>(clean.size()));
  if (n < 0) return Result<std::string>::fail(what + " is not valid base64");
  std::size_t size = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes.
  if (clean.ends_with("==")) size -= 2;
  else if (clean.ends_with("=")) size -= 1;
  out.resize(size);
  return Result<std::string>::ok(std::move(out));
}

CertificateFacts certificateFacts(X509* cert) {
  CertificateFacts f;
  const X509_NAME* subject = X509_get_subject_name(cert);
  auto cns = entries(subject, NID_commonName);
  if (!cns.empty()) f.commonName = cns.front();
  f.organizations = entries(subject, NID_organizationName);
  std::sort(f.organizations.begin(), f.organizations.end());
  f.subject = nameText(subject);
  f.issuer = nameText(X509_get_issuer_name(cert));
  f.notBefore = asn1Time(X509_get0_notBefore(cert));
  f.notAfter = asn1Time(X509_get0_notAfter(cert));
  f.isCa = X509_check_ca(cert) != 0;
  uint32_t ku = X509_get_key_usage(cert);
  f.hasKeyUsage = (X509_get_extension_flags(cert) & EXFLAG_KUSAGE) != 0;
  f.digitalSignature = (ku & KU_DIGITAL_SIGNATURE) != 0;
  f.keyEncipherment = (ku & KU_KEY_ENCIPHERMENT) != 0;
  f.certSign = (ku & KU_KEY_CERT_SIGN) != 0;
  auto* eku = static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr));
  if (eku != nullptr) {
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku); ++i) {
      int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i));
      if (nid == NID_server_auth) f.serverAuth = true;
      else if (nid == NID_client_auth) f.clientAuth = true;
      else f.otherExtKeyUsages.emplace_back(nid == NID_undef ? "unknown" : OBJ_nid2sn(nid));
    }
    EXTENDED_KEY_USAGE_free(eku);
  }
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
      auto str = [](const ASN1_STRING* s) {
        return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(ASN1_STRING_length(s)));
      };
      if (gn->type == GEN_DNS) f.dnsNames.push_back(str(gn->d.dNSName));
      else if (gn->type == GEN_EMAIL) f.emails.push_back(str(gn->d.rfc822Name));
      else if (gn->type == GEN_URI) f.uris.push_back(str(gn->d.uniformResourceIdentifier));
      else if (gn->type == GEN_IPADD) {
        auto ip = signers::IpAddress::fromBytes(ASN1_STRING_get0_data(gn->d.iPAddress),
                                                static_cast<std::size_t>(ASN1_STRING_length(gn->d.iPAddress)));
        f.ipAddresses.push_back(ip ? ip->toString() : "invalid");
      }
    }
    GENERAL_NAMES_free(sans);
  }
  EVP_PKEY* key = X509_get0_pubkey(cert);
  f.rsaKey = key != nullptr && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
  return f;
}

Result<bool> writeFileAtomically(const fs::path& path, const std::string& content, fs::perms permissions) {
  return signers::writeFileAtomically(path.string(), content, static_cast<mode_t>(permissions & fs::perms::mask));
}

}  // namespace csrop::pki
