#include "tests/support/SoftHsm.h"

#include <cstdlib>
#include <stdexcept>

namespace testpki {
namespace {

void run(const std::string& command) {
  const auto [status, output] = runCommand(command);
  if (status != 0) throw std::runtime_error("`" + command + "` failed: " + output);
}

}  // namespace

SoftHsm::SoftHsm() : conf_(dir_.path() / "softhsm2.conf"), tokens_(dir_.path() / "tokens"), away_(dir_.path() / "unplugged") {
  std::filesystem::create_directories(tokens_);
  std::filesystem::create_directories(away_);
  dir_.write("softhsm2.conf", "directories.tokendir = " + tokens_.string() + "\nobjectstore.backend = file\nlog.level = ERROR\n");
  setenv("SOFTHSM2_CONF", conf_.c_str(), 1);
}

SoftHsm::~SoftHsm() { unsetenv("SOFTHSM2_CONF"); }

void SoftHsm::initToken(const std::string& label, const std::string& pin) {
  run(env() + " softhsm2-util --init-token --free --label '" + label + "' --so-pin 0000-so --pin '" + pin + "'");
}

void SoftHsm::importKey(const std::string& tokenLabel, EVP_PKEY* key, const std::string& objectLabel, const std::string& idHex,
                        const std::string& pin) {
  const std::string file = dir_.write("import-" + objectLabel + ".pem", keyPem(key));
  importKeyFile(tokenLabel, file, objectLabel, idHex, pin);
  std::filesystem::remove(file);
}

void SoftHsm::importKeyFile(const std::string& tokenLabel, const std::string& pemFile, const std::string& objectLabel,
                            const std::string& idHex, const std::string& pin) {
  run(env() + " softhsm2-util --import '" + pemFile + "' --token '" + tokenLabel + "' --label '" + objectLabel + "' --id " + idHex +
      " --pin '" + pin + "'");
}

std::string SoftHsm::pinFile(const std::string& pin) const { return dir_.write("pin", pin + "\n"); }

void SoftHsm::unplug() {
  for (const auto& entry : std::filesystem::directory_iterator(tokens_))
    std::filesystem::rename(entry.path(), away_ / entry.path().filename());
}

void SoftHsm::plug() {
  for (const auto& entry : std::filesystem::directory_iterator(away_))
    std::filesystem::rename(entry.path(), tokens_ / entry.path().filename());
}

}  // namespace testpki
