#include "signers/Usages.h"

#include <array>

#include <openssl/obj_mac.h>

namespace signers {
namespace {

using B = KeyUsageBit;
constexpr std::array<UsageMapping, 23> kTable{{
    {"signing", B::DigitalSignature, 0, 0},
    {"digital signature", B::DigitalSignature, 0, 0},
    {"content commitment", B::ContentCommitment, 0, 0},
    {"key encipherment", B::KeyEncipherment, 0, 0},
    {"key agreement", B::KeyAgreement, 0, 0},
    {"data encipherment", B::DataEncipherment, 0, 0},
    {"cert sign", B::CertSign, 0, 0},
    {"crl sign", B::CrlSign, 0, 0},
    {"encipher only", B::EncipherOnly, 0, 0},
    {"decipher only", B::DecipherOnly, 0, 0},
    {"any", std::nullopt, NID_anyExtendedKeyUsage, 0},
    {"server auth", std::nullopt, NID_server_auth, 1},
    {"client auth", std::nullopt, NID_client_auth, 2},
    {"code signing", std::nullopt, NID_code_sign, 3},
    {"email protection", std::nullopt, NID_email_protect, 4},
    {"s/mime", std::nullopt, NID_email_protect, 4},
    {"ipsec end system", std::nullopt, NID_ipsecEndSystem, 5},
    {"ipsec tunnel", std::nullopt, NID_ipsecTunnel, 6},
    {"ipsec user", std::nullopt, NID_ipsecUser, 7},
    {"timestamping", std::nullopt, NID_time_stamp, 8},
    {"ocsp signing", std::nullopt, NID_OCSP_sign, 9},
    {"microsoft sgc", std::nullopt, NID_ms_sgc, 10},
    {"netscape sgc", std::nullopt, NID_ns_sgc, 11},
}};

}  // namespace

std::span<const UsageMapping> usageTable() { return kTable; }

const UsageMapping* findUsage(std::string_view name) {
  for (const auto& m : kTable) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

bool isKnownUsage(std::string_view name) { return findUsage(name) != nullptr; }

bool isForbiddenUsage(std::string_view name) { return name == "cert sign" || name == "crl sign" || name == "any"; }

UsageSet toUsageSet(const std::vector<std::string>& usages) { return UsageSet(usages.begin(), usages.end()); }

bool listsEachUsageOnce(const std::vector<std::string>& usages) { return toUsageSet(usages).size() == usages.size(); }

std::string formatUsageList(const UsageSet& usages) {
  std::string out = "[";
  bool first = true;
  for (const auto& u : usages) {
    if (!first) out += ' ';
    out += u;
    first = false;
  }
  return out + "]";
}

std::string formatRequestedUsages(const std::vector<std::string>& usages) {
  std::string out = "[";
  for (std::size_t i = 0; i < usages.size(); ++i) out += (i ? ", " : "") + usages[i];
  return out + "]";
}

}  // namespace signers
