#include "signers/OpenSslPem.h"

#include <openssl/pem.h>

#include "signers/OpenSslError.h"

namespace signers {
namespace {

BioPtr readBio(std::string_view text) { return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size()))); }

std::string writtenText(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

// No passphrase, not even an empty one: an encrypted block fails instead of prompting on a tty
// (OpenSSL's default callback would) or being tried with "" (a callback returning 0 would).
int noPassphrase(char*, int, int, void*) { return -1; }

// A failed read leaves its reasons on the thread's OpenSSL error queue, where the next unrelated
// call would find them.
template <class Ptr>
Ptr drainedOnFailure(Ptr p) {
  if (!p) drainOpenSslErrors();
  return p;
}

}  // namespace

X509Ptr readFirstCertificate(std::string_view pem) {
  const BioPtr bio = readBio(pem);
  if (!bio) return drainedOnFailure(X509Ptr());
  return drainedOnFailure(X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, noPassphrase, nullptr)));
}

std::size_t countCertificates(std::string_view pem) {
  const BioPtr bio = readBio(pem);
  std::size_t count = 0;
  while (bio && X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, noPassphrase, nullptr))) ++count;
  // The loop always ends on a failed read: at the end of the text or at a broken block.
  drainOpenSslErrors();
  return count;
}

EvpPkeyPtr readUnencryptedPrivateKey(std::string_view pem) {
  const BioPtr bio = readBio(pem);
  if (!bio) return drainedOnFailure(EvpPkeyPtr());
  return drainedOnFailure(EvpPkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassphrase, nullptr)));
}

EvpPkeyPtr readPublicKey(std::string_view pem) {
  const BioPtr bio = readBio(pem);
  if (!bio) return drainedOnFailure(EvpPkeyPtr());
  return drainedOnFailure(EvpPkeyPtr(PEM_read_bio_PUBKEY(bio.get(), nullptr, noPassphrase, nullptr)));
}

std::string certificatePem(X509* cert) {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return {};
  return writtenText(bio.get());
}

std::string privateKeyPem(EVP_PKEY* key) {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) return {};
  return writtenText(bio.get());
}

std::string publicKeyPem(EVP_PKEY* key) {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) return {};
  return writtenText(bio.get());
}

bool samePublicKey(const EVP_PKEY* a, const EVP_PKEY* b) { return a != nullptr && b != nullptr && EVP_PKEY_eq(a, b) == 1; }

}  // namespace signers
