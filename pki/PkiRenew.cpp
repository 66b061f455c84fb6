#include "pki/PkiRenew.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <system_error>

#include <openssl/x509v3.h>

#include "pki/CaCertificate.h"
#include "pki/CertificateChecks.h"
#include "pki/CertificateFacts.h"
#include "pki/InstalledCertificate.h"
#include "pki/KubeadmProfiles.h"
#include "pki/KubeconfigEmbed.h"
#include "pki/LocalRequest.h"
#include "pki/PemFiles.h"
#include "pki/PkiTree.h"
#include "pki/ProfileMatch.h"
#include "signers/CertificateRequest.h"
#include "signers/FileCaSigner.h"
#include "signers/Pkcs11Uri.h"
#include "signers/FileUtil.h"
#include "signers/OpenSslError.h"
#include "signers/OpenSslPem.h"
#include "signers/Validity.h"

namespace csrop::pki {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

namespace {

constexpr mode_t kCertMode = 0644;
constexpr mode_t kKeyMode = 0600;

struct Renewal {
  const CertProfile* profile = nullptr;
  std::string shownAs;
  signers::X509Ptr current;
  std::string keyPem;  // the key the new certificate is for: the current one, or a new one
  bool newKey = false;
  std::string requestPem;
  std::vector<std::string> usages;
  signers::Signer* signer = nullptr;
  X509* trustedCa = nullptr;
  signers::IssuedCertificate issued;
};

// The subject and SANs of the current certificate, in its order, as kubeadm's certToConfig keeps
// them (cmd/kubeadm/app/phases/certs/renewal/manager.go: CommonName, Organization, DNSNames,
// IPAddresses). Anything else in the subject is refused rather than dropped: dropping it would
// change the certificate without anyone deciding to.
signers::Result<LocalRequest> requestFrom(X509* cert) {
  using R = signers::Result<LocalRequest>;
  LocalRequest r;
  const X509_NAME* subject = X509_get_subject_name(cert);
  for (int i = 0; i < X509_NAME_entry_count(subject); ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(subject, i);
    const int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    if (nid != NID_commonName && nid != NID_organizationName) {
      return R::fail(std::string("the subject carries ") + (nid == NID_undef ? "an unknown attribute" : OBJ_nid2sn(nid)) +
                     "; kubeadm's certificates carry only CN and O");
    }
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    const signers::OpenSslBytesPtr owned(utf8);
    if (len < 0) return R::fail(signers::withOpenSslErrors("the subject cannot be read as UTF-8"));
    r.subject.emplace_back(nid == NID_commonName ? "CN" : "O",
                           std::string(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len)));
  }
  // The extensions the signer writes itself; any other one would be dropped by the renewal.
  for (int i = 0; i < X509_get_ext_count(cert); ++i) {
    const int nid = OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(cert, i)));
    if (nid != NID_key_usage && nid != NID_ext_key_usage && nid != NID_basic_constraints && nid != NID_subject_alt_name &&
        nid != NID_subject_key_identifier && nid != NID_authority_key_identifier) {
      return R::fail(std::string("it carries the extension ") + (nid == NID_undef ? "with an unknown OID" : OBJ_nid2sn(nid)) +
                     ", which kubeadm's certificates do not; a renewal would drop it");
    }
  }
  const auto facts = certificateFacts(cert);
  r.dnsNames = facts.dnsNames;
  for (const auto& ip : facts.ipAddresses) {
    auto parsed = signers::IpAddress::parse(ip);
    if (!parsed) return R::fail("the IP SAN \"" + ip + "\" cannot be read");
    r.ipAddresses.push_back(*parsed);
  }
  return R::ok(std::move(r));
}

