// The configuration file (controller/ConfigLoader): any text is either a Config or a
// ConfigFileError ("file:line: path problem; fix"). Any other exception would reach main as an
// unexplained failure, so it counts as a finding. An accepted file also passes through the
// cross-field rules and warnings the start runs.
#include <exception>
#include <string>

#include "controller/ConfigLoader.h"
#include "tests/fuzz/FuzzSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = (fuzz::quietLogs(), true);
  (void)quiet;
  const std::string text(fuzz::view(data, size));
  try {
    const csrop::Config config = csrop::parseConfigText(text, "fuzz.yaml");
    csrop::validateConfig(config, "fuzz.yaml");
  } catch (const csrop::ConfigFileError& e) {
    fuzz::require(std::string_view(e.what()).starts_with("fuzz.yaml"), "a configuration error names the file");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "escaped: %s\n", e.what());
    fuzz::fail("only ConfigFileError leaves parseConfigText/validateConfig");
  }
  return 0;
}
