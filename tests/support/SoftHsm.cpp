#include "tests/support/SoftHsm.h"

#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "signers/Pkcs11Module.h"

namespace testpki {
namespace {

void run(const std::string& command) {
  const auto [status, output] = runCommand(command);
  if (status != 0) throw std::runtime_error("`" + command + "` failed: " + output);
}

}  // namespace

SoftHsm::SoftHsm(const std::string& extraConf)
    : conf_(dir_.path() / "softhsm2.conf"), tokens_(dir_.path() / "tokens"), away_(dir_.path() / "unplugged") {
  std::filesystem::create_directories(tokens_);
  std::filesystem::create_directories(away_);
  dir_.write("softhsm2.conf",
             "directories.tokendir = " + tokens_.string() + "\nobjectstore.backend = file\nlog.level = ERROR\n" + extraConf + "\n");
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

SoftHsm::ObjectFacts SoftHsm::objectFacts(const std::string& tokenLabel, const std::string& objectLabel, const std::string& pin) const {
  auto module = signers::Pkcs11Module::load(kModule);
  if (!module) throw std::runtime_error(module.error());
  signers::Pkcs11Module::Use f(*module.value());
  CK_ULONG count = 16;
  std::vector<CK_SLOT_ID> slots(count);
  if (f->C_GetSlotList(CK_TRUE, slots.data(), &count) != CKR_OK) throw std::runtime_error("C_GetSlotList failed");
  slots.resize(count);
  for (const auto slot : slots) {
    CK_TOKEN_INFO info{};
    if (f->C_GetTokenInfo(slot, &info) != CKR_OK) continue;
    std::string label(reinterpret_cast<const char*>(info.label), sizeof info.label);
    label.erase(label.find_last_not_of(' ') + 1);
    if (label != tokenLabel) continue;
    CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
    if (f->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &session) != CKR_OK) throw std::runtime_error("C_OpenSession failed");
    auto* pinBytes = reinterpret_cast<CK_UTF8CHAR*>(const_cast<char*>(pin.data()));
    if (f->C_Login(session, CKU_USER, pinBytes, pin.size()) != CKR_OK) throw std::runtime_error("C_Login failed");
    CK_ATTRIBUTE query{CKA_LABEL, const_cast<char*>(objectLabel.data()), objectLabel.size()};
    CK_OBJECT_HANDLE objects[16];
    CK_ULONG n = 0;
    f->C_FindObjectsInit(session, &query, 1);
    f->C_FindObjects(session, objects, 16, &n);
    f->C_FindObjectsFinal(session);
    ObjectFacts facts;
    for (CK_ULONG i = 0; i < n; ++i) {
      CK_OBJECT_CLASS cls = 0;
      CK_KEY_TYPE type = 0;
      CK_BBOOL extractable = CK_TRUE, sensitive = CK_FALSE, neverExtractable = CK_FALSE, alwaysSensitive = CK_FALSE;
      CK_ATTRIBUTE common[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_KEY_TYPE, &type, sizeof type}};
      f->C_GetAttributeValue(session, objects[i], common, 2);
      if (cls == CKO_PUBLIC_KEY) ++facts.publicKeys;
      if (cls != CKO_PRIVATE_KEY) continue;
      ++facts.privateKeys;
      CK_ATTRIBUTE protection[] = {{CKA_EXTRACTABLE, &extractable, sizeof extractable},
                                   {CKA_SENSITIVE, &sensitive, sizeof sensitive},
                                   {CKA_NEVER_EXTRACTABLE, &neverExtractable, sizeof neverExtractable},
                                   {CKA_ALWAYS_SENSITIVE, &alwaysSensitive, sizeof alwaysSensitive}};
      f->C_GetAttributeValue(session, objects[i], protection, 4);
      facts.extractable = extractable == CK_TRUE;
      facts.sensitive = sensitive == CK_TRUE;
      facts.neverExtractable = neverExtractable == CK_TRUE;
      facts.alwaysSensitive = alwaysSensitive == CK_TRUE;
      facts.keyType = type;
    }
    f->C_CloseSession(session);
    return facts;
  }
  throw std::runtime_error("no token labelled " + tokenLabel);
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