// A key of the current key's kind: RSA of the same size, the same curve, or Ed25519.
signers::Result<signers::EvpPkeyPtr> keyLike(EVP_PKEY* current) {
  using R = signers::Result<signers::EvpPkeyPtr>;
  const int id = EVP_PKEY_get_base_id(current);
  signers::EvpPkeyPtr key;
  if (id == EVP_PKEY_RSA) return generateRsaKey(EVP_PKEY_get_bits(current));
  if (id == EVP_PKEY_ED25519) key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (id == EVP_PKEY_EC) {
    char curve[64] = {};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(current, "group", curve, sizeof curve, &len) != 1) {
      return R::fail(signers::withOpenSslErrors("cannot read the current key's curve"));
    }
    key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
  }
  if (!key) return R::fail(signers::withOpenSslErrors("cannot generate a new key of the current key's type"));
  return R::ok(std::move(key));
}

// The usages of the current certificate in certificates.k8s.io spelling: a renewal keeps them (the
// profile's signer still refuses any it does not allow). An ECDSA certificate from an older kubeadm
// carries key encipherment, which the profile permits but would not add today.
std::vector<std::string> usagesOf(const CertificateFacts& f) {
  std::vector<std::string> u;
  if (f.digitalSignature) u.push_back("digital signature");
  if (f.keyEncipherment) u.push_back("key encipherment");
  if (f.serverAuth) u.push_back("server auth");
  if (f.clientAuth) u.push_back("client auth");
  return u;
}

// What must not change between the current certificate and its renewal. Empty: nothing did.
std::string differences(const CertificateFacts& a, const CertificateFacts& b, bool sameKey, X509* current, X509* renewed) {
  std::string d;
  auto note = [&d](bool changed, const char* what) {
    if (changed) d += (d.empty() ? "" : ", ") + std::string(what);
  };
  note(a.subject != b.subject, "subject");
  note(a.issuer != b.issuer, "issuer");
  note(a.dnsNames != b.dnsNames || a.ipAddresses != b.ipAddresses || a.emails != b.emails || a.uris != b.uris, "SANs");
  note(a.isCa != b.isCa || a.hasKeyUsage != b.hasKeyUsage || X509_get_key_usage(current) != X509_get_key_usage(renewed), "key usages");
  note(a.serverAuth != b.serverAuth || a.clientAuth != b.clientAuth || a.otherExtKeyUsages != b.otherExtKeyUsages, "extended key usages");
  if (sameKey) note(!signers::samePublicKey(X509_get0_pubkey(current), X509_get0_pubkey(renewed)), "public key");
  return d;
}

class RenewRun {
 public:
  RenewRun(const RenewOptions& options, std::ostream& out, std::ostream& err)
      : o_(options), tree_(PkiTree::split(options.kubeconfigDir, options.certDir, options.caDir)), out_(out), err_(err) {}

  int run() {
    std::error_code ec;
    for (const auto& dir : {tree_.root, tree_.pkiDir}) {
      if (!fs::is_directory(dir, ec)) {
        err_ << "error: " << dir.string() << " is not a directory (set --kubeconfig-dir and --cert-dir, or --dir for both)\n";
        return 2;
      }
    }
    std::vector<const CertProfile*> targets;
    for (const auto& p : certProfiles()) {
      if (o_.target == "all" || o_.target == p.name) targets.push_back(&p);
    }
    std::sort(targets.begin(), targets.end(), [](auto* a, auto* b) { return a->name < b->name; });
    for (const auto* p : targets) plan(*p);
    if (!refusals_.empty()) return refuse();
    if (renewals_.empty()) {
      out_ << "nothing to renew\n";
      return missing_ && o_.target != "all" ? 1 : 0;
    }
    if (o_.dryRun) {
      for (const auto& r : renewals_) printPlan(r);
      out_ << "dry run: " << renewals_.size() << " certificate(s) would be renewed, nothing was written\n";
      return 0;
    }
    for (auto& r : renewals_) issue(r);
    if (!refusals_.empty()) return refuse();
    int failures = 0;
    for (const auto& r : renewals_) failures += write(r) ? 0 : 1;
    out_ << renewals_.size() - static_cast<std::size_t>(failures) << " certificate(s) renewed"
         << (failures ? ", " + std::to_string(failures) + " failed" : "") << "\n";
    if (failures == 0) {
      out_ << "Restart kube-apiserver, kube-controller-manager, kube-scheduler and etcd (and the kubelet for kubelet.conf) so that they "
              "use the new certificates.\n";
    }
    return failures == 0 ? 0 : 1;
  }

