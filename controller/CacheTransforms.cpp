#include "controller/CacheTransforms.h"

#include "k8sclient/Base64.h"
#include "signers/CertificateInfo.h"
#include "signers/CertificateRequest.h"

#include <algorithm>
#include <chrono>

namespace csrop {
namespace {

constexpr std::string_view kIssuedStandIn = "csr-operator:issued notAfter=";
// Top level, so it never reaches the typed object or the API.
constexpr const char* kRereadMark = "csrOperatorReread";

double unixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

bool decided(const nlohmann::json& csr) {
  const auto status = csr.find("status");
  if (status == csr.end() || !status->is_object()) return false;
  const auto conditions = status->find("conditions");
  if (conditions == status->end() || !conditions->is_array()) return false;
  for (const auto& c : *conditions) {
    const std::string type = c.value("type", ""), state = c.value("status", "True");
    if ((type == "Approved" || type == "Denied" || type == "Failed") && (state.empty() || state == "True")) return true;
  }
  return false;
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
  if (!decided(csr)) {
    replaceOversizedRequest(csr);
    if (droppedMetadata) csr[kRereadMark] = true;
    return;
  }
  keepOnly(csr, {"metadata", "spec", "status"});
  keepOnly(csr["metadata"], {"name", "uid", "resourceVersion", "creationTimestamp"});
  keepOnly(csr["spec"], {"signerName", "username"});
  auto& status = csr["status"];
  keepOnly(status, {"conditions", "certificate"});
  for (auto& c : status["conditions"]) keepOnly(c, {"type", "status", "lastUpdateTime"});
  if (auto cert = status.find("certificate"); cert != status.end() && cert->is_string() && !cert->get_ref<const std::string&>().empty()) {
    const auto pem = k8s::base64Decode(cert->get_ref<const std::string&>());
    const auto notAfter = pem ? signers::certificateNotAfter(*pem) : std::nullopt;
    if (notAfter)
      *cert = k8s::base64Encode(std::string(kIssuedStandIn) + std::to_string(static_cast<long long>(unixSeconds(*notAfter))));
  }
}

bool needsFreshRead(const nlohmann::json& cachedCsr) { return cachedCsr.contains(kRereadMark); }

void compactNode(nlohmann::json& node) {
  keepOnly(node, {"metadata", "status"});
  keepOnly(node["metadata"], {"name", "resourceVersion", "uid", "deletionTimestamp"});
  keepOnly(node["status"], {"addresses"});
}

bool cachedCertificateExpired(const std::string& cached) {
  if (cached.starts_with(kIssuedStandIn)) {
    const auto now = static_cast<long long>(unixSeconds(std::chrono::system_clock::now()));
    return std::stoll(cached.substr(kIssuedStandIn.size())) < now;
  }
  return signers::certificateExpired(cached);
}

}  // namespace csrop
