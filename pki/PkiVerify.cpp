#include "pki/PkiVerify.h"

#include <algorithm>
#include <map>
#include <ostream>
#include <system_error>
#include <vector>

#include "pki/CertificateChecks.h"
#include "pki/CertificateFacts.h"
#include "pki/InstalledCertificate.h"
#include "pki/KubeadmProfiles.h"
#include "pki/PemFiles.h"
#include "pki/PkiTree.h"
#include "signers/OpenSslPem.h"

namespace csrop::pki {

namespace fs = std::filesystem;

namespace {

class VerifyRun {
 public:
  VerifyRun(const VerifyOptions& options, std::ostream& out, std::ostream& err)
      : options_(options), tree_(PkiTree::at(options.dir)), out_(out), err_(err) {}

  int run() {
    std::error_code ec;
    if (!fs::is_directory(tree_.root, ec)) {
      err_ << "error: " << tree_.root.string() << " is not a directory\n";
      return 2;
    }
    for (const auto& ca : caProfiles()) checkCa(ca);
    checkServiceAccount();
    for (const auto& p : certProfiles()) checkCert(p);
    if (deviations_ == 0) {
      out_ << "ok: " << checked_ << " item(s) match kubeadm's certificate tables\n";
      return 0;
    }
    out_ << deviations_ << " deviation(s) found\n";
    return 1;
  }

 private:
  void report(const std::string& item, const std::string& what) {
    out_ << "DEVIATION " << item << ": " << what << "\n";
    ++deviations_;
  }

  void missing(const std::string& item, const std::string& what) {
    if (options_.allowMissing)
      out_ << "missing   " << item << ": " << what << "\n";
    else
      report(item, what);
  }

  void checkCa(const CaProfile& ca) {
    fs::path certPath = tree_.treeCaCertPath(ca);
    std::error_code ec;
    if (!fs::exists(certPath, ec)) return missing(ca.name, tree_.display(certPath) + " is missing");
    ++checked_;
    auto cert = loadCertificateFile(certPath, tree_.display(certPath));
    if (!cert) return report(ca.name, cert.error());
    auto facts = certificateFacts(cert.value().get());
    if (!facts.isCa) report(ca.name, tree_.display(certPath) + " is not a CA certificate (no BasicConstraints CA:TRUE)");
    if (facts.hasKeyUsage && !facts.certSign) report(ca.name, "KeyUsage lacks keyCertSign");
    auto now = std::chrono::system_clock::now();
    if (facts.notAfter <= now) report(ca.name, "expired");
    if (facts.notBefore > now) report(ca.name, "not valid yet");
    fs::path keyPath = tree_.pkiDir / ca.keyPath;
    if (fs::exists(keyPath, ec)) {
      auto key = loadPrivateKeyFile(keyPath, tree_.display(keyPath));
      if (!key)
        report(ca.name, key.error());
      else if (!signers::samePublicKey(key.value().get(), X509_get0_pubkey(cert.value().get()))) {
        report(ca.name, tree_.display(keyPath) + " does not belong to " + tree_.display(certPath));
      }
    }
    caCerts_[ca.id] = std::move(cert.value());
  }

  void checkServiceAccount() {
    fs::path keyPath = tree_.pkiDir / "sa.key", pubPath = tree_.pkiDir / "sa.pub";
    std::error_code ec;
    bool haveKey = fs::exists(keyPath, ec), havePub = fs::exists(pubPath, ec);
    if (!haveKey) missing("sa", "pki/sa.key is missing");
    if (!havePub) missing("sa", "pki/sa.pub is missing");
    if (!haveKey || !havePub) return;
    ++checked_;
    auto key = loadPrivateKeyFile(keyPath, "pki/sa.key");
    auto pub = loadPublicKeyFile(pubPath, "pki/sa.pub");
    if (!key) return report("sa", key.error());
    if (!pub) return report("sa", pub.error());
    if (!signers::samePublicKey(key.value().get(), pub.value().get())) report("sa", "pki/sa.pub is not the public half of pki/sa.key");
  }

  void checkCert(const CertProfile& p) {
    auto installed = loadInstalled(tree_, p);
    using S = InstalledCertificate::State;
    if (installed.state == S::Missing) {
      return missing(p.name, p.storage == Storage::Kubeconfig && fs::exists(tree_.certPath(p))
                                 ? installed.shownAs + " has no client-certificate-data"
                                 : installed.shownAs + " is missing");
    }
    ++checked_;
    if (installed.state == S::Invalid) return report(p.name, installed.error);
    auto caIt = caCerts_.find(p.ca);
    CertificateCheck check;
    check.trustedCa = caIt == caCerts_.end() ? nullptr : caIt->second.get();
    for (const auto& d : certificateDeviations(tree_, p, installed, check)) report(p.name, d);
  }

  const VerifyOptions& options_;
  PkiTree tree_;
  std::ostream& out_;
  std::ostream& err_;
  std::map<CaId, signers::X509Ptr> caCerts_;
  int deviations_ = 0;
  int checked_ = 0;
};

}  // namespace

int runPkiVerify(const VerifyOptions& options, std::ostream& out, std::ostream& err) { return VerifyRun(options, out, err).run(); }

}  // namespace csrop::pki
