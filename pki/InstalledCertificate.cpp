#include "pki/InstalledCertificate.h"

#include <system_error>

#include "pki/KubeconfigEmbed.h"
#include "pki/PemFiles.h"

namespace csrop::pki {

InstalledCertificate loadInstalled(const PkiTree& tree, const CertProfile& profile) {
  InstalledCertificate out;
  auto path = tree.certPath(profile);
  out.shownAs = tree.display(path);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return out;
  using S = InstalledCertificate::State;
  // Either the parsed certificate, or the file marked Invalid with the parser's reason.
  auto settle = [&out](auto&& cert) {
    if (!cert) {
      out.state = S::Invalid;
      out.error = cert.error();
    } else {
      out.cert = std::move(cert.value());
      out.state = S::Present;
    }
    return std::move(out);
  };
  if (profile.storage == Storage::PkiFiles) return settle(loadCertificateFile(path, out.shownAs));
  auto creds = readKubeconfigFile(path, out.shownAs);
  if (!creds) {
    out.state = S::Invalid;
    out.error = creds.error();
    return out;
  }
  out.clientKeyPem = creds.value().clientKeyPem;
  out.clusterCaPem = creds.value().caPem;
  if (creds.value().clientCertPem.empty()) return out;  // a kubeconfig still waiting for its certificate
  return settle(parseCertificate(creds.value().clientCertPem, out.shownAs + " client-certificate-data"));
}

}  // namespace csrop::pki
