#include "tests/goparity/GoDump.h"

#include <openssl/objects.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

namespace goparity {
namespace {

std::string dottedOf(const std::string& shortName) {
  ASN1_OBJECT* obj = OBJ_txt2obj(shortName.c_str(), 0);
  if (obj == nullptr) return "?" + shortName;
  char buf[128];
  OBJ_obj2txt(buf, sizeof buf, obj, 1);
  ASN1_OBJECT_free(obj);
  return buf;
}

std::string hex(const unsigned char* data, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 0xf];
  }
  return out;
}

std::vector<std::string> strings(const nlohmann::json& j) {
  std::vector<std::string> out;
  for (const auto& v : j) out.push_back(v.get<std::string>());
  return out;
}

std::string keyLabel(signers::KeyType type) {
  switch (type) {
    case signers::KeyType::Rsa: return "RSA";
    case signers::KeyType::EcP256: return "ECDSA P-256";
    case signers::KeyType::EcP384: return "ECDSA P-384";
    case signers::KeyType::EcOther: return "ECDSA";
    case signers::KeyType::Ed25519: return "Ed25519";
    case signers::KeyType::Other: return "other";
  }
  return "other";
}

}  // namespace

std::vector<nlohmann::json> goDump(const std::vector<std::string>& inputs) {
  auto dir = std::filesystem::temp_directory_path() / ("goparity-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto in = dir / "in", out = dir / "out";
  {
    std::ofstream f(in, std::ios::binary);
    for (const auto& s : inputs) {
      unsigned char len[4] = {static_cast<unsigned char>(s.size() >> 24), static_cast<unsigned char>(s.size() >> 16),
                              static_cast<unsigned char>(s.size() >> 8), static_cast<unsigned char>(s.size())};
      f.write(reinterpret_cast<const char*>(len), 4);
      f.write(s.data(), static_cast<std::streamsize>(s.size()));
    }
  }
  std::string cmd = std::string(CSRDUMP_PATH) + " < " + in.string() + " > " + out.string();
  int rc = std::system(cmd.c_str());
  std::vector<nlohmann::json> results;
  std::ifstream f(out);
  for (std::string line; std::getline(f, line);) results.push_back(nlohmann::json::parse(line));
  std::filesystem::remove_all(dir);
  if (rc != 0) throw std::runtime_error("csrdump failed (exit status " + std::to_string(rc) + "): " + cmd);
  if (results.size() != inputs.size()) {
    throw std::runtime_error("csrdump answered " + std::to_string(results.size()) + " of " + std::to_string(inputs.size()) + " inputs");
  }
  return results;
}

std::optional<std::string> parityViolation(const signers::Result<signers::ParsedRequest>& ours, const nlohmann::json& go) {
  if (!ours.ok()) return std::nullopt;
  const auto& r = ours.value();
  if (!go["ok"].get<bool>()) return "accepted, but Go's ParseCSR refuses it: " + go.value("error", "");
  if (!go["signatureOk"].get<bool>()) return std::string("accepted, but Go's CheckSignature refuses it");
  if (r.commonName != go["cn"].get<std::string>())
    return "CN differs: ours '" + r.commonName + "', Go '" + go["cn"].get<std::string>() + "'";
  if (r.organizations != strings(go["o"])) return std::string("O list differs");
  const auto& subject = go["subject"];
  if (subject.size() != r.subject.size())
    return "subject differs in length: ours " + std::to_string(r.subject.size()) + ", Go " + std::to_string(subject.size());
  for (std::size_t i = 0; i < subject.size(); ++i) {
    if (!subject[i]["isString"].get<bool>()) return "Go reads subject attribute " + std::to_string(i) + " as a non-string";
    if (dottedOf(r.subject[i].first) != subject[i]["oid"].get<std::string>())
      return "subject attribute type " + std::to_string(i) + " differs";
    if (r.subject[i].second != subject[i]["value"].get<std::string>()) return "subject value " + std::to_string(i) + " differs";
  }
  if (r.dnsNames != strings(go["dns"])) return std::string("DNS names differ");
  if (r.emailAddresses != strings(go["email"])) return std::string("email addresses differ");
  if (r.uris != strings(go["uri"])) return std::string("URIs differ (Go writes them back as it parsed them)");
  const auto& ips = go["ip"];
  if (ips.size() != r.ipAddresses.size()) return std::string("IP address count differs");
  for (std::size_t i = 0; i < ips.size(); ++i) {
    if (hex(r.ipAddresses[i].bytes.data(), r.ipAddresses[i].length()) != ips[i]["hex"].get<std::string>()) {
      return "IP address differs: ours " + r.ipAddresses[i].toString() + ", Go " + ips[i]["text"].get<std::string>();
    }
  }
  std::string goKey = go["keyType"].get<std::string>();
  std::string ourKey = keyLabel(r.keyType);
  if (goKey.rfind(ourKey, 0) != 0) return "key type differs: ours " + ourKey + ", Go " + goKey;
  if (r.keyType != signers::KeyType::Ed25519 && r.keyBits != go["keyBits"].get<int>()) return std::string("key size differs");
  if (r.extensionOids != strings(go["extensions"])) return std::string("extension OIDs differ");
  return std::nullopt;
}

}  // namespace goparity
