// `--set path=value` overrides (controller/ConfigLoader): each input line is one override, split
// at its first '=' like the command line does, applied to a small valid file. As for the file
// itself, the only exception allowed out is ConfigFileError.
#include <exception>
#include <string>
#include <vector>

#include "controller/ConfigLoader.h"
#include "tests/fuzz/FuzzSupport.h"

namespace {

constexpr const char* kBase = R"(workers: 2
approver:
  kubeletServing:
    allowedCIDRs: [10.0.0.0/8]
signers:
  list:
    - signerName: kubernetes.io/kubelet-serving
)";

std::vector<csrop::ConfigOverride> overridesOf(std::string_view input) {
  std::vector<csrop::ConfigOverride> out;
  while (!input.empty() && out.size() < 16) {
    const auto nl = input.find('\n');
    const std::string_view line = input.substr(0, nl);
    input.remove_prefix(nl == std::string_view::npos ? input.size() : nl + 1);
    const auto eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;  // refused by the command line (CommandLine.cpp)
    out.push_back({std::string(line.substr(0, eq)), std::string(line.substr(eq + 1))});
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = (fuzz::quietLogs(), true);
  (void)quiet;
  const auto overrides = overridesOf(fuzz::view(data, size));
  try {
    const csrop::Config config = csrop::parseConfigText(kBase, "fuzz.yaml", overrides);
    csrop::validateConfig(config, "fuzz.yaml");
  } catch (const csrop::ConfigFileError&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "escaped: %s\n", e.what());
    fuzz::fail("only ConfigFileError leaves parseConfigText/validateConfig with overrides");
  }
  return 0;
}
