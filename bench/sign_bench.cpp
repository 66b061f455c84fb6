// In-process issuance throughput: parse + verify a P-256 request, validate, build and sign, PEM.
// Usage: sign_bench [cpu-seconds-per-CA] [rsa2048|ecdsap256|both|pod|token]
// Output: one "ca=<type> certs_per_sec=<n per CPU second>" line per CA. "pod": the same P-256 CA
// issuing PodCertificateRequests (signers/PodCertificate.h) next to the CSR path, one
// "pod=<form> ca=ecdsap256 certs_per_sec=<n>" line per request form, P-256 keys. "token": each CA
// type with its key in a file and on a SoftHSM2 token (PKCS#11), 1 and 4 signing threads (the
// operator's workers share the token key's session pool), one
// "key=<file|token> ca=<type> threads=<n> wall_certs_per_sec=<n>" line each.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/SoftHsm.h"
#include "tests/support/TestPki.h"
#include "signers/FileCaSigner.h"
#include "signers/PodCertificate.h"
#include "signers/Profiles.h"

using namespace signers;
using namespace testpki;

namespace {

// CPU time of this process: `openssl speed` divides by user CPU time too, so both sides stay
// comparable when other processes share the cores.
// Distinct keys per request so nothing about one request's key is reused for the next.
std::vector<IssueRequest> servingRequests() {
  std::vector<IssueRequest> requests;
  for (int i = 0; i < 256; ++i) {
    EvpPkeyPtr key = freshKey(KeyKind::P256);
    auto o = nodeServingCsr("node-" + std::to_string(i));
    o.keyOverride = key.get();
    requests.push_back(IssueRequest{makeCsr(o), kKubeletServingSigner, {"digital signature", "server auth"}, 86400});
  }
  return requests;
}

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
  const auto requests = servingRequests();
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

// PodCertificateSigner::issue over 256 distinct P-256 keys: v1 requests carry a stub PKCS#10
// (one verification of its signature), v1beta1 ones a key and a proof over the pod UID (one
// verification of the proof); then one CA signature, as on the CSR path.
void runPod(const char* form, bool stub, double seconds) {
  TempDir dir;
  TestCa ca = makeCa({});
  CaFiles files;
  files.certFile = dir.write("ca.crt", ca.certPem());
  files.keyFile = dir.write("ca.key", keyPem(ca.key.get()));
  PodCertificatePolicy policy;
  policy.signerName = "example.com/pods";
  policy.trustDomain = "cluster.example.com";
  policy.allowedNamespaces = {"bench"};
  policy.dnsNameTemplates = {"{serviceAccount}.{namespace}.svc"};
  auto signer = createPodCertificateSigner(policy, files);
  if (!signer) {
    std::fprintf(stderr, "%s\n", signer.error().c_str());
    std::exit(1);
  }
  std::vector<PodCertificateRequestFacts> requests;
  for (int i = 0; i < 256; ++i) {
    auto key = freshKey(KeyKind::P256);
    PodCertificateRequestFacts r;
    r.namespaceName = "bench";
    r.name = "req-" + std::to_string(i);
    r.signerName = policy.signerName;
    r.podName = "pod-" + std::to_string(i);
    r.podUID = "00000000-0000-4000-8000-" + std::to_string(100000000000 + i);
    r.serviceAccountName = "sa-" + std::to_string(i % 16);
    r.serviceAccountUID = "sa-uid-" + std::to_string(i % 16);
    r.nodeName = "node-" + std::to_string(i % 64);
    r.nodeUID = "node-uid-" + std::to_string(i % 64);
    if (stub) {
      r.stubPkcs10Der = stubPkcs10Der(key.get());
    } else {
      r.pkixPublicKeyDer = publicKeyDer(key.get());
      r.proofOfPossession = proofOfPossession(key.get(), r.podUID);
    }
    requests.push_back(std::move(r));
  }
  const auto issueOne = [&](long n) {
    auto out = signer.value()->issue(requests[static_cast<std::size_t>(n) % requests.size()], std::chrono::system_clock::now());
    auto* issued = std::get_if<PodCertificateIssued>(&out);
    if (issued == nullptr) {
      std::fprintf(stderr, "pod certificate not issued (%s)\n",
                   std::holds_alternative<PodCertificateRefused>(out) ? std::get<PodCertificateRefused>(out).message.c_str()
                                                                      : std::get<PodCertificateRetry>(out).message.c_str());
      std::exit(1);
    }
    return issued->certificateChainPem.size();
  };
  for (int i = 0; i < 200; ++i) issueOne(i);
  double cpuStart = cpuSeconds();
  long issued = 0;
  std::size_t bytes = 0;
  while (cpuSeconds() - cpuStart < seconds) {
    for (int batch = 0; batch < 64; ++batch) bytes += issueOne(issued++);
  }
  double cpu = cpuSeconds() - cpuStart;
  std::printf("pod=%s ca=ecdsap256 certs_per_sec=%.1f issued=%ld cpu_seconds=%.2f avg_pem_bytes=%zu\n", form,
              static_cast<double>(issued) / cpu, issued, cpu, bytes / static_cast<std::size_t>(issued));
}

}  // namespace

