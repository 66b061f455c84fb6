#pragma once
#include <memory>
#include <string>

#include "tests/support/TestPki.h"
#include "signers/FileCaSigner.h"

namespace testpki {

// A CA written to a temp dir and a Signer configured on it.
struct SignerFixture {
  TempDir dir;
  TestCa ca;
  std::string certFile, keyFile;
  std::unique_ptr<signers::FileCaSigner> signer;

  explicit SignerFixture(signers::SignerConfig config, CaOptions caOptions = {}) : ca(makeCa(caOptions)) {
    certFile = dir.write("ca.crt", ca.certPem());
    keyFile = dir.write("ca.key", keyPem(ca.key.get()));
    config.caCertFile = certFile;
    config.caKeyFile = keyFile;
    auto s = signers::FileCaSigner::create(config);
    if (!s) throw std::runtime_error(s.error());
    signer = std::move(s.value());
  }

  static signers::SignerConfig named(const std::string& name) {
    signers::SignerConfig c;
    c.signerName = name;
    return c;
  }
};

}  // namespace testpki
