// `csr-operator pki ...`: offline signing and checking of a kubeadm PKI tree.
#pragma once

#include <string>
#include <vector>

namespace csrop {

// args: everything after "pki". Returns the process exit code.
int runPkiCommand(const std::vector<std::string>& args);

}  // namespace csrop
