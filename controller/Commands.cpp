#include "controller/Commands.h"

#include "controller/ConfigLoader.h"
#include "controller/ExplainCommand.h"
#include "controller/StartChecks.h"
#include "pki/PkiCommand.h"

namespace csrop {
namespace {

int usageError(std::ostream& err, const std::string& what, const std::string& command) {
  err << "csr-operator: " << what << "\nsee 'csr-operator " << (command.empty() ? "" : command + " ") << "--help'\n";
  return 2;
}

int help(std::vector<std::string> topic, std::ostream& out, std::ostream& err) {
  // `help --help` is help's own help.
  if (!topic.empty() && (topic[0] == "--help" || topic[0] == "-h")) topic = {"help"};
  if (!topic.empty() && topic[0] == "pki") {
    std::vector<std::string> args(topic.begin() + 1, topic.end());
    args.push_back("--help");
    return runPkiCommand(args, out, err);
  }
  if (topic.size() > 1) return usageError(err, "help takes one command; got '" + topic[1] + "'", "help");
  const auto text = helpText(topic.empty() ? "" : topic[0]);
  if (!text) return usageError(err, "no such command '" + topic[0] + "'", "");
  out << *text;
  return 0;
}

}  // namespace

int runCommandLine(const std::vector<std::string>& args, const Environment& environment, std::ostream& out, std::ostream& err,
                   const RunCommand& run) {
  try {
    const CommandLine cli = parseCommandLine(args, environment);
    if (cli.command == "help") return help(cli.rest, out, err);
    if (cli.command == "version") {
      out << versionText();
      return 0;
    }
    if (cli.command == "completion") {
      out << completionScript(cli.rest.at(0));
      return 0;
    }
    if (cli.command == "pki") return runPkiCommand(cli.rest, out, err);
    if (cli.command == "explain") return runExplain(cli, out, err);
    if (cli.command == "check-config") {
      const Config config = loadConfigFile(cli.configFile, cli.overrides);
      for (const auto& w : cli.warnings) err << "csr-operator: warning: " << w << "\n";
      const auto problems = cli.configOnly ? std::vector<std::string>{} : startProblems(config);
      for (const auto& p : problems) err << "csr-operator: " << cli.configFile << ": " << p << "\n";
      if (!problems.empty()) return 1;
      out << "configuration " << cli.configFile << " is valid\n" << describeConfig(config) << "\n";
      return 0;
    }
    return run(cli);
  } catch (const UsageError& e) {
    return usageError(err, e.what(), e.command());
  } catch (const std::exception& e) {
    err << "csr-operator: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace csrop
