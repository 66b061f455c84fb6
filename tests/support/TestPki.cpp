#include "tests/support/TestPki.h"

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>

namespace testpki {
using namespace signers;

namespace {

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("TestPki: ") + what + " failed");
}

void addExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  check(ext != nullptr, value);
  check(X509_add_ext(cert, ext.get(), -1) == 1, "X509_add_ext");
}

void setTime(ASN1_TIME* t, std::chrono::system_clock::time_point tp) {
  check(ASN1_TIME_set(t, std::chrono::system_clock::to_time_t(tp)) != nullptr, "ASN1_TIME_set");
}

void setRandomSerial(X509* cert) {
  unsigned char serial[8];
  check(RAND_bytes(serial, sizeof serial) == 1, "RAND_bytes");
  serial[0] &= 0x7f;
  BignumPtr bn(BN_bin2bn(serial, sizeof serial, nullptr));
  check(bn && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr, "serial number");
}

void addSubject(X509_NAME* name, const std::vector<std::pair<std::string, std::string>>& subject) {
  for (const auto& [k, v] : subject) {
    check(X509_NAME_add_entry_by_txt(name, k.c_str(), MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(v.c_str()), -1, -1, 0) == 1,
          "subject entry");
  }
}

void signWith(X509* cert, EVP_PKEY* key) {
  const EVP_MD* md = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  check(X509_sign(cert, key, md) > 0, "X509_sign");
}

}  // namespace

EvpPkeyPtr freshKey(KeyKind kind) {
  EVP_PKEY* k = nullptr;
  switch (kind) {
    case KeyKind::Rsa1024: k = EVP_RSA_gen(1024); break;
    case KeyKind::Rsa2048: k = EVP_RSA_gen(2048); break;
    case KeyKind::P256: k = EVP_EC_gen("P-256"); break;
    case KeyKind::P384: k = EVP_EC_gen("P-384"); break;
    case KeyKind::P521: k = EVP_EC_gen("P-521"); break;
    case KeyKind::Ed25519: k = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
    case KeyKind::Rsa3072: k = EVP_RSA_gen(3072); break;
    case KeyKind::Rsa4096: k = EVP_RSA_gen(4096); break;
  }
  check(k != nullptr, "key generation");
  return EvpPkeyPtr(k);
}

EvpPkeyPtr sharedKey(KeyKind kind, const std::string& role) {
  static std::mutex mutex;
  static std::map<std::pair<KeyKind, std::string>, EvpPkeyPtr> cache;
  std::lock_guard lock(mutex);
  auto& slot = cache[{kind, role}];
  if (!slot) slot = freshKey(kind);
  EVP_PKEY_up_ref(slot.get());
  return EvpPkeyPtr(slot.get());
}

std::string certPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string TestCa::certPem() const { return testpki::certPem(cert.get()); }
std::string TestCert::certPem() const { return testpki::certPem(cert.get()); }

TestCa makeIntermediate(const TestCa& issuer, const std::string& commonName) {
  CaOptions o;
  o.commonName = commonName;
  o.issuer = &issuer;
  return makeCa(o);
}

TestCa makeCa(const CaOptions& o) {
  TestCa ca;
  ca.key = o.keyRole.empty() ? freshKey(o.key) : sharedKey(o.key, o.keyRole);
  ca.cert.reset(X509_new());
  X509* c = ca.cert.get();
  X509_set_version(c, X509_VERSION_3);
  setRandomSerial(c);
  addSubject(X509_get_subject_name(c), {{"CN", o.commonName}});
  X509* issuerCert = o.issuer ? o.issuer->cert.get() : c;
  EVP_PKEY* issuerKey = o.issuer ? o.issuer->key.get() : ca.key.get();
  X509_set_issuer_name(c, X509_get_subject_name(issuerCert));
  auto now = std::chrono::system_clock::now();
  if (o.expired) {
    setTime(X509_getm_notBefore(c), now - std::chrono::hours(48));
    setTime(X509_getm_notAfter(c), now - std::chrono::hours(24));
  } else if (o.notYetValid) {
    setTime(X509_getm_notBefore(c), now + std::chrono::hours(24));
    setTime(X509_getm_notAfter(c), now + std::chrono::hours(48));
  } else {
    setTime(X509_getm_notBefore(c), now - std::chrono::hours(1));
    setTime(X509_getm_notAfter(c), now + o.lifetime);
  }
  X509_set_pubkey(c, ca.key.get());
  addExt(c, issuerCert, NID_basic_constraints, o.basicConstraintsCa ? "critical,CA:TRUE" : "critical,CA:FALSE");
  addExt(c, issuerCert, NID_key_usage, o.keyCertSign ? "critical,keyCertSign,cRLSign,digitalSignature" : "critical,digitalSignature");
  addExt(c, issuerCert, NID_subject_key_identifier, "hash");
  if (o.issuer) addExt(c, issuerCert, NID_authority_key_identifier, "keyid:always");
  signWith(c, issuerKey);
  return ca;
}

