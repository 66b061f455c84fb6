#include "pki/PkiInit.h"

#include <ostream>

#include "pki/CaCertificate.h"
#include "pki/KubeadmProfiles.h"
#include "pki/PemFiles.h"
#include "pki/PkiTree.h"
#include "signers/CertificateAuthority.h"
#include "signers/CertificateSigningKey.h"
#include "signers/FileUtil.h"
#include "signers/OpenSslPem.h"
#include "signers/Pkcs11Pin.h"
#include "signers/Pkcs11Uri.h"

namespace csrop::pki {

namespace fs = std::filesystem;

namespace {

constexpr mode_t kKeyMode = 0600;
constexpr mode_t kCertMode = 0644;

// Who signs the new CAs: a root (--root-ca/--root-key), or nobody (each CA signs itself).
struct Issuer {
  X509* cert = nullptr;
  std::unique_ptr<signers::CertificateSigningKey> key;
};

bool ensureDirectory(const fs::path& dir, std::ostream& err) {
  // 0700 like kubeadm's certificate directories: the tree holds private keys.
  auto made = signers::createDirectories(dir.string(), 0700);
  if (!made) err << "error: " << made.error() << "\n";
  return made.ok();
}

// Creates one CA pair unless one is there already. Returns false on error.
bool initCa(const PkiTree& tree, const CaProfile& ca, const Issuer& issuer, std::chrono::hours lifetime, std::ostream& out,
            std::ostream& err) {
  fs::path certPath = tree.pkiDir / ca.certPath;
  fs::path keyPath = tree.pkiDir / ca.keyPath;
  bool haveCert = fs::exists(certPath), haveKey = fs::exists(keyPath);
  if (haveCert && haveKey) {
    auto loaded = signers::CertificateAuthority::load(certPath.string(), keyPath.string());
    if (!loaded) {
      err << "error: " << tree.display(certPath) << " exists but is not a usable CA: " << loaded.error() << "\n";
      return false;
    }
    out << "kept existing " << ca.name << " (" << tree.display(certPath) << ")\n";
    return true;
  }
  if (haveCert) {
    out << "kept existing " << ca.name << " certificate without its key (External CA mode)\n";
    return true;
  }
  if (haveKey) {
    err << "error: " << tree.display(keyPath) << " exists without " << tree.display(certPath)
        << "; remove the key or restore the certificate\n";
    return false;
  }
  if (!ensureDirectory(certPath.parent_path(), err)) return false;
  auto key = generateRsaKey();
  if (!key) {
    err << "error: " << ca.name << ": " << key.error() << "\n";
    return false;
  }
  const auto ownKey = signers::inMemorySigningKey(key.value().get());
  auto cert = buildCaCertificate(ca.defaultCommonName, key.value().get(), issuer.cert, issuer.key ? *issuer.key : *ownKey, lifetime);
  if (!cert) {
    err << "error: " << ca.name << ": " << cert.error() << "\n";
    return false;
  }
  // The key first: a certificate without a key would look like External CA mode on the next run.
  auto wroteKey = signers::writeFileAtomically(keyPath.string(), signers::privateKeyPem(key.value().get()), kKeyMode);
  auto wroteCert =
      wroteKey ? signers::writeFileAtomically(certPath.string(), signers::certificatePem(cert.value().get()), kCertMode) : wroteKey;
  if (!wroteCert) {
    err << "error: " << wroteCert.error() << "\n";
    return false;
  }
  out << "created " << ca.name << " (CN=" << ca.defaultCommonName << (issuer.cert ? ", intermediate" : ", self-signed") << ") "
      << tree.display(certPath) << ", " << tree.display(keyPath) << "\n";
  return true;
}

// The CA whose key pair the token generates; only its certificate is written. An existing
// certificate is kept when the token key matches it; an existing key file or token object is never
// replaced.
bool initTokenCa(const PkiTree& tree, const CaProfile& ca, const Issuer& issuer, std::chrono::hours lifetime, const InitOptions& options,
                 std::ostream& out, std::ostream& err) {
  const CaKeySource& token = options.tokenKey;
  fs::path certPath = tree.pkiDir / ca.certPath;
  fs::path keyPath = tree.pkiDir / ca.keyPath;
  const std::string module = token.pkcs11Module.empty() ? signers::kDefaultPkcs11Module : token.pkcs11Module;
  auto fail = [&](const std::string& why) {
    err << "error: " << ca.name << ": " << why << "\n";
    return false;
  };
  if (fs::exists(keyPath))
    return fail(tree.display(keyPath) +
                " exists, and --key-uri would give this CA a new key on the token; drop --key-uri to keep the key " + "file, or move " +
                tree.display(keyPath) + " and " + tree.display(certPath) + " away to start the CA over on the token");
  auto uri = signers::parsePkcs11Uri(token.key);
  if (!uri) return fail("--key-uri " + token.key.substr(0, 128) + ": " + uri.error());
  if (!uri.value().object) return fail("--key-uri " + uri.value().display() + " needs object=, the label of the new key on the token");
  auto pin = signers::readPkcs11Pin(token.pinFile, "", uri.value().display());
  if (!pin) return fail(pin.error());
  if (!pin.value()) return fail("--key-uri needs --ca-key-pin-file: the token's user PIN, to create a private key on it");

  if (fs::exists(certPath)) {
    signers::CaFiles files;
    files.certFile = certPath.string();
    files.keyFile = token.key;
    files.pinFile = token.pinFile;
    files.pkcs11Module = module;
    auto loaded = signers::CertificateAuthority::load(files);
    if (!loaded) return fail(tree.display(certPath) + " exists but does not work with the token key: " + loaded.error());
    out << "kept existing " << ca.name << " (" << tree.display(certPath) << ", its key on the token " << uri.value().display() << ")\n";
    return true;
  }
  if (!ensureDirectory(certPath.parent_path(), err)) return false;
  auto generated = signers::generateTokenKeyPair({uri.value(), module, *pin.value(), options.tokenKeyType});
  if (!generated) return fail(generated.error());
  EVP_PKEY* publicKey = generated.value().publicKey.get();
  // From here on the token holds a key pair no certificate uses yet: say so if the rest fails.
  const std::string orphan = "; the key pair just created on the token (object=" + *uri.value().object +
                             ") is used by no certificate: delete it with the token's tool, or run again with another object=";
  auto cert =
      buildCaCertificate(ca.defaultCommonName, publicKey, issuer.cert, issuer.key ? *issuer.key : *generated.value().signingKey, lifetime);
  if (!cert) return fail(cert.error() + orphan);
  auto wrote = signers::writeFileAtomically(certPath.string(), signers::certificatePem(cert.value().get()), kCertMode);
  if (!wrote) return fail(wrote.error() + orphan);
  out << "created " << ca.name << " (CN=" << ca.defaultCommonName << (issuer.cert ? ", intermediate" : ", self-signed") << ", "
      << signers::tokenKeyTypeName(options.tokenKeyType) << ") " << tree.display(certPath) << ", its key on the token "
      << uri.value().display() << " (no " << tree.display(keyPath) << ")\n";
  return true;
}

bool initServiceAccountKeys(const PkiTree& tree, std::ostream& out, std::ostream& err) {
  fs::path keyPath = tree.pkiDir / "sa.key", pubPath = tree.pkiDir / "sa.pub";
  bool haveKey = fs::exists(keyPath), havePub = fs::exists(pubPath);
  if (haveKey && havePub) {
    out << "kept existing service account key pair (pki/sa.key, pki/sa.pub)\n";
    return true;
  }
  if (havePub) {
    err << "error: pki/sa.pub exists without pki/sa.key; remove it or restore the key\n";
    return false;
  }
  signers::EvpPkeyPtr key;
  if (haveKey) {
    auto loaded = loadPrivateKeyFile(keyPath, "pki/sa.key");
    if (!loaded) {
      err << "error: " << loaded.error() << "\n";
      return false;
    }
    key = std::move(loaded.value());
  } else {
    auto generated = generateRsaKey();
    if (!generated) {
      err << "error: service account key: " << generated.error() << "\n";
      return false;
    }
    key = std::move(generated.value());
    auto wrote = signers::writeFileAtomically(keyPath.string(), signers::privateKeyPem(key.get()), kKeyMode);
    if (!wrote) {
      err << "error: " << wrote.error() << "\n";
      return false;
    }
  }
  auto wrote = signers::writeFileAtomically(pubPath.string(), signers::publicKeyPem(key.get()), kCertMode);
  if (!wrote) {
    err << "error: " << wrote.error() << "\n";
    return false;
  }
  out << (haveKey ? "derived pki/sa.pub from the existing pki/sa.key\n" : "created service account key pair pki/sa.key, pki/sa.pub\n");
  return true;
}

}  // namespace

int runPkiInit(const InitOptions& options, std::ostream& out, std::ostream& err) {
  PkiTree tree = PkiTree::at(options.dir);
  if (!ensureDirectory(tree.pkiDir, err)) return 1;

  std::shared_ptr<const signers::CertificateAuthority> root;
  Issuer issuer;
  if (!options.rootCertFile.empty()) {
    auto loaded = signers::CertificateAuthority::load(options.rootCertFile, options.rootKeyFile);
    if (!loaded) {
      err << "error: root CA: " << loaded.error() << "\n";
      return 1;
    }
    root = loaded.value();
    if (root->privateKey() == nullptr) {
      err << "error: root CA: --root-key must be a key file; a root key on a token is not supported by pki init\n";
      return 1;
    }
    issuer = Issuer{root->certificate(), signers::inMemorySigningKey(root->privateKey())};
  }
  bool ok = true;
  const auto lifetime = std::chrono::hours(24) * options.days;
  for (const auto& ca : caProfiles()) {
    const bool onToken = ca.id == CaId::Kubernetes && !options.tokenKey.key.empty();
    ok = (onToken ? initTokenCa(tree, ca, issuer, lifetime, options, out, err) : initCa(tree, ca, issuer, lifetime, out, err)) && ok;
  }
  ok = initServiceAccountKeys(tree, out, err) && ok;
  return ok ? 0 : 1;
}

}  // namespace csrop::pki
