// The PEM files of a kubeadm tree (certificates, private keys, sa.pub) read with signers' OpenSSL
// PEM reader, with errors that name the file as the user sees it. A file may hold other blocks and
// text around the one read, as files written by openssl or kubeadm may.
#pragma once

#include <filesystem>
#include <string>

#include "signers/OpenSslPtr.h"
#include "signers/Result.h"

namespace csrop::pki {

// The first certificate of a PEM text; `what` names the source in the error.
signers::Result<signers::X509Ptr> parseCertificate(const std::string& pem, const std::string& what);
// Exactly one certificate in the file.
signers::Result<signers::X509Ptr> loadCertificateFile(const std::filesystem::path& path, const std::string& shownAs);
// An unencrypted private key (PKCS#8, PKCS#1 or SEC1).
signers::Result<signers::EvpPkeyPtr> parsePrivateKey(const std::string& pem, const std::string& what);
signers::Result<signers::EvpPkeyPtr> loadPrivateKeyFile(const std::filesystem::path& path, const std::string& shownAs);
signers::Result<signers::EvpPkeyPtr> loadPublicKeyFile(const std::filesystem::path& path, const std::string& shownAs);

}  // namespace csrop::pki