TestCert issueCert(const TestCa& issuer, const LeafOptions& o) {
  TestCert leaf;
  if (o.keyOverride) {
    EVP_PKEY_up_ref(o.keyOverride);
    leaf.key.reset(o.keyOverride);
  } else {
    leaf.key = sharedKey(o.key, o.keyRole);
  }
  leaf.cert.reset(X509_new());
  X509* c = leaf.cert.get();
  check(c != nullptr, "X509_new");
  X509_set_version(c, X509_VERSION_3);
  setRandomSerial(c);
  addSubject(X509_get_subject_name(c), o.subject);
  X509_set_issuer_name(c, X509_get_subject_name(issuer.cert.get()));
  auto now = std::chrono::system_clock::now();
  setTime(X509_getm_notBefore(c), o.notBefore ? *o.notBefore : now - std::chrono::hours(o.expired ? 2 : 1));
  setTime(X509_getm_notAfter(c), o.notAfter ? *o.notAfter : o.expired ? now - std::chrono::hours(1) : now + o.lifetime);
  X509_set_pubkey(c, leaf.key.get());
  addExt(c, issuer.cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  addExt(c, issuer.cert.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
  std::string ekus;
  for (const auto& e : o.extendedKeyUsages) ekus += (ekus.empty() ? "" : ",") + e;
  if (!ekus.empty()) addExt(c, issuer.cert.get(), NID_ext_key_usage, ekus.c_str());
  std::string sans;
  for (const auto& d : o.dnsNames) sans += (sans.empty() ? "DNS:" : ",DNS:") + d;
  for (const auto& ip : o.ips) sans += (sans.empty() ? "IP:" : ",IP:") + ip;
  for (const auto& e : o.emails) sans += (sans.empty() ? "email:" : ",email:") + e;
  for (const auto& u : o.uris) sans += (sans.empty() ? "URI:" : ",URI:") + u;
  if (!sans.empty()) addExt(c, issuer.cert.get(), NID_subject_alt_name, sans.c_str());
  addExt(c, issuer.cert.get(), NID_subject_key_identifier, "hash");
  addExt(c, issuer.cert.get(), NID_authority_key_identifier, "keyid:always");
  signWith(c, issuer.key.get());
  return leaf;
}

std::string keyPem(EVP_PKEY* key, KeyFormat format, const std::string& passphrase) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  const EVP_CIPHER* cipher = EVP_aes_256_cbc();
  auto* pass = reinterpret_cast<const unsigned char*>(passphrase.c_str());
  int plen = static_cast<int>(passphrase.size());
  int ok = 0;
  switch (format) {
    case KeyFormat::Pkcs8: ok = PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr); break;
    case KeyFormat::Traditional: ok = PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr); break;
    case KeyFormat::EncryptedPkcs8:
      ok = PEM_write_bio_PKCS8PrivateKey(bio.get(), key, cipher, const_cast<char*>(passphrase.c_str()), plen, nullptr, nullptr);
      break;
    case KeyFormat::EncryptedTraditional:
      ok = PEM_write_bio_PrivateKey_traditional(bio.get(), key, cipher, const_cast<unsigned char*>(pass), plen, nullptr, nullptr);
      break;
  }
  check(ok == 1, "key PEM encoding");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string publicKeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PUBKEY(bio.get(), key) == 1, "public key PEM encoding");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

EvpPkeyPtr parseKeyPem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  check(key != nullptr, "reading a private key PEM");
  return key;
}

