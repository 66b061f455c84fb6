// signers::CertificateAuthority::load from files: the input's parts are the CA certificate file,
// the CA key file and an optional chain file. A CA that loads must hold a key matching its
// certificate and be able to sign.
#include <chrono>
#include <string>

#include "signers/CertificateAuthority.h"
#include "tests/fuzz/FuzzSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = (fuzz::quietLogs(), true);
  (void)quiet;
  static const fuzz::ScratchDir dir;
  const auto parts = fuzz::split(fuzz::view(data, size));
  signers::CaFiles files;
  files.certFile = dir.write("ca.crt", parts[0]);
  files.keyFile = dir.write("ca.key", parts.size() > 1 ? parts[1] : std::string_view());
  if (parts.size() > 2) files.chainFiles.push_back(dir.write("chain.crt", parts[2]));
  // A fixed instant inside the seed CAs' validity, so the corpus replays the same way every year.
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1893456000));  // 2030-01-01
  const auto ca = signers::CertificateAuthority::load(files, now);
  if (!ca) {
    fuzz::require(ca.error().find(dir.path().string()) != std::string::npos, "a CA error names the file");
    return 0;
  }
  const unsigned char tbs[] = {0x30, 0x00};
  fuzz::require(static_cast<bool>(ca.value()->sign(tbs, sizeof tbs)), "a loaded CA signs");
  return 0;
}
