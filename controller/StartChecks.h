// What run refuses at start beyond the file itself, checked without a cluster so that check-config
// finds it too: every CA of signers.list and podCertificates.signers loaded exactly as its signer
// loads it (the files exist and parse, the certificate is a CA and valid now, the key matches it, a
// custom signer's profile is complete and compiles), and the Machine API's kubeconfig read.
#pragma once

#include "controller/Config.h"

#include <string>
#include <vector>

namespace csrop {

// Every problem, in the order of the file, each naming the signer (or key) and the fix; empty: run
// would start with this configuration as far as can be known without the API server.
std::vector<std::string> startProblems(const Config& config);

}  // namespace csrop
