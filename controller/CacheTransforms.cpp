#include "controller/CacheTransforms.h"

#include "k8sclient/Base64.h"
#include "signers/CertificateInfo.h"
#include "signers/CertificateRequest.h"

#include <algorithm>
#include <chrono>
#include <optional>

namespace csrop {
namespace {

// Top level, so they never reach the typed object or the API.
constexpr const char* kFacts = "csrOperatorFacts";
constexpr const char* kIssued = "issued";
constexpr const char* kNotAfter = "certificateNotAfter";
constexpr const char* kReread = "reread";

// Read from the JSON without decoding the whole object: spec.request may be megabytes.
std::pair<std::vector<k8s::CsrCondition>, std::string> conditionsAndCertificate(const nlohmann::json& csr) {
  std::pair<std::vector<k8s::CsrCondition>, std::string> out;
  const auto status = csr.find("status");
  if (status == csr.end() || !status->is_object()) return out;
  if (const auto c = status->find("conditions"); c != status->end() && c->is_array()) out.first = c->get<std::vector<k8s::CsrCondition>>();
  if (const auto cert = status->find("certificate"); cert != status->end() && cert->is_string()) out.second = cert->get<std::string>();
  return out;
}

std::optional<std::chrono::system_clock::time_point> notAfterOf(const std::string& base64Pem) {
  if (base64Pem.empty()) return std::nullopt;
  const auto pem = k8s::base64Decode(base64Pem);
  return pem ? signers::certificateNotAfter(*pem) : std::nullopt;
}

void keepOnly(nlohmann::json& obj, std::initializer_list<const char*> keys) {
  if (!obj.is_object()) return;
  nlohmann::json kept = nlohmann::json::object();
  for (const char* k : keys)
    if (auto it = obj.find(k); it != obj.end()) kept[k] = std::move(*it);
  obj = std::move(kept);
}

// Decoded size of a base64 text, without decoding it.
std::size_t base64DecodedSize(const std::string& text) {
  std::size_t padding = 0;
  for (auto it = text.rbegin(); it != text.rend() && *it == '=' && padding < 2; ++it) ++padding;
  return text.size() / 4 * 3 - std::min(padding, text.size() / 4 * 3);
}

// True when something a write or a decision needs was taken out.
bool dropRequesterMetadata(nlohmann::json& csr) {
  auto meta = csr.find("metadata");
  if (meta == csr.end() || !meta->is_object()) return false;
  meta->erase("managedFields");
  bool dropped = false;
  for (const char* key : {"labels", "annotations", "ownerReferences"}) dropped = meta->erase(key) > 0 || dropped;
  return dropped;
}

void replaceOversizedRequest(nlohmann::json& csr) {
  auto spec = csr.find("spec");
  if (spec == csr.end() || !spec->is_object()) return;
  auto request = spec->find("request");
  if (request == spec->end() || !request->is_string()) return;
  const std::size_t bytes = base64DecodedSize(request->get_ref<const std::string&>());
  if (bytes <= signers::RequestLimits{}.maxPemBytes) return;
  *request = k8s::base64Encode(std::string(signers::kOversizedRequestMarker) + std::to_string(bytes));
}

}  // namespace

void compactCsr(nlohmann::json& csr) {
  const bool droppedMetadata = dropRequesterMetadata(csr);
  const auto [conditions, certificate] = conditionsAndCertificate(csr);
  if (phaseOf(conditions, !certificate.empty()) == CsrPhase::Pending) {
    replaceOversizedRequest(csr);
    if (droppedMetadata) csr[kFacts] = {{kReread, true}};
    return;
  }
  nlohmann::json facts = {{kIssued, !certificate.empty()}};
  if (const auto notAfter = notAfterOf(certificate))
    facts[kNotAfter] = std::chrono::duration_cast<std::chrono::seconds>(notAfter->time_since_epoch()).count();
  keepOnly(csr, {"metadata", "spec", "status"});
  keepOnly(csr["metadata"], {"name", "uid", "resourceVersion", "creationTimestamp"});
  keepOnly(csr["spec"], {"signerName", "username"});
  auto& status = csr["status"];
  keepOnly(status, {"conditions"});
  for (auto& c : status["conditions"]) keepOnly(c, {"type", "status", "lastUpdateTime"});
  csr[kFacts] = std::move(facts);
}

CachedCsr readCachedCsr(const nlohmann::json& cached) { return readCachedCsr(nlohmann::json(cached)); }

CachedCsr readCachedCsr(nlohmann::json&& cached) {
  CachedCsr out;
  std::optional<nlohmann::json> facts;
  if (const auto f = cached.find(kFacts); f != cached.end()) {
    if (f->is_object()) facts = std::move(*f);
    cached.erase(f);
  }
  out.csr = k8s::csrFromJson(std::move(cached));
  if (!facts) {
    out.phase = phaseOf(out.csr);
    if (!out.csr.status.certificate.empty()) out.certificateNotAfter = signers::certificateNotAfter(out.csr.status.certificate);
    return out;
  }
  out.phase = phaseOf(out.csr.status.conditions, facts->value(kIssued, false));
  if (const auto notAfter = facts->find(kNotAfter); notAfter != facts->end() && notAfter->is_number_integer())
    out.certificateNotAfter = std::chrono::system_clock::time_point(std::chrono::seconds(notAfter->get<std::int64_t>()));
  out.needsFreshRead = facts->value(kReread, false);
  return out;
}

void compactNode(nlohmann::json& node) {
  keepOnly(node, {"metadata", "status"});
  keepOnly(node["metadata"], {"name", "resourceVersion", "deletionTimestamp"});
  keepOnly(node["status"], {"addresses"});
}

void dropNodeAddresses(nlohmann::json& node) {
  auto status = node.find("status");
  if (status == node.end() || !status->is_object()) return;
  status->erase("addresses");
  if (status->empty()) node.erase(status);
}

}  // namespace csrop
