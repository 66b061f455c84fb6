#include "pki/PkiSign.h"

#include <map>
#include <memory>
#include <optional>
#include <ostream>

#include "pki/KubeadmProfiles.h"
#include "pki/KubeconfigEmbed.h"
#include "pki/PemFiles.h"
#include "pki/PkiTree.h"
#include "pki/ProfileMatch.h"
#include "signers/CertificateRequest.h"
#include "signers/FileUtil.h"
#include "signers/OpenSslPem.h"
#include "signers/FileCaSigner.h"
#include "signers/Pkcs11Uri.h"
#include "signers/Validity.h"

namespace csrop::pki {

namespace fs = std::filesystem;

namespace {

constexpr mode_t kCertMode = 0644;
constexpr mode_t kConfMode = 0600;  // a kubeconfig holds its private key

struct PlannedSignature {
  const CertProfile* profile = nullptr;
  fs::path csrPath;
  std::string requestPem;
  std::vector<std::string> usages;
  std::string commonName;
  bool replaces = false;
};

struct CaState {
  std::optional<std::string> error;  // why nothing can be signed with this CA
  std::string caPem;                 // the certificate the cluster trusts (for kubeconfigs)
};

class SignRun {
 public:
  SignRun(const SignOptions& options, std::ostream& out, std::ostream& err)
      : options_(options), tree_(PkiTree::at(options.dir, options.caDir)), out_(out), err_(err) {}

  int run() {
    std::error_code ec;
    if (!fs::is_directory(tree_.root, ec)) {
      err_ << "error: " << tree_.root.string() << " is not a directory\n";
      return 2;
    }
    auto csrs = findCsrFiles(tree_.root);
    if (csrs.empty()) {
      out_ << "no certificate signing requests (*.csr) under " << tree_.root.string() << "\n";
      return 0;
    }
    for (const auto& csr : csrs) plan(csr);
    if (!refusals_.empty()) {
      for (const auto& r : refusals_) err_ << "refused: " << r << "\n";
      err_ << "nothing was written: " << refusals_.size() << " request(s) refused\n";
      return 1;
    }
    if (options_.dryRun) {
      for (const auto& p : planned_) {
        out_ << "would sign " << tree_.display(p.csrPath) << " -> " << tree_.display(tree_.certPath(*p.profile))
             << (p.profile->storage == Storage::Kubeconfig ? " (client-certificate-data)" : "") << " with " << caProfile(p.profile->ca).name
             << ", " << kindName(p.profile->kind) << ", CN=" << p.commonName << ", " << options_.days << "d"
             << (p.replaces ? ", replacing the existing certificate" : "") << "\n";
      }
      out_ << "dry run: " << planned_.size() << " certificate(s) would be signed, " << upToDate_ << " already signed\n";
      return 0;
    }
    int failures = 0;
    for (const auto& p : planned_) failures += execute(p) ? 0 : 1;
    out_ << planned_.size() - static_cast<std::size_t>(failures) << " certificate(s) signed, " << upToDate_ << " already signed"
         << (failures ? ", " + std::to_string(failures) + " failed" : "") << "\n";
    return failures == 0 ? 0 : 1;
  }

 private:
  void refuse(const fs::path& file, const std::string& why) { refusals_.push_back(tree_.display(file) + ": " + why); }

  const CertProfile* profileFor(const fs::path& csr) const {
    for (const auto& p : certProfiles()) {
      if (tree_.csrPath(p) == csr) return &p;
    }
    return nullptr;
  }

  // The CA's key: --ca-key for the kubernetes CA when given (a file or a PKCS#11 URI), else the CA directory's.
  fs::path keyOf(const CaProfile& ca) const {
    return ca.id == CaId::Kubernetes && !options_.caKey.key.empty() ? fs::path(options_.caKey.key) : tree_.caKeyPath(ca);
  }

  bool isCaRequest(const fs::path& csr) const {
    for (const auto& ca : caProfiles()) {
      fs::path caCsr = tree_.pkiDir / ca.certPath;
      caCsr.replace_extension(".csr");
      if (caCsr == csr) return true;
    }
    return false;
  }

