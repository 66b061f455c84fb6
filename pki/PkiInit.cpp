#include "pki/PkiInit.h"

#include <ostream>

#include "pki/CaCertificate.h"
#include "pki/KubeadmProfiles.h"
#include "pki/PemFiles.h"
#include "pki/PkiTree.h"
#include "signers/CertificateAuthority.h"
#include "signers/FileUtil.h"
#include "signers/OpenSslPem.h"

namespace csrop::pki {

namespace fs = std::filesystem;

namespace {

constexpr mode_t kKeyMode = 0600;
constexpr mode_t kCertMode = 0644;

bool ensureDirectory(const fs::path& dir, std::ostream& err) {
  // 0700 like kubeadm's certificate directories: the tree holds private keys.
  auto made = signers::createDirectories(dir.string(), 0700);
  if (!made) err << "error: " << made.error() << "\n";
  return made.ok();
}

// Creates one CA pair unless one is there already. Returns false on error.
bool initCa(const PkiTree& tree, const CaProfile& ca, const CaIssuer& issuer, std::chrono::hours lifetime, std::ostream& out,
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
  auto cert = buildCaCertificate(ca.defaultCommonName, key.value().get(), issuer, lifetime);
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
  CaIssuer issuer;
  if (!options.rootCertFile.empty()) {
    auto loaded = signers::CertificateAuthority::load(options.rootCertFile, options.rootKeyFile);
    if (!loaded) {
      err << "error: root CA: " << loaded.error() << "\n";
      return 1;
    }
    root = loaded.value();
    issuer = CaIssuer{root->certificate(), root->privateKey()};
  }
  bool ok = true;
  for (const auto& ca : caProfiles()) {
    ok = initCa(tree, ca, issuer, std::chrono::hours(24) * options.days, out, err) && ok;
  }
  ok = initServiceAccountKeys(tree, out, err) && ok;
  return ok ? 0 : 1;
}

}  // namespace csrop::pki
