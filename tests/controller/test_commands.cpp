// The binary's commands from argv to exit code and output (controller/Commands.h), without a process.
#include "controller/BuildInfo.h"
#include "controller/Commands.h"
#include "pki/PkiCommand.h"
#include "tests/controller/FakeEnvironment.h"

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace {

struct Outcome {
  int code;
  std::string out, err;
};

Outcome runArgs(const std::vector<std::string>& args) {
  const configtest::FakeEnvironment none;
  std::ostringstream out, err;
  const int code = csrop::runCommandLine(args, none, out, err, [](const csrop::CommandLine&) { return 42; });
  return {code, out.str(), err.str()};
}

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Runs bash with the completion script sourced and COMP_WORDS set to `line` (the last word is the one
// being completed, "" for a new word); the words bash would offer.
std::string bashCompletes(const std::vector<std::string>& line) {
  const auto dir = std::filesystem::temp_directory_path() / ("csrop-completion-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream script(dir / "completion.bash");
    script << csrop::completionScript("bash");
  }
  std::string words = "csr-operator";
  for (const auto& w : line) words += " \"" + w + "\"";
  const std::string command = "cd '" + dir.string() + "' && bash -c 'source completion.bash; COMP_WORDS=(" + words +
                              "); COMP_CWORD=" + std::to_string(line.size()) + "; _csr_operator; printf \"%s \" \"${COMPREPLY[@]}\"' 2>&1";
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  ::pclose(pipe);
  std::filesystem::remove_all(dir);
  return output;
}

}  // namespace

TEST_CASE("commands: --help of csr-operator, every command and every pki subcommand exits 0 and prints its usage") {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--help"}, {"-h"}, {"help"}}) {
    const auto r = runArgs(args);
    CHECK(r.code == 0);
    CHECK(r.out.find("Usage: csr-operator <command>") != std::string::npos);
    CHECK(r.err.empty());
  }
  for (const std::string command : {"run", "check-config", "explain", "pki", "completion", "version", "help"}) {
    CAPTURE(command);
    for (const auto& args : std::vector<std::vector<std::string>>{{command, "--help"}, {command, "-h"}, {"help", command}}) {
      const auto r = runArgs(args);
      CHECK(r.code == 0);
      CHECK(r.out.find("Usage: csr-operator " + command) != std::string::npos);
      CHECK(r.err.empty());
    }
  }
  // Whatever else the line holds, even a mistake, --help wins (as cobra and kubectl do it).
  CHECK(runArgs({"run", "--frobnicate", "--help"}).code == 0);
  for (const auto& sub : csrop::pkiSubcommands()) {
    CAPTURE(sub.name);
    auto args = words("pki " + sub.name + " --help");
    const auto r = runArgs(args);
    CHECK(r.code == 0);
    CHECK(r.out.rfind("Usage: csr-operator pki " + sub.name, 0) == 0);
    auto viaHelp = words("help pki " + sub.name);
    CHECK(runArgs(viaHelp).out == r.out);
  }
}

TEST_CASE("commands: the help of run lists every flag the parser takes, with its key and variable") {
  const auto help = runArgs({"run", "--help"}).out;
  for (const std::string flag : {"--config FILE", "--set PATH=VALUE", "--workers VALUE", "--leader-elect, --leader-election[=true|false]",
                                 "--provider-ip-prefixes A,B,..."})
    CHECK(help.find(flag) != std::string::npos);
  CHECK(help.find("client.qps; CSR_OPERATOR_KUBE_API_QPS") != std::string::npos);
  CHECK(runArgs({"check-config", "--help"}).out.find("--max-expiration-sec VALUE") != std::string::npos);
}