std::string makeCsr(const CsrOptions& o) {
  EvpPkeyPtr own;
  EVP_PKEY* key = o.keyOverride;
  if (key == nullptr) {
    own = sharedKey(o.key);
    key = own.get();
  }
  X509ReqPtr req(X509_REQ_new());
  X509_REQ_set_version(req.get(), 0);
  addSubject(X509_REQ_get_subject_name(req.get()), o.subject);
  X509_REQ_set_pubkey(req.get(), key);
  STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
  std::size_t sanCount = o.dnsNames.size() + o.emails.size() + o.uris.size() + o.ips.size();
  if (sanCount > 0) {
    GeneralNamesPtr names(GENERAL_NAMES_new());
    auto addIa5 = [&](int type, const std::string& v) {
      GENERAL_NAME* gn = GENERAL_NAME_new();
      ASN1_IA5STRING* s = ASN1_IA5STRING_new();
      ASN1_STRING_set(s, v.data(), static_cast<int>(v.size()));
      GENERAL_NAME_set0_value(gn, type, s);
      sk_GENERAL_NAME_push(names.get(), gn);
    };
    for (const auto& d : o.dnsNames) addIa5(GEN_DNS, d);
    for (const auto& e : o.emails) addIa5(GEN_EMAIL, e);
    for (const auto& u : o.uris) addIa5(GEN_URI, u);
    for (const auto& ip : o.ips) {
      ASN1_OCTET_STRING* os = a2i_IPADDRESS(ip.c_str());
      check(os != nullptr, "a2i_IPADDRESS");
      GENERAL_NAME* gn = GENERAL_NAME_new();
      GENERAL_NAME_set0_value(gn, GEN_IPADD, os);
      sk_GENERAL_NAME_push(names.get(), gn);
    }
    sk_X509_EXTENSION_push(exts, X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get()));
  }
  if (o.basicConstraintsCa) {
    sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(nullptr, nullptr, NID_basic_constraints, "critical,CA:TRUE"));
  }
  for (const auto& [n, v] : o.extensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf(nullptr, nullptr, n.c_str(), v.c_str());
    check(ext != nullptr, n.c_str());
    sk_X509_EXTENSION_push(exts, ext);
  }
  if (sk_X509_EXTENSION_num(exts) > 0) X509_REQ_add_extensions(req.get(), exts);
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  EVP_PKEY* signer = o.signWith ? o.signWith : key;
  const EVP_MD* md = EVP_PKEY_get_base_id(signer) == EVP_PKEY_ED25519 ? nullptr : EVP_get_digestbyname(o.digest.c_str());
  check(X509_REQ_sign(req.get(), signer, md) > 0, "X509_REQ_sign");
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), req.get());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

CsrOptions nodeServingCsr(const std::string& node) {
  CsrOptions o;
  o.subject = {{"O", "system:nodes"}, {"CN", "system:node:" + node}};
  o.dnsNames = {node, node + ".cluster.local"};
  o.ips = {"10.0.0.7"};
  return o;
}

CsrOptions nodeClientCsr(const std::string& node) {
  CsrOptions o;
  o.subject = {{"O", "system:nodes"}, {"CN", "system:node:" + node}};
  return o;
}

std::string publicKeyDer(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key, &der);
  check(len > 0, "i2d_PUBKEY");
  OpenSslBytesPtr owned(der);
  return std::string(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
}

std::string proofOfPossession(EVP_PKEY* key, const std::string& podUid) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  const int type = EVP_PKEY_get_base_id(key);
  const char* md = type == EVP_PKEY_ED25519 ? nullptr : "SHA256";
  check(ctx && EVP_DigestSignInit_ex(ctx.get(), &pctx, md, nullptr, nullptr, key, nullptr) == 1, "EVP_DigestSignInit_ex");
  if (type == EVP_PKEY_RSA) {
    check(
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_MAX) == 1,
        "RSA-PSS parameters");
  }
  const auto* data = reinterpret_cast<const unsigned char*>(podUid.data());
  std::size_t len = 0;
  check(EVP_DigestSign(ctx.get(), nullptr, &len, data, podUid.size()) == 1, "EVP_DigestSign (size)");
  std::string sig(len, '\0');
  check(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, data, podUid.size()) == 1, "EVP_DigestSign");
  sig.resize(len);
  return sig;
}

std::string stubPkcs10Der(EVP_PKEY* key, EVP_PKEY* signWith) {
  X509ReqPtr req(X509_REQ_new());
  check(req && X509_REQ_set_version(req.get(), 0) == 1 && X509_REQ_set_pubkey(req.get(), key) == 1, "X509_REQ_new");
  EVP_PKEY* signer = signWith ? signWith : key;
  const EVP_MD* md = nullptr;
  if (EVP_PKEY_get_base_id(signer) != EVP_PKEY_ED25519) {
    const int bits = EVP_PKEY_get_bits(signer);
    md = EVP_PKEY_get_base_id(signer) == EVP_PKEY_EC && bits == 384   ? EVP_sha384()
         : EVP_PKEY_get_base_id(signer) == EVP_PKEY_EC && bits == 521 ? EVP_sha512()
                                                                      : EVP_sha256();
  }
  check(X509_REQ_sign(req.get(), signer, md) > 0, "X509_REQ_sign");
  unsigned char* der = nullptr;
  int len = i2d_X509_REQ(req.get(), &der);
  check(len > 0, "i2d_X509_REQ");
  OpenSslBytesPtr owned(der);
  return std::string(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
}

X509Ptr parseCertPem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

int countPemCertificates(const std::string& pem) {
  int n = 0;
  for (std::size_t pos = 0; (pos = pem.find("-----BEGIN CERTIFICATE-----", pos)) != std::string::npos; ++pos) ++n;
  return n;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "testpki-XXXXXX").string();
  check(mkdtemp(tmpl.data()) != nullptr, "mkdtemp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  auto p = path_ / name;
  auto tmp = path_ / (name + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
  }
  // Rename so a concurrent reader never sees a half-written file.
  std::filesystem::rename(tmp, p);
  return p.string();
}

std::pair<int, std::string> runCommand(const std::string& command) {
  std::string out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace testpki
