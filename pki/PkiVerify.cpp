#include "pki/PkiVerify.h"

#include <algorithm>
#include <map>
#include <ostream>
#include <system_error>
#include <vector>

#include "pki/CertificateFacts.h"
#include "pki/InstalledCertificate.h"
#include "pki/KubeadmProfiles.h"
#include "pki/PemFiles.h"
#include "pki/PkiTree.h"
#include "pki/ProfileMatch.h"
#include "signers/OpenSslError.h"
#include "signers/OpenSslPem.h"

namespace csrop::pki {

namespace fs = std::filesystem;

namespace {

std::optional<std::string> verifyChain(X509* leaf, X509* ca) {
  const signers::X509StorePtr store(X509_STORE_new());
  const signers::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), ca) != 1) return signers::withOpenSslErrors("cannot set up chain verification");
  // The CA may be an intermediate under an offline root: trusting it alone is what the cluster does.
  X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr) != 1)
    return signers::withOpenSslErrors("cannot set up chain verification");
  if (X509_verify_cert(ctx.get()) == 1) return std::nullopt;
  signers::drainOpenSslErrors();
  return std::string("chain does not verify against the CA: ") + X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

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
    X509* cert = installed.cert.get();
    auto f = certificateFacts(cert);
    const CaProfile& ca = caProfile(p.ca);

    auto caIt = caCerts_.find(p.ca);
    if (caIt == caCerts_.end()) {
      report(p.name, "cannot check the issuer: the " + ca.name + " certificate is missing or unreadable");
    } else {
      auto caFacts = certificateFacts(caIt->second.get());
      if (f.issuer != caFacts.subject) {
        report(p.name, "issued by \"" + f.issuer + "\", expected " + ca.name + " (\"" + caFacts.subject + "\")");
      }
      if (auto e = verifyChain(cert, caIt->second.get())) report(p.name, *e);
    }
    if (auto e = checkCommonName(p, f.commonName)) report(p.name, *e);
    if (auto e = checkOrganizations(p, f.organizations)) report(p.name, *e);
    if (auto e = checkSanTypes(p, f.dnsNames, f.ipAddresses.size(), f.emails, f.uris)) report(p.name, *e);
    for (const auto& d : p.requiredDnsSans) {
      if (std::find(f.dnsNames.begin(), f.dnsNames.end(), d) == f.dnsNames.end()) report(p.name, "DNS SAN \"" + d + "\" is missing");
    }
    for (const auto& ip : p.requiredIpSans) {
      if (std::find(f.ipAddresses.begin(), f.ipAddresses.end(), ip) == f.ipAddresses.end()) report(p.name, "IP SAN " + ip + " is missing");
    }
    checkUsages(p, f);
    checkKey(p, installed, cert);
    if (p.storage == Storage::Kubeconfig && caIt != caCerts_.end()) {
      if (installed.clusterCaPem.empty())
        report(p.name, installed.shownAs + " has no certificate-authority-data");
      else if (auto embedded = parseCertificate(installed.clusterCaPem, "certificate-authority-data");
               !embedded || X509_cmp(embedded.value().get(), caIt->second.get()) != 0) {
        report(p.name, installed.shownAs + " certificate-authority-data is not " + tree_.display(tree_.treeCaCertPath(ca)));
      }
    }
  }

  void checkUsages(const CertProfile& p, const CertificateFacts& f) {
    if (f.isCa) report(p.name, "is a CA certificate (BasicConstraints CA:TRUE)");
    if (!f.hasKeyUsage) report(p.name, "has no KeyUsage extension");
    if (!f.digitalSignature) report(p.name, "KeyUsage lacks digitalSignature");
    if (f.rsaKey && !f.keyEncipherment) report(p.name, "KeyUsage lacks keyEncipherment (RSA key)");
    if (f.certSign) report(p.name, "KeyUsage has keyCertSign");
    bool wantServer = p.kind != CertKind::Client, wantClient = p.kind != CertKind::Server;
    if (wantServer != f.serverAuth)
      report(p.name, wantServer ? "ExtKeyUsage lacks serverAuth" : "ExtKeyUsage has serverAuth, expected client only");
    if (wantClient != f.clientAuth)
      report(p.name, wantClient ? "ExtKeyUsage lacks clientAuth" : "ExtKeyUsage has clientAuth, expected server only");
    for (const auto& other : f.otherExtKeyUsages) report(p.name, "unexpected ExtKeyUsage " + other);
    auto now = std::chrono::system_clock::now();
    if (f.notAfter <= now) report(p.name, "expired");
    if (f.notBefore > now) report(p.name, "not valid yet");
  }

  void checkKey(const CertProfile& p, const InstalledCertificate& installed, X509* cert) {
    if (p.storage == Storage::PkiFiles) {
      fs::path keyPath = tree_.keyPath(p);
      std::error_code ec;
      if (!fs::exists(keyPath, ec)) return report(p.name, tree_.display(keyPath) + " is missing");
      auto key = loadPrivateKeyFile(keyPath, tree_.display(keyPath));
      if (!key) return report(p.name, key.error());
      if (!signers::samePublicKey(key.value().get(), X509_get0_pubkey(cert))) {
        report(p.name, tree_.display(keyPath) + " does not belong to " + installed.shownAs);
      }
      return;
    }
    if (installed.clientKeyPem.empty()) return report(p.name, installed.shownAs + " has no client-key-data");
    auto key = parsePrivateKey(installed.clientKeyPem, installed.shownAs + " client-key-data");
    if (!key) return report(p.name, key.error());
    if (!signers::samePublicKey(key.value().get(), X509_get0_pubkey(cert))) {
      report(p.name, installed.shownAs + " client-key-data does not belong to its client-certificate-data");
    }
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