 private:
  int refuse() {
    for (const auto& r : refusals_) err_ << "refused: " << r << "\n";
    err_ << "nothing was written: " << refusals_.size() << " certificate(s) refused\n";
    return 1;
  }

  void refuseOne(const CertProfile& p, const std::string& shownAs, const std::string& why) {
    refusals_.push_back(p.name + " (" + shownAs + "): " + why);
  }

  // The certificate the cluster trusts for this CA (the tree's copy), loaded once.
  X509* trustedCa(CaId id, std::string& error) {
    auto it = trusted_.find(id);
    if (it == trusted_.end()) {
      const fs::path path = tree_.treeCaCertPath(caProfile(id));
      std::error_code ec;
      signers::Result<signers::X509Ptr> cert = fs::exists(path, ec)
                                                   ? loadCertificateFile(path, tree_.display(path))
                                                   : signers::Result<signers::X509Ptr>::fail(tree_.display(path) + " is missing");
      it = trusted_.emplace(id, std::move(cert)).first;
    }
    if (!it->second) {
      error = it->second.error();
      return nullptr;
    }
    return it->second.value().get();
  }

  // The signer for a profile: its CA pair from the CA directory through the same loading as `pki
  // sign` (signerConfigFor, FileCaSigner::create), refused when that CA is not the one the tree
  // trusts.
  signers::Signer* signerFor(const CertProfile& p, X509* trusted, std::string& error) {
    if (auto it = signers_.find(p.name); it != signers_.end()) return it->second.get();
    const CaProfile& ca = caProfile(p.ca);
    const bool keyElsewhere = ca.id == CaId::Kubernetes && !o_.caKey.key.empty();
    const fs::path certPath = tree_.caCertPath(ca), keyPath = keyElsewhere ? fs::path(o_.caKey.key) : tree_.caKeyPath(ca);
    std::error_code ec;
    if (!signers::isPkcs11Uri(keyPath.string()) && !fs::exists(keyPath, ec)) {
      error = "the " + ca.name + " key " + keyPath.string() + " is missing (in External CA mode it lives elsewhere: pass --ca-dir)";
      return nullptr;
    }
    auto signing = loadCertificateFile(certPath, certPath.string());
    if (!signing) {
      error = signing.error();
      return nullptr;
    }
    if (X509_cmp(signing.value().get(), trusted) != 0) {
      error = certPath.string() + " is not the " + ca.name + " certificate the tree trusts (" + tree_.display(tree_.treeCaCertPath(ca)) +
              "); the cluster would not trust what it signs";
      return nullptr;
    }
    auto config = signerConfigFor(p, certPath.string(), keyPath.string(), o_.validity);
    if (ca.id == CaId::Kubernetes) o_.caKey.applyTo(config);
    auto created = signers::FileCaSigner::create(config);
    if (!created) {
      error = created.error();
      return nullptr;
    }
    return signers_.emplace(p.name, std::move(created.value())).first->second.get();
  }

