// Fetches the certificate chain a TLS server presents, for RenewalContinuity. Nothing is verified
// here and nothing is sent after the handshake: the caller decides what the chain proves.
#pragma once

#include "signers/IpAddress.h"
#include "signers/Result.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace csrop {

class TlsDialer {
 public:
  virtual ~TlsDialer() = default;
  // DER certificates, leaf first. The whole dial (connect and handshake) ends within timeout.
  virtual signers::Result<std::vector<std::string>> peerChain(const signers::IpAddress& ip, uint16_t port,
                                                              std::chrono::milliseconds timeout) = 0;
};

// OpenSSL over a non-blocking socket, no SNI (the kubelet is dialled by IP, as the API server does).
class OpenSslTlsDialer : public TlsDialer {
 public:
  static constexpr std::size_t kMaxChainCertificates = 8;
  signers::Result<std::vector<std::string>> peerChain(const signers::IpAddress& ip, uint16_t port,
                                                      std::chrono::milliseconds timeout) override;
};

}  // namespace csrop
