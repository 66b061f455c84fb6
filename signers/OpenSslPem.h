#pragma once
// PEM files as OpenSSL reads and writes them: certificate, key and CA files, which may hold several
// blocks and text around them (openssl's and kubeadm's files do). Certificate requests are not read
// here: signers/Pem.h accepts exactly one strict block, as Go reads it.
#include <cstddef>
#include <string>
#include <string_view>

#include "signers/OpenSslPtr.h"

namespace signers {

// The first block that is a certificate (BEGIN CERTIFICATE, X509 CERTIFICATE or TRUSTED
// CERTIFICATE); other blocks and text before it are skipped. Null when there is none or it does not
// parse.
X509Ptr readFirstCertificate(std::string_view pem);
// How many certificates readFirstCertificate would find one after another; stops at the first
// certificate block that does not parse.
std::size_t countCertificates(std::string_view pem);
// The first private key (PKCS#8, PKCS#1 or SEC1). An encrypted key gives null: no passphrase is
// asked for, not even on a terminal.
EvpPkeyPtr readUnencryptedPrivateKey(std::string_view pem);
// The first SubjectPublicKeyInfo (BEGIN PUBLIC KEY).
EvpPkeyPtr readPublicKey(std::string_view pem);

std::string certificatePem(X509* cert);
std::string privateKeyPem(EVP_PKEY* key);  // unencrypted PKCS#8
std::string publicKeyPem(EVP_PKEY* key);   // SubjectPublicKeyInfo

// False when either is null.
bool samePublicKey(const EVP_PKEY* a, const EVP_PKEY* b);

}  // namespace signers