  void plan(const CertProfile& p) {
    auto installed = loadInstalled(tree_, p);
    using S = InstalledCertificate::State;
    if (installed.state == S::Missing) {
      // kubeadm's renewCert prints "MISSING!" and goes on; a kubelet.conf that points at the
      // kubelet's rotated files has nothing embedded to renew.
      out_ << "MISSING! " << p.name << " (" << installed.shownAs
           << (p.storage == Storage::Kubeconfig && fs::exists(tree_.certPath(p)) ? " has no client-certificate-data" : " is missing")
           << ")\n";
      missing_ = true;
      return;
    }
    if (installed.state == S::Invalid) return refuseOne(p, installed.shownAs, installed.error);
    std::string error;
    X509* trusted = trustedCa(p.ca, error);
    if (trusted == nullptr) return refuseOne(p, installed.shownAs, "cannot check it against " + caProfile(p.ca).name + ": " + error);

    CertificateCheck check;
    check.trustedCa = trusted;
    check.checkValidity = false;
    auto deviations = certificateDeviations(tree_, p, installed, check);
    if (!deviations.empty()) {
      std::string why = "breaks kubeadm's " + p.name + " profile, so it is not renewed (fix or re-sign it with pki sign): ";
      for (std::size_t i = 0; i < deviations.size(); ++i) why += (i ? "; " : "") + deviations[i];
      return refuseOne(p, installed.shownAs, why);
    }

    Renewal r;
    r.profile = &p;
    r.shownAs = installed.shownAs;
    r.trustedCa = trusted;
    r.signer = signerFor(p, trusted, error);
    if (r.signer == nullptr) return refuseOne(p, installed.shownAs, "cannot sign with " + caProfile(p.ca).name + ": " + error);

    auto currentKey = p.storage == Storage::PkiFiles ? loadPrivateKeyFile(tree_.keyPath(p), tree_.display(tree_.keyPath(p)))
                                                     : parsePrivateKey(installed.clientKeyPem, installed.shownAs + " client-key-data");
    if (!currentKey) return refuseOne(p, installed.shownAs, currentKey.error());
    signers::EvpPkeyPtr key = std::move(currentKey.value());
    if (o_.newKey) {
      auto fresh = keyLike(key.get());
      if (!fresh) return refuseOne(p, installed.shownAs, fresh.error());
      key = std::move(fresh.value());
      r.newKey = true;
    }
    auto request = requestFrom(installed.cert.get());
    if (!request) return refuseOne(p, installed.shownAs, request.error());
    auto pem = buildRequestPem(key.get(), request.value());
    if (!pem) return refuseOne(p, installed.shownAs, pem.error());
    auto parsed = signers::parseCertificateRequest(pem.value(), r.signer->requestLimits());
    if (!parsed) return refuseOne(p, installed.shownAs, "the renewal request does not parse: " + parsed.error());
    r.usages = usagesOf(certificateFacts(installed.cert.get()));
    if (auto e = r.signer->validate(parsed.value(), r.usages))
      return refuseOne(p, installed.shownAs, "refused by the " + p.name + " profile: " + *e);
    r.requestPem = std::move(pem.value());
    r.keyPem = signers::privateKeyPem(key.get());
    r.current = std::move(installed.cert);
    renewals_.push_back(std::move(r));
  }

  void printPlan(const Renewal& r) {
    const auto facts = certificateFacts(r.current.get());
    auto notAfter = Clock::now() + o_.validity;
    const bool cut = notAfter > r.signer->caNotAfter();
    if (cut) notAfter = r.signer->caNotAfter();
    out_ << "would renew " << r.shownAs << " (" << r.profile->name << "): CN=" << facts.commonName << ", by "
         << caProfile(r.profile->ca).name << ", " << (r.newKey ? "new key" : "same key") << ", NotAfter "
         << signers::formatTime(facts.notAfter) << " -> about " << signers::formatTime(notAfter) << (cut ? " (the CA's own expiry)" : "")
         << "\n";
  }

  // Issued in memory and compared with the current certificate: a renewal that would change
  // anything but the validity, the serial and (with newKey) the key is refused.
  void issue(Renewal& r) {
    signers::IssueRequest request{r.requestPem, r.signer->name(), r.usages, o_.validity.count()};
    auto issued = r.signer->issue(request, Clock::now());
    if (auto* e = std::get_if<signers::IssueError>(&issued)) return refuseOne(*r.profile, r.shownAs, e->message);
    r.issued = std::get<signers::IssuedCertificate>(issued);
    auto renewed = parseCertificate(r.issued.pem, "the renewed " + r.profile->name + " certificate");
    if (!renewed) return refuseOne(*r.profile, r.shownAs, renewed.error());
    const std::string changed = differences(certificateFacts(r.current.get()), certificateFacts(renewed.value().get()), !r.newKey,
                                            r.current.get(), renewed.value().get());
    if (!changed.empty()) return refuseOne(*r.profile, r.shownAs, "the renewed certificate would differ in " + changed);
    if (auto e = verifyChain(renewed.value().get(), r.trustedCa))
      return refuseOne(*r.profile, r.shownAs, "the renewed certificate's " + *e);
  }

