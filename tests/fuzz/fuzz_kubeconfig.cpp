// k8s::loadKubeConfig on a file from disk: the input's first part is the kubeconfig, the others
// are files "f1", "f2", ... next to it, so relative certificate-authority / client-certificate /
// client-key / tokenFile paths reach real content. Anything wrong is a ConfigError naming the
// file; any other exception is a finding.
#include <exception>
#include <string>

#include "k8sclient/KubeConfigLoader.h"
#include "tests/fuzz/FuzzSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = (fuzz::quietLogs(), true);
  (void)quiet;
  static const fuzz::ScratchDir dir;
  const auto parts = fuzz::split(fuzz::view(data, size));
  const std::string path = dir.write("kubeconfig", parts[0]);
  for (std::size_t i = 1; i < parts.size(); ++i) dir.write("f" + std::to_string(i), parts[i]);
  try {
    (void)k8s::loadKubeConfig(path);
  } catch (const k8s::ConfigError& e) {
    fuzz::require(e.file() == path, "a kubeconfig error names the kubeconfig");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "escaped: %s\n", e.what());
    fuzz::fail("only ConfigError leaves loadKubeConfig");
  }
  for (std::size_t i = 1; i < parts.size(); ++i) std::filesystem::remove(dir.path() / ("f" + std::to_string(i)));
  return 0;
}
