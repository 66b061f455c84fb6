// The commands of the csr-operator binary, from argv to the exit code: usage errors, help, version,
// completion, check-config (the file, then what run checks at start: StartChecks.h), explain
// (ExplainCommand.h, which has its own exit codes) and pki are answered here; `run` (the controller,
// which needs the process: signals, logging) is the caller's. Exit codes: 0 success, 1 a refused
// configuration or a failure, 2 a usage error (one line and the command's --help, never the whole usage).
#pragma once

#include "controller/CommandLine.h"

#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace csrop {

using RunCommand = std::function<int(const CommandLine&)>;

int runCommandLine(const std::vector<std::string>& args, const Environment& environment, std::ostream& out, std::ostream& err,
                   const RunCommand& run);

}  // namespace csrop