  const CaState& caState(CaId id) {
    auto it = caStates_.find(id);
    if (it != caStates_.end()) return it->second;
    const CaProfile& ca = caProfile(id);
    CaState state;
    fs::path cert = tree_.caCertPath(ca), key = keyOf(ca);
    std::error_code ec;
    if (!fs::exists(cert, ec)) {
      state.error = "the " + ca.name + " certificate " + cert.string() + " is missing (create the CAs with `pki init`)";
    } else if (!signers::isPkcs11Uri(key.string()) && !fs::exists(key, ec)) {
      state.error = "the " + ca.name + " key " + key.string() + " is missing (in External CA mode it lives elsewhere: pass --ca-dir)";
    } else {
      auto caCert = loadCertificateFile(cert, cert.string());
      fs::path treeCert = tree_.treeCaCertPath(ca);
      if (!caCert) {
        state.error = caCert.error();
      } else if (treeCert != cert && fs::exists(treeCert, ec)) {
        // The cluster trusts the tree's copy: signing with a different CA would produce certificates it rejects.
        auto trusted = loadCertificateFile(treeCert, tree_.display(treeCert));
        if (!trusted)
          state.error = trusted.error();
        else if (X509_cmp(trusted.value().get(), caCert.value().get()) != 0) {
          state.error = tree_.display(treeCert) + " is not the same certificate as " + cert.string() +
                        "; the cluster would not trust what this CA signs";
        }
      }
      if (caCert) state.caPem = signers::certificatePem(caCert.value().get());
    }
    return caStates_.emplace(id, std::move(state)).first->second;
  }

  signers::Signer* signerFor(const CertProfile& p, std::string& error) {
    auto it = signers_.find(p.name);
    if (it != signers_.end()) return it->second.get();
    const CaProfile& ca = caProfile(p.ca);
    auto config = signerConfigFor(p, tree_.caCertPath(ca).string(), keyOf(ca).string(), std::chrono::hours(24) * options_.days);
    if (ca.id == CaId::Kubernetes) options_.caKey.applyTo(config);
    auto created = signers::FileCaSigner::create(config);
    if (!created) {
      error = created.error();
      return nullptr;
    }
    return signers_.emplace(p.name, std::move(created.value())).first->second.get();
  }

  void plan(const fs::path& csr) {
    if (isCaRequest(csr)) return refuse(csr, "a request for a CA certificate; pki sign never signs a CA");
    const CertProfile* profile = profileFor(csr);
    if (profile == nullptr) {
      return refuse(csr,
                    "not one of the certificates in kubeadm's tables, so there is no profile to sign it with "
                    "(remove the file if it is not needed)");
    }
    const CertProfile& p = *profile;
    auto text = signers::readSmallFile(csr.string(), 64 * 1024);
    if (!text) return refuse(csr, text.error());
    auto parsed = signers::parseCertificateRequest(text.value());
    if (!parsed) return refuse(csr, "not a valid certificate request (truncated or corrupt?): " + parsed.error());
    const signers::ParsedRequest& req = parsed.value();
    if (req.requestsCa) return refuse(csr, "asks for a CA certificate (BasicConstraints CA:TRUE); pki sign never signs a CA");
    if (auto e = checkCommonName(p, req.commonName)) return refuse(csr, *e);
    if (auto e = checkOrganizations(p, req.organizations)) return refuse(csr, *e);
    if (auto e = checkSanTypes(p, req.dnsNames, req.ipAddresses.size(), req.emailAddresses, req.uris)) return refuse(csr, *e);

    const CaState& ca = caState(p.ca);
    if (ca.error) return refuse(csr, "cannot sign with " + caProfile(p.ca).name + ": " + *ca.error);
    std::string signerError;
    signers::Signer* signer = signerFor(p, signerError);
    if (signer == nullptr) return refuse(csr, signerError);
    auto usages = usagesFor(p.kind, req.keyType == signers::KeyType::Rsa);
    if (auto e = signer->validate(req, usages)) return refuse(csr, "refused by the " + p.name + " profile: " + *e);

    PlannedSignature planned{&p, csr, text.value(), usages, req.commonName, false};
    if (!checkKeyAndExisting(p, csr, req, planned)) return;
    planned_.push_back(std::move(planned));
  }

