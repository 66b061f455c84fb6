#include "pki/CertificateChecks.h"

#include <algorithm>
#include <system_error>

#include "pki/CertificateFacts.h"
#include "pki/PemFiles.h"
#include "pki/ProfileMatch.h"
#include "signers/OpenSslError.h"
#include "signers/OpenSslPem.h"

namespace csrop::pki {

namespace fs = std::filesystem;

std::optional<std::string> verifyChain(X509* leaf, X509* ca, bool checkTime) {
  const signers::X509StorePtr store(X509_STORE_new());
  const signers::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), ca) != 1) return signers::withOpenSslErrors("cannot set up chain verification");
  // The CA may be an intermediate under an offline root: trusting it alone is what the cluster does.
  X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN | (checkTime ? 0 : X509_V_FLAG_NO_CHECK_TIME));
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr) != 1)
    return signers::withOpenSslErrors("cannot set up chain verification");
  if (X509_verify_cert(ctx.get()) == 1) return std::nullopt;
  signers::drainOpenSslErrors();
  return std::string("chain does not verify against the CA: ") + X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

namespace {

void checkUsages(const CertProfile& p, const CertificateFacts& f, const CertificateCheck& check, std::vector<std::string>& out) {
  if (f.isCa) out.push_back("is a CA certificate (BasicConstraints CA:TRUE)");
  if (!f.hasKeyUsage) out.push_back("has no KeyUsage extension");
  if (!f.digitalSignature) out.push_back("KeyUsage lacks digitalSignature");
  if (f.rsaKey && !f.keyEncipherment) out.push_back("KeyUsage lacks keyEncipherment (RSA key)");
  if (f.certSign) out.push_back("KeyUsage has keyCertSign");
  bool wantServer = p.kind != CertKind::Client, wantClient = p.kind != CertKind::Server;
  if (wantServer != f.serverAuth)
    out.push_back(wantServer ? "ExtKeyUsage lacks serverAuth" : "ExtKeyUsage has serverAuth, expected client only");
  if (wantClient != f.clientAuth)
    out.push_back(wantClient ? "ExtKeyUsage lacks clientAuth" : "ExtKeyUsage has clientAuth, expected server only");
  for (const auto& other : f.otherExtKeyUsages) out.push_back("unexpected ExtKeyUsage " + other);
  if (check.checkValidity) {
    if (f.notAfter <= check.now) out.push_back("expired");
    if (f.notBefore > check.now) out.push_back("not valid yet");
  }
}

void checkKey(const PkiTree& tree, const CertProfile& p, const InstalledCertificate& installed, std::vector<std::string>& out) {
  X509* cert = installed.cert.get();
  if (p.storage == Storage::PkiFiles) {
    fs::path keyPath = tree.keyPath(p);
    std::error_code ec;
    if (!fs::exists(keyPath, ec)) return out.push_back(tree.display(keyPath) + " is missing");
    auto key = loadPrivateKeyFile(keyPath, tree.display(keyPath));
    if (!key) return out.push_back(key.error());
    if (!signers::samePublicKey(key.value().get(), X509_get0_pubkey(cert))) {
      out.push_back(tree.display(keyPath) + " does not belong to " + installed.shownAs);
    }
    return;
  }
  if (installed.clientKeyPem.empty()) return out.push_back(installed.shownAs + " has no client-key-data");
  auto key = parsePrivateKey(installed.clientKeyPem, installed.shownAs + " client-key-data");
  if (!key) return out.push_back(key.error());
  if (!signers::samePublicKey(key.value().get(), X509_get0_pubkey(cert))) {
    out.push_back(installed.shownAs + " client-key-data does not belong to its client-certificate-data");
  }
}

}  // namespace

std::vector<std::string> certificateDeviations(const PkiTree& tree, const CertProfile& p, const InstalledCertificate& installed,
                                               const CertificateCheck& check) {
  std::vector<std::string> out;
  X509* cert = installed.cert.get();
  auto f = certificateFacts(cert);
  const CaProfile& ca = caProfile(p.ca);

  if (check.trustedCa == nullptr) {
    out.push_back("cannot check the issuer: the " + ca.name + " certificate is missing or unreadable");
  } else {
    auto caFacts = certificateFacts(check.trustedCa);
    if (f.issuer != caFacts.subject)
      out.push_back("issued by \"" + f.issuer + "\", expected " + ca.name + " (\"" + caFacts.subject + "\")");
    if (auto e = verifyChain(cert, check.trustedCa, check.checkValidity)) out.push_back(*e);
  }
  if (auto e = checkCommonName(p, f.commonName)) out.push_back(*e);
  if (auto e = checkOrganizations(p, f.organizations)) out.push_back(*e);
  if (auto e = checkSanTypes(p, f.dnsNames, f.ipAddresses.size(), f.emails, f.uris)) out.push_back(*e);
  for (const auto& d : p.requiredDnsSans) {
    if (std::find(f.dnsNames.begin(), f.dnsNames.end(), d) == f.dnsNames.end()) out.push_back("DNS SAN \"" + d + "\" is missing");
  }
  for (const auto& ip : p.requiredIpSans) {
    if (std::find(f.ipAddresses.begin(), f.ipAddresses.end(), ip) == f.ipAddresses.end()) out.push_back("IP SAN " + ip + " is missing");
  }
  checkUsages(p, f, check, out);
  checkKey(tree, p, installed, out);
  if (p.storage == Storage::Kubeconfig && check.trustedCa != nullptr) {
    if (installed.clusterCaPem.empty())
      out.push_back(installed.shownAs + " has no certificate-authority-data");
    else if (auto embedded = parseCertificate(installed.clusterCaPem, "certificate-authority-data");
             !embedded || X509_cmp(embedded.value().get(), check.trustedCa) != 0) {
      out.push_back(installed.shownAs + " certificate-authority-data is not " + tree.display(tree.treeCaCertPath(ca)));
    }
  }
  return out;
}

}  // namespace csrop::pki