  bool write(const Renewal& r) {
    const CertProfile& p = *r.profile;
    const fs::path target = tree_.certPath(p);
    if (p.storage == Storage::PkiFiles) {
      if (!writePkiFiles(r, target)) return false;
    } else {
      auto text = signers::readSmallFile(target.string());
      if (!text) return error(tree_.display(target) + ": " + text.error());
      auto updated = embedClientCertificate(text.value(), tree_.display(target), r.issued.pem, {}, r.newKey ? r.keyPem : std::string());
      if (!updated) return error(updated.error());
      std::error_code ec;
      const auto perms = fs::status(target, ec).permissions() & fs::perms::mask;
      auto wrote = signers::writeFileAtomically(target.string(), updated.value(), ec ? kKeyMode : static_cast<mode_t>(perms));
      if (!wrote) return error(wrote.error());
    }
    out_ << "renewed " << r.shownAs << " (" << p.name << "): CN=" << certificateFacts(r.current.get()).commonName << ", by "
         << caProfile(p.ca).name << ", " << (r.newKey ? "new key" : "same key") << ", serial " << r.issued.serialHex << ", NotAfter "
         << signers::formatTime(certificateFacts(r.current.get()).notAfter) << " -> " << signers::formatTime(r.issued.notAfter)
         << (r.issued.clampedToCaNotAfter ? " (cut to the CA's own expiry)" : "") << "\n";
    return true;
  }

  // A new key is written before its certificate; if the certificate cannot be written, the old key
  // goes back, so the pair on disk always matches.
  bool writePkiFiles(const Renewal& r, const fs::path& certPath) {
    const fs::path keyPath = tree_.keyPath(*r.profile);
    std::string oldKey;
    if (r.newKey) {
      auto old = signers::readSmallFile(keyPath.string(), 64 * 1024);
      if (!old) return error(tree_.display(keyPath) + ": " + old.error());
      oldKey = old.value();
      if (auto wrote = signers::writeFileAtomically(keyPath.string(), r.keyPem, kKeyMode); !wrote) return error(wrote.error());
    }
    if (auto wrote = signers::writeFileAtomically(certPath.string(), r.issued.pem, kCertMode); !wrote) {
      if (r.newKey) {
        if (auto restored = signers::writeFileAtomically(keyPath.string(), oldKey, kKeyMode); !restored) {
          return error(wrote.error() + "; and the previous key could not be put back: " + restored.error() + " (" + tree_.display(keyPath) +
                       " no longer matches " + tree_.display(certPath) + ")");
        }
      }
      return error(wrote.error());
    }
    return true;
  }

  bool error(const std::string& why) {
    err_ << "error: " << why << "\n";
    return false;
  }

  const RenewOptions& o_;
  PkiTree tree_;
  std::ostream& out_;
  std::ostream& err_;
  std::vector<std::string> refusals_;
  std::vector<Renewal> renewals_;
  bool missing_ = false;
  std::map<CaId, signers::Result<signers::X509Ptr>> trusted_;
  std::map<std::string, std::unique_ptr<signers::Signer>> signers_;
};

}  // namespace

bool isRenewName(const std::string& name) {
  if (name == "all") return true;
  for (const auto& p : certProfiles()) {
    if (p.name == name) return true;
  }
  return false;
}

std::string renewNamesText() {
  std::vector<std::string> names;
  for (const auto& p : certProfiles()) names.push_back(p.name);
  std::sort(names.begin(), names.end());
  std::string s;
  for (const auto& n : names) s += n + ", ";
  return s + "all";
}

int runPkiRenew(const RenewOptions& options, std::ostream& out, std::ostream& err) { return RenewRun(options, out, err).run(); }

}  // namespace csrop::pki
