#pragma once
// The certificates.k8s.io/v1 usage strings and what each one turns into in a certificate
// (kube-controller-manager pkg/controller/certificates/authority/policies.go keyUsageDict /
// extKeyUsageDict).
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace signers {

// KeyUsage bit positions from RFC 5280 section 4.2.1.3.
enum class KeyUsageBit : int {
  DigitalSignature = 0,
  ContentCommitment = 1,
  KeyEncipherment = 2,
  DataEncipherment = 3,
  KeyAgreement = 4,
  CertSign = 5,
  CrlSign = 6,
  EncipherOnly = 7,
  DecipherOnly = 8,
};

struct UsageMapping {
  std::string_view name;                // spec.usages string
  std::optional<KeyUsageBit> keyUsage;  // set for KeyUsage strings
  int extKeyUsageNid = 0;               // OpenSSL NID for ExtendedKeyUsage strings, 0 otherwise
  int extKeyUsageOrder = 0;             // Go's ExtKeyUsage enum order, used to sort the EKU list
};

// All 23 strings accepted by the API server.
std::span<const UsageMapping> usageTable();
const UsageMapping* findUsage(std::string_view name);
bool isKnownUsage(std::string_view name);

// Usages no csr-operator signer ever grants: they would make the leaf usable as a CA or for anything.
bool isForbiddenUsage(std::string_view name);

// spec.usages as a set (duplicates collapse, as in KCM's sets.NewString).
using UsageSet = std::set<std::string, std::less<>>;
UsageSet toUsageSet(const std::vector<std::string>& usages);

// Each usage at most once in spec.usages: the approvers recognise only such lists.
bool listsEachUsageOnce(const std::vector<std::string>& usages);

// Formats like Go's fmt of a sorted string list: "[a b c]".
std::string formatUsageList(const UsageSet& usages);
// spec.usages as the requester listed them, for messages: "[a, b, c]".
std::string formatRequestedUsages(const std::vector<std::string>& usages);

}  // namespace signers
