#include "controller/StartChecks.h"

#include "controller/PodCertificatePolicy.h"
#include "k8sclient/KubeConfigLoader.h"
#include "signers/FileCaSigner.h"
#include "signers/PodCertificate.h"

namespace csrop {

std::vector<std::string> startProblems(const Config& config) {
  std::vector<std::string> problems;
  // The signers run would start (signers::SignerSet::load creates each the same way).
  for (const auto& c : config.signers)
    if (auto signer = signers::FileCaSigner::create(c); !signer) problems.push_back(signer.error());
  for (const auto& c : config.podCertificates.signers) {
    auto signer =
        signers::createPodCertificateSigner(podCertificatePolicy(c), {c.caCertFile, c.caKeyFile, c.caKeyPassphraseFile, c.chainFiles});
    if (!signer) problems.push_back("podCertificates signer " + c.signerName + " cannot start: " + signer.error());
  }
  const auto& ks = config.approver.kubeletServing;
  if (config.approver.enabled && ks.enabled && ks.addressSource == AddressSource::Machine && !ks.machineKubeconfig.empty()) {
    try {
      k8s::loadKubeConfig(ks.machineKubeconfig);
    } catch (const std::exception& e) {
      problems.push_back("approver.kubeletServing.machineKubeconfig: " + std::string(e.what()));
    }
  }
  return problems;
}

}  // namespace csrop
