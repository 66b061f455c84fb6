// The signer policy a podCertificates.signers entry becomes. Its own unit because the configuration
// loader validates it at load, and the loader (also built into the fuzz targets) must not pull in
// the pod-certificate controller.
#pragma once

#include "controller/Config.h"
#include "signers/PodCertificate.h"

namespace csrop {

signers::PodCertificatePolicy podCertificatePolicy(const PodCertificateSignerConfig& config);

}  // namespace csrop