  // The private key kubeadm wrote next to the request must belong to it, and an existing
  // certificate is only replaced with --force (one for this very key counts as already signed).
  bool checkKeyAndExisting(const CertProfile& p, const fs::path& csr, const signers::ParsedRequest& req, PlannedSignature& planned) {
    signers::X509Ptr existing;
    std::error_code ec;
    if (p.storage == Storage::PkiFiles) {
      fs::path keyPath = tree_.keyPath(p);
      if (fs::exists(keyPath, ec)) {
        auto key = loadPrivateKeyFile(keyPath, tree_.display(keyPath));
        if (!key) return refuse(csr, key.error()), false;
        if (!signers::samePublicKey(key.value().get(), req.publicKey.get())) {
          return refuse(csr, "the request's public key does not match " + tree_.display(keyPath)), false;
        }
      }
      fs::path certPath = tree_.certPath(p);
      if (fs::exists(certPath, ec)) {
        auto cert = loadCertificateFile(certPath, tree_.display(certPath));
        if (cert)
          existing = std::move(cert.value());
        else if (!options_.force)
          return refuse(csr, tree_.display(certPath) + " exists (unreadable); use --force to replace it"), false;
      }
    } else {
      fs::path conf = tree_.certPath(p);
      if (!fs::exists(conf, ec))
        return refuse(csr, "the kubeconfig " + tree_.display(conf) + " to embed the certificate in is missing"), false;
      auto creds = readKubeconfigFile(conf, tree_.display(conf));
      if (!creds) return refuse(csr, creds.error()), false;
      if (creds.value().clientKeyPem.empty()) {
        return refuse(csr, tree_.display(conf) + " has no client-key-data for user \"" + creds.value().userName + "\""), false;
      }
      auto key = parsePrivateKey(creds.value().clientKeyPem, tree_.display(conf) + " client-key-data");
      if (!key) return refuse(csr, key.error()), false;
      if (!signers::samePublicKey(key.value().get(), req.publicKey.get())) {
        return refuse(csr, "the request's public key does not match the client-key-data in " + tree_.display(conf)), false;
      }
      if (!creds.value().clientCertPem.empty()) {
        auto cert = parseCertificate(creds.value().clientCertPem, tree_.display(conf) + " client-certificate-data");
        if (cert)
          existing = std::move(cert.value());
        else if (!options_.force)
          return refuse(csr, tree_.display(conf) + " already has client-certificate-data (unreadable); use --force to replace it"), false;
      }
    }
    if (existing && !options_.force) {
      if (signers::samePublicKey(X509_get0_pubkey(existing.get()), req.publicKey.get())) {
        out_ << "already signed: " << tree_.display(tree_.certPath(p)) << " holds a certificate for this request's key\n";
        ++upToDate_;
        return false;
      }
      return refuse(csr, tree_.display(tree_.certPath(p)) + " already holds a certificate for another key; use --force to replace it"),
             false;
    }
    planned.replaces = existing != nullptr;
    return true;
  }

  bool execute(const PlannedSignature& p) {
    const CertProfile& profile = *p.profile;
    std::string error;
    signers::Signer* signer = signerFor(profile, error);
    signers::IssueRequest request{p.requestPem, signer->name(), p.usages, int64_t{options_.days} * 86400};
    auto issued = signer->issue(request, std::chrono::system_clock::now());
    if (auto* e = std::get_if<signers::IssueError>(&issued)) {
      err_ << "error: " << tree_.display(p.csrPath) << ": " << e->message << "\n";
      return false;
    }
    const auto& cert = std::get<signers::IssuedCertificate>(issued);
    fs::path target = tree_.certPath(profile);
    signers::Result<bool> wrote = signers::Result<bool>::ok(true);
    if (profile.storage == Storage::PkiFiles) {
      wrote = signers::writeFileAtomically(target.string(), cert.pem, kCertMode);
    } else {
      auto text = signers::readSmallFile(target.string());
      if (!text) {
        err_ << "error: " << tree_.display(target) << ": " << text.error() << "\n";
        return false;
      }
      auto updated = embedClientCertificate(text.value(), tree_.display(target), cert.pem, caState(profile.ca).caPem);
      if (!updated) {
        err_ << "error: " << updated.error() << "\n";
        return false;
      }
      std::error_code ec;
      // The kubeconfig keeps the mode it has.
      const auto perms = fs::status(target, ec).permissions() & fs::perms::mask;
      wrote = signers::writeFileAtomically(target.string(), updated.value(), ec ? kConfMode : static_cast<mode_t>(perms));
    }
    if (!wrote) {
      err_ << "error: " << wrote.error() << "\n";
      return false;
    }
    out_ << "signed " << tree_.display(target) << (profile.storage == Storage::Kubeconfig ? " (embedded)" : "") << ": CN=" << p.commonName
         << ", " << kindName(profile.kind) << ", by " << caProfile(profile.ca).name << ", serial " << cert.serialHex << ", expires "
         << signers::formatTime(cert.notAfter) << (cert.clampedToCaNotAfter ? " (cut to the CA's own expiry)" : "") << "\n";
    return true;
  }

  const SignOptions& options_;
  PkiTree tree_;
  std::ostream& out_;
  std::ostream& err_;
  std::vector<std::string> refusals_;
  std::vector<PlannedSignature> planned_;
  std::size_t upToDate_ = 0;
  std::map<CaId, CaState> caStates_;
  std::map<std::string, std::unique_ptr<signers::Signer>> signers_;
};

}  // namespace

int runPkiSign(const SignOptions& options, std::ostream& out, std::ostream& err) { return SignRun(options, out, err).run(); }

}  // namespace csrop::pki
