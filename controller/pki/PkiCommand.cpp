#include "controller/pki/PkiCommand.h"

#include <iostream>

namespace csrop {

int runPkiCommand(const std::vector<std::string>& args) {
  std::cerr << "csr-operator pki: no pki subcommand is available in this build"
            << (args.empty() ? "" : " (asked for '" + args.front() + "')") << "\n";
  return 2;
}

}  // namespace csrop
