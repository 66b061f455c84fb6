// A SoftHSM2 token store in a temporary folder, for tests of CA keys on PKCS#11 tokens: tokens
// initialised and keys imported with softhsm2-util (the device's own tool, as an operator would),
// SOFTHSM2_CONF pointing at it in this process (and env() for child processes), and unplug() /
// plug() to take every token away and bring it back, as an HSM restart or a pulled USB token does.
#pragma once

#include <filesystem>
#include <string>

#include "tests/support/TestPki.h"

namespace testpki {

class SoftHsm {
 public:
  static constexpr const char* kModule = "/usr/lib/softhsm/libsofthsm2.so";
  static constexpr const char* kPin = "4711-test-pin";

  // extraConf: more softhsm2.conf lines, e.g. "slots.mechanisms = -CKM_ECDSA_SHA1,CKM_ECDSA" for a token that lacks one.
  explicit SoftHsm(const std::string& extraConf = "");
  ~SoftHsm();  // unsets SOFTHSM2_CONF
  SoftHsm(const SoftHsm&) = delete;
  SoftHsm& operator=(const SoftHsm&) = delete;

  // A new token with this label and user PIN.
  void initToken(const std::string& label, const std::string& pin = kPin);
  // Imports the key pair (private and public object) under objectLabel and CKA_ID idHex.
  void importKey(const std::string& tokenLabel, EVP_PKEY* key, const std::string& objectLabel, const std::string& idHex = "01",
                 const std::string& pin = kPin);
  // The same from a PKCS#8 PEM key file (a key `pki init` wrote).
  void importKeyFile(const std::string& tokenLabel, const std::string& pemFile, const std::string& objectLabel,
                     const std::string& idHex = "01", const std::string& pin = kPin);
  // What the token holds under an object label, read through the PKCS#11 C API while logged in: how
  // many keys, and the private key's protection (a key generated on the token is always sensitive and
  // never extractable; an imported one is not).
  struct ObjectFacts {
    int privateKeys = 0;
    int publicKeys = 0;
    bool extractable = true;  // of the (last) private key
    bool sensitive = false;
    bool neverExtractable = false;
    bool alwaysSensitive = false;
    unsigned long keyType = ~0ul;  // CKK_RSA 0, CKK_EC 3
  };
  ObjectFacts objectFacts(const std::string& tokenLabel, const std::string& objectLabel, const std::string& pin = kPin) const;
  // A file holding the PIN, with a trailing newline as `echo` writes it.
  std::string pinFile(const std::string& pin = kPin) const;

  std::string env() const { return "SOFTHSM2_CONF=" + conf_.string(); }
  const std::filesystem::path& dir() const { return dir_.path(); }

  // Moves every token folder out of the store, and back.
  void unplug();
  void plug();

 private:
  TempDir dir_;
  std::filesystem::path conf_, tokens_, away_;
};

}  // namespace testpki
