#include "pki/PkiKubeconfigUser.h"

#include <re2/re2.h>

#include <algorithm>
#include <filesystem>
#include <ostream>
#include <system_error>

#include "pki/CaCertificate.h"
#include "pki/KubeadmConfig.h"
#include "pki/KubeadmProfiles.h"
#include "pki/KubeconfigEmbed.h"
#include "pki/LocalRequest.h"
#include "signers/FileCaSigner.h"
#include "signers/FileUtil.h"
#include "signers/OpenSslPem.h"
#include "signers/Validity.h"

namespace csrop::pki {

namespace {

constexpr const char* kSystemMasters = "system:masters";

// The seed's warning ("Generating kubeconfig files for additional users", kubeadm's certificate
// management page), said where the choice is made.
constexpr const char* kBreakGlassWarning =
    "system:masters is a break-glass, super user group that bypasses the authorization layer (for example, RBAC): "
    "whoever holds this kubeconfig can do anything in the cluster, and no RoleBinding can take it away short of "
    "replacing the CA. Give additional users groups that RBAC binds instead";

// The profile of this one certificate: exactly this CN and these O, client auth, no SANs. The
// signer enforces it again, so nothing else can come out whatever the request says.
signers::SignerConfig signerConfig(const KubeconfigUserOptions& o, const std::string& caCert, const std::string& caKey) {
  signers::SignerConfig c;
  c.signerName = "pki.csr-operator.local/kubeconfig-user";
  c.caCertFile = caCert;
  c.caKeyFile = caKey;
  o.token.applyTo(c);
  c.maxDuration = o.validity;
  c.allowedUsages = usagesFor(CertKind::Client, true);
  c.requiredUsages = {"client auth"};
  c.allowedOrganizations = o.organizations;
  c.commonNameRegex = re2::RE2::QuoteMeta(o.clientName);
  c.permitSystemMasters = o.allowSystemMasters;
  return c;
}

class KubeconfigUserRun {
 public:
  KubeconfigUserRun(const KubeconfigUserOptions& options, std::ostream& out, std::ostream& err)
      : o_(options), out_(out), err_(err), status_(options.outFile.empty() ? err : out) {}

  int run() {
    std::string server = o_.server, clusterName = o_.clusterName.empty() ? "kubernetes" : o_.clusterName;
    std::string caCert = o_.caCertFile, caKey = o_.caKeyFile;
    if (!o_.configFile.empty()) {
      auto cfg = readKubeadmConfig(o_.configFile);
      if (!cfg) return fail(2, cfg.error());
      if (server.empty()) server = cfg.value().server;
      if (o_.clusterName.empty()) clusterName = cfg.value().clusterName;
      const std::filesystem::path dir = cfg.value().certificatesDir;
      if (caCert.empty()) caCert = (dir / "ca.crt").string();
      if (caKey.empty()) caKey = (dir / "ca.key").string();
    }
    if (auto checked = checkServerUrl(server); !checked) return fail(2, checked.error());
    if (caCert.empty() || caKey.empty()) return fail(2, "--ca-cert and --ca-key are required without --config");

    const bool masters = std::find(o_.organizations.begin(), o_.organizations.end(), kSystemMasters) != o_.organizations.end();
    if (masters && !o_.allowSystemMasters) {
      return fail(1, std::string("refused: --org system:masters. ") + kBreakGlassWarning +
                         ". To mint a break-glass credential on purpose, add --allow-system-masters and keep the file offline");
    }
    if (masters) err_ << "warning: " << kBreakGlassWarning << ".\n";
    if (o_.validity > std::chrono::hours(24 * 365)) {
      err_ << "warning: the validity period " << o_.validity.count() / 3600
           << "h is longer than kubeadm's default of 8760h; a leaked client certificate cannot be revoked, only outlived\n";
    }
    std::error_code ec;
    if (!o_.outFile.empty() && std::filesystem::exists(o_.outFile, ec)) {
      return fail(1, o_.outFile + " exists; pki kubeconfig user never overwrites a kubeconfig (remove it or pick another --out)");
    }

    auto signer = signers::FileCaSigner::create(signerConfig(o_, caCert, caKey));
    if (!signer) return fail(1, "cannot sign with " + caCert + ": " + signer.error());
    auto key = generateRsaKey();
    if (!key) return fail(1, key.error());
    LocalRequest request;
    for (const auto& org : o_.organizations) request.subject.emplace_back("O", org);
    request.subject.emplace_back("CN", o_.clientName);
    auto requestPem = buildRequestPem(key.value().get(), request);
    if (!requestPem) return fail(1, requestPem.error());
    const std::vector<std::string> usages = usagesFor(CertKind::Client, true);
    signers::IssueRequest issue{requestPem.value(), signer.value()->name(), usages, o_.validity.count()};
    auto issued = signer.value()->issue(issue, std::chrono::system_clock::now());
    if (auto* e = std::get_if<signers::IssueError>(&issued)) return fail(1, "refused for CN=" + o_.clientName + ": " + e->message);
    const auto& cert = std::get<signers::IssuedCertificate>(issued);

    const std::string kubeconfig = buildClientKubeconfig(
        {server, clusterName, o_.clientName, signer.value()->caPem(), cert.pem, signers::privateKeyPem(key.value().get())});
    if (o_.outFile.empty()) {
      // kubeadm prints the kubeconfig with Fprintln: one more newline after clientcmd's text.
      out_ << kubeconfig << "\n" << std::flush;
    } else if (auto wrote = signers::writeFileAtomically(o_.outFile, kubeconfig, 0600); !wrote) {
      return fail(1, wrote.error());
    }
    status_ << "issued a kubeconfig" << (o_.outFile.empty() ? "" : " " + o_.outFile + " (0600)") << " for CN=" << o_.clientName << ", O=["
            << join(o_.organizations) << "], cluster " << clusterName << " at " << server << ", by " << signer.value()->caSubject()
            << ", serial " << cert.serialHex << ", expires " << signers::formatTime(cert.notAfter)
            << (cert.clampedToCaNotAfter ? " (cut to the CA's own expiry)" : "") << "\n";
    return 0;
  }

 private:
  static std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  }

  int fail(int code, const std::string& why) {
    err_ << "error: pki kubeconfig user: " << why << "\n";
    return code;
  }

  const KubeconfigUserOptions& o_;
  std::ostream& out_;
  std::ostream& err_;
  std::ostream& status_;
};

}  // namespace

int runPkiKubeconfigUser(const KubeconfigUserOptions& options, std::ostream& out, std::ostream& err) {
  return KubeconfigUserRun(options, out, err).run();
}

}  // namespace csrop::pki
