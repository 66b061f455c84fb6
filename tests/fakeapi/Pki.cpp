#include "tests/fakeapi/Pki.h"

#include "tests/fakeapi/Api.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fakeapi::pki {

namespace {

[[noreturn]] void fail(const std::string& what) {
  unsigned long e = ERR_get_error();
  char buf[256] = "";
  if (e) ERR_error_string_n(e, buf, sizeof buf);
  throw std::runtime_error("pki: " + what + (e ? std::string(": ") + buf : ""));
}

PkeyPtr newKey() {
  PkeyPtr k(EVP_EC_gen("P-256"));
  if (!k) fail("generating a P-256 key");
  return k;
}

std::string keyPem(EVP_PKEY* k) {
  BioPtr b(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(b.get(), k, nullptr, nullptr, 0, nullptr, nullptr) != 1) fail("writing a key");
  char* p = nullptr;
  long n = BIO_get_mem_data(b.get(), &p);
  return std::string(p, static_cast<size_t>(n));
}

std::string certPem(X509* c) {
  BioPtr b(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(b.get(), c) != 1) fail("writing a certificate");
  char* p = nullptr;
  long n = BIO_get_mem_data(b.get(), &p);
  return std::string(p, static_cast<size_t>(n));
}

void addExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) fail(std::string("extension ") + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509Ptr makeCert(EVP_PKEY* subjectKey, const std::string& cn, const std::vector<std::string>& orgs, X509* issuer, long days) {
  X509Ptr c(X509_new());
  X509_set_version(c.get(), 2);
  BIGNUM* bn = BN_new();
  BN_rand(bn, 120, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(c.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c.get()), days * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(c.get());
  for (const auto& o : orgs)
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(o.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(c.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509_set_pubkey(c.get(), subjectKey);
  return c;
}

void sign(X509* c, EVP_PKEY* key) {
  if (X509_sign(c, key, EVP_sha256()) <= 0) fail("signing a certificate");
}

X509Ptr loadCert(const std::string& pem) {
  BioPtr b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr c(PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr));
  if (!c) fail("reading a certificate");
  return c;
}

PkeyPtr loadKey(const std::string& pem) {
  BioPtr b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr k(PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr));
  if (!k) fail("reading a key");
  return k;
}

}  // namespace

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeFile(const std::string& path, const std::string& content, bool secret) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + path);
    out << content;
  }
  if (secret) ::chmod(tmp.c_str(), 0600);
  std::filesystem::rename(tmp, path);
}

void ensure(const std::string& dir) {
  std::filesystem::create_directories(dir);
  if (std::filesystem::exists(dir + "/ca.crt") && std::filesystem::exists(dir + "/ca.key") &&
      std::filesystem::exists(dir + "/server.crt") && std::filesystem::exists(dir + "/server.key"))
    return;
  PkeyPtr caKey = newKey();
  X509Ptr ca = makeCert(caKey.get(), "fake-apiserver-ca", {}, nullptr, 3650);
  addExt(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
  addExt(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  addExt(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
  sign(ca.get(), caKey.get());

  PkeyPtr srvKey = newKey();
  X509Ptr srv = makeCert(srvKey.get(), "fake-apiserver", {}, ca.get(), 3650);
  addExt(srv.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  addExt(srv.get(), ca.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
  addExt(srv.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  addExt(srv.get(), ca.get(), NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  addExt(srv.get(), ca.get(), NID_authority_key_identifier, "keyid");
  sign(srv.get(), caKey.get());

  writeFile(dir + "/ca.key", keyPem(caKey.get()), true);
  writeFile(dir + "/ca.crt", certPem(ca.get()));
  writeFile(dir + "/server.key", keyPem(srvKey.get()), true);
  writeFile(dir + "/server.crt", certPem(srv.get()));
}

Issued issueClient(const std::string& dir, const std::string& user, const std::vector<std::string>& groups) {
  X509Ptr ca = loadCert(readFile(dir + "/ca.crt"));
  PkeyPtr caKey = loadKey(readFile(dir + "/ca.key"));
  PkeyPtr key = newKey();
  X509Ptr c = makeCert(key.get(), user, groups, ca.get(), 365);
  addExt(c.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  addExt(c.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
  addExt(c.get(), ca.get(), NID_ext_key_usage, "clientAuth");
  sign(c.get(), caKey.get());
  return {certPem(c.get()), keyPem(key.get())};
}

std::string kubeconfig(const std::string& server, const std::string& caPem, const std::string& user, const Issued* cert,
                       const std::string& token) {
  std::ostringstream y;
  y << "apiVersion: v1\nkind: Config\n"
    << "clusters:\n- name: fake\n  cluster:\n    server: " << server << "\n"
    << "    certificate-authority-data: " << base64Encode(caPem) << "\n"
    << "users:\n- name: " << json(user).dump() << "\n  user:\n";
  if (cert)
    y << "    client-certificate-data: " << base64Encode(cert->certPem) << "\n"
      << "    client-key-data: " << base64Encode(cert->keyPem) << "\n";
  else
    y << "    token: " << json(token).dump() << "\n";
  y << "contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: " << json(user).dump() << "\n"
    << "current-context: fake\n";
  return y.str();
}

}  // namespace fakeapi::pki