// Wall-clock issuance rate of `threads` threads sharing one signer for `seconds`: what the
// operator's workers get, where a token key's sessions, not the CPU, may be the limit.
void runToken(KeyKind caKind, const char* label, double seconds) {
  TempDir dir;
  TestCa ca = makeCa({.key = caKind});
  SoftHsm hsm;
  hsm.initToken("bench-ca");
  hsm.importKey("bench-ca", ca.key.get(), "ca");
  const auto requests = servingRequests();
  for (const bool onToken : {false, true}) {
    for (const int threads : {1, 4}) {
      SignerConfig config;
      config.signerName = kKubeletServingSigner;
      config.caCertFile = dir.write("ca.crt", ca.certPem());
      if (onToken) {
        config.caKeyFile = "pkcs11:token=bench-ca;object=ca";
        config.caKeyPinFile = hsm.pinFile();
        config.pkcs11Module = SoftHsm::kModule;
        config.pkcs11Sessions = threads;
      } else {
        config.caKeyFile = dir.write("ca.key", keyPem(ca.key.get()));
      }
      auto signer = FileCaSigner::create(config);
      if (!signer) {
        std::fprintf(stderr, "%s\n", signer.error().c_str());
        std::exit(1);
      }
      std::atomic<long> issued{0};
      std::atomic<bool> failed{false};
      const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
      std::vector<std::thread> workers;
      for (int t = 0; t < threads; ++t)
        workers.emplace_back([&, t] {
          for (std::size_t n = static_cast<std::size_t>(t); std::chrono::steady_clock::now() < until; n += 7) {
            auto out = signer.value()->issue(requests[n % requests.size()], std::chrono::system_clock::now());
            if (!std::holds_alternative<IssuedCertificate>(out)) {
              std::fprintf(stderr, "issue failed: %s\n", std::get<IssueError>(out).message.c_str());
              failed = true;
              return;
            }
            ++issued;
          }
        });
      for (auto& w : workers) w.join();
      if (failed) std::exit(1);
      std::printf("key=%s ca=%s threads=%d wall_certs_per_sec=%.1f issued=%ld\n", onToken ? "token" : "file", label, threads,
                  static_cast<double>(issued) / seconds, issued.load());
    }
  }
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  std::string which = argc > 2 ? argv[2] : "both";
  if (which == "both" || which == "rsa2048") run(KeyKind::Rsa2048, "rsa2048", seconds);
  if (which == "both" || which == "ecdsap256" || which == "pod") run(KeyKind::P256, "ecdsap256", seconds);
  if (which == "token") {
    runToken(KeyKind::Rsa2048, "rsa2048", seconds);
    runToken(KeyKind::P256, "ecdsap256", seconds);
  }
  if (which == "pod") {
    runPod("v1-stub-p256", true, seconds);
    runPod("v1beta1-proof-p256", false, seconds);
  }
  return 0;
}