TEST_CASE("commands: a usage error is one line naming the mistake and the command's --help, exit 2") {
  struct Case {
    std::vector<std::string> args;
    std::string err;
  };
  const std::vector<Case> cases = {
      {{}, "csr-operator: no command given\nsee 'csr-operator --help'\n"},
      {{"serve"}, "csr-operator: unknown command 'serve'\nsee 'csr-operator --help'\n"},
      {{"run", "--config", "c.yaml", "--frobnicate"}, "csr-operator: unknown flag '--frobnicate' for run\nsee 'csr-operator run --help'\n"},
      {{"check-config", "--config"}, "csr-operator: --config needs a value\nsee 'csr-operator check-config --help'\n"},
      {{"run"}, "csr-operator: run needs --config FILE (or CSR_OPERATOR_CONFIG)\nsee 'csr-operator run --help'\n"},
      {{"run", "--config", "c.yaml", "extra"}, "csr-operator: unexpected argument 'extra' for run\nsee 'csr-operator run --help'\n"},
      {{"run", "--config", "c.yaml", "--set", "gc.enabled"},
       "csr-operator: --set expects path=value, e.g. --set approver.kubeletServing.maxDNSNames=3; got 'gc.enabled'\n"
       "see 'csr-operator run --help'\n"},
      {{"version", "now"}, "csr-operator: version takes no arguments; got 'now'\nsee 'csr-operator version --help'\n"},
      {{"completion"}, "csr-operator: completion takes one shell: bash or zsh\nsee 'csr-operator completion --help'\n"},
      {{"completion", "fish"}, "csr-operator: completion: unknown shell 'fish'; write bash or zsh\nsee 'csr-operator completion --help'\n"},
      {{"help", "serve"}, "csr-operator: no such command 'serve'\nsee 'csr-operator --help'\n"},
      {{"pki"}, "csr-operator pki: no command given\nsee 'csr-operator pki --help'\n"},
      {{"pki", "frob"}, "csr-operator pki: unknown pki command \"frob\"\nsee 'csr-operator pki --help'\n"},
      {{"pki", "kubeconfig"},
       "csr-operator pki: unknown pki command \"kubeconfig\" (did you mean kubeconfig user?)\nsee 'csr-operator pki --help'\n"},
      {{"pki", "sign", "--dir", "/x", "--frob"}, "csr-operator pki sign: unknown flag --frob\nsee 'csr-operator pki sign --help'\n"},
      {{"pki", "check-expiration", "--warn-within", "soon"},
       "csr-operator pki check-expiration: invalid duration \"soon\": a number must come before each unit (at \"soon\") (examples: 30d, "
       "720h, 1h30m)\nsee 'csr-operator pki check-expiration --help'\n"},
      {{"pki", "kubeconfig", "user", "--client-name"},
       "csr-operator pki kubeconfig user: --client-name needs a value\nsee 'csr-operator pki kubeconfig user --help'\n"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.args.empty() ? "" : c.args[0]);
    const auto r = runArgs(c.args);
    CHECK(r.code == 2);
    CHECK(r.err == c.err);
    CHECK(r.out.empty());
  }
}

TEST_CASE("commands: a refused configuration exits 1 with the reader's message, run is the caller's") {
  const auto missing = runArgs({"check-config", "--config", "/nonexistent/c.yaml"});
  CHECK(missing.code == 1);
  CHECK(missing.err == "csr-operator: /nonexistent/c.yaml: cannot read the configuration file; check the path given to --config\n");
  CHECK(runArgs({"run", "--config", "c.yaml"}).code == 42);
}

TEST_CASE("commands: --version and version print the version and the commit") {
  const auto r = runArgs({"--version"});
  CHECK(r.code == 0);
  CHECK(r.out == "csr-operator " + std::string(csrop::buildVersion()) + " (commit " + std::string(csrop::buildCommit()) + ")\n");
  CHECK(runArgs({"version"}).out == r.out);
  CHECK(std::regex_match(std::string(csrop::buildVersion()), std::regex("[0-9]+\\.[0-9]+\\.[0-9]+")));
  CHECK(std::regex_match(std::string(csrop::buildCommit()), std::regex("[0-9a-f]{12}|unknown")));
}

TEST_CASE("commands: bash completion offers the commands, each command's flags and pki's subcommands") {
  CHECK(runArgs({"completion", "bash"}).code == 0);
  CHECK(bashCompletes({"ch"}) == "check-config ");
  CHECK(bashCompletes({"--v"}) == "--version ");
  CHECK(bashCompletes({"run", "--kube-api-"}) == "--kube-api-qps --kube-api-burst ");
  CHECK(bashCompletes({"check-config", "--max-exp"}) == "--max-expiration-sec ");
  CHECK(bashCompletes({"ex"}) == "explain ");
  CHECK(bashCompletes({"explain", "--no"}) == "--node ");
  CHECK(bashCompletes({"pki", "ch"}) == "check-expiration ");
  CHECK(bashCompletes({"pki", "renew", "--new"}) == "--new-key ");
  CHECK(bashCompletes({"pki", "init", "--key-"}) == "--key-type --key-uri ");
  CHECK(bashCompletes({"pki", "kubeconfig", "user", "--allow"}) == "--allow-system-masters ");
  CHECK(bashCompletes({"completion", ""}) == "bash zsh ");
  // A value after a flag is left to bash's file name completion (-o default): nothing offered.
  CHECK(bashCompletes({"run", "--config", ""}) == " ");
}

TEST_CASE("commands: zsh completion has the same words as bash's") {
  const auto zsh = runArgs({"completion", "zsh"});
  CHECK(zsh.code == 0);
  CHECK(zsh.out.rfind("#compdef csr-operator\n", 0) == 0);
  CHECK(zsh.out.find("compdef _csr_operator csr-operator") != std::string::npos);
  CHECK(zsh.out.find("      renew) flags_=(--ca-dir --ca-key --ca-key-pin-file --cert-dir --dir --kubeconfig-dir --pkcs11-module "
                     "--validity-period --dry-run --new-key --help) ;;") != std::string::npos);
  CHECK(zsh.out.find("      init) flags_=(--ca-key-pin-file --days --dir --key-type --key-uri --pkcs11-module --root-ca --root-key "
                     "--help) ;;") != std::string::npos);
  CHECK(zsh.out.find("      run) flags_=(--config --kubeconfig --context --set --logging-format --log-level") != std::string::npos);
  CHECK(zsh.out.find("      explain) flags_=(--file --node --output --timeout --config --kubeconfig") != std::string::npos);
}
