// `csr-operator pki ...`: offline signing and checking of a kubeadm PKI tree.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace csrop {

// One pki subcommand as the help and the shell completion show it.
struct PkiSubcommand {
  std::string name;                // "init", "kubeconfig user"
  std::vector<std::string> flags;  // "--dir", ..., for completion
};
std::vector<PkiSubcommand> pkiSubcommands();

// args: everything after "pki". Help goes to out; a usage error is one line naming what is wrong
// and the subcommand's --help, on err, with exit code 2. Returns the process exit code.
int runPkiCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace csrop
