// In-process issuance throughput: parse + verify a P-256 request, validate, build and sign, PEM.
// Usage: sign_bench [cpu-seconds-per-CA] [rsa2048|ecdsap256|both]
// Output: one "ca=<type> certs_per_sec=<n per CPU second>" line per CA.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/support/TestPki.h"
#include "signers/FileCaSigner.h"
#include "signers/Profiles.h"

using namespace signers;
using namespace testpki;

namespace {

// CPU time of this process: `openssl speed` divides by user CPU time too, so both sides stay
// comparable when other processes share the cores.
double cpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double run(KeyKind caKind, const char* label, double seconds) {
  TempDir dir;
  CaOptions co;
  co.key = caKind;
  TestCa ca = makeCa(co);
  SignerConfig config;
  config.signerName = kKubeletServingSigner;
  config.caCertFile = dir.write("ca.crt", ca.certPem());
  config.caKeyFile = dir.write("ca.key", keyPem(ca.key.get()));
  auto signer = FileCaSigner::create(config);
  if (!signer) {
    std::fprintf(stderr, "%s\n", signer.error().c_str());
    std::exit(1);
  }
  // Distinct keys per request so nothing about one request's key is reused for the next.
  std::vector<IssueRequest> requests;
  std::vector<EvpPkeyPtr> keys;
  for (int i = 0; i < 256; ++i) {
    keys.push_back(freshKey(KeyKind::P256));
    auto o = nodeServingCsr("node-" + std::to_string(i));
    o.keyOverride = keys.back().get();
    requests.push_back(IssueRequest{makeCsr(o), kKubeletServingSigner, {"digital signature", "server auth"}, 86400});
  }
  for (int i = 0; i < 200; ++i)
    (void)signer.value()->issue(requests[static_cast<std::size_t>(i) % requests.size()], std::chrono::system_clock::now());

  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  double cpuStart = cpuSeconds();
  long issued = 0;
  std::size_t bytes = 0;
  while (cpuSeconds() - cpuStart < seconds) {
    for (int batch = 0; batch < 64; ++batch) {
      auto out = signer.value()->issue(requests[static_cast<std::size_t>(issued) % requests.size()], std::chrono::system_clock::now());
      auto* cert = std::get_if<IssuedCertificate>(&out);
      if (cert == nullptr) {
        std::fprintf(stderr, "issue failed: %s\n", std::get<IssueError>(out).message.c_str());
        std::exit(1);
      }
      bytes += cert->pem.size();
      ++issued;
    }
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  double cpu = cpuSeconds() - cpuStart;
  double rate = static_cast<double>(issued) / cpu;
  std::printf("ca=%s certs_per_sec=%.1f issued=%ld cpu_seconds=%.2f wall_seconds=%.2f wall_rate=%.1f avg_pem_bytes=%zu\n", label, rate,
              issued, cpu, elapsed, static_cast<double>(issued) / elapsed, bytes / static_cast<std::size_t>(issued));
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  std::string which = argc > 2 ? argv[2] : "both";
  if (which == "both" || which == "rsa2048") run(KeyKind::Rsa2048, "rsa2048", seconds);
  if (which == "both" || which == "ecdsap256") run(KeyKind::P256, "ecdsap256", seconds);
  return 0;
}
