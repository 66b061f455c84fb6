#include "k8sclient/PodCertificateObjects.h"

#include <nlohmann/json.hpp>

#include "k8sclient/ApiError.h"
#include "k8sclient/JsonFields.h"
#include "k8sclient/KubeClient.h"

namespace k8s {

using nlohmann::json;

namespace {

using namespace json_fields;

const json kEmpty = json::object();
constexpr const char* kGroup = "certificates.k8s.io";
constexpr const char* kDefaultApiVersion = "certificates.k8s.io/v1";

ObjectMeta metaOf(const json& j) {
  const json* m = field(j, "metadata");
  return m ? m->get<ObjectMeta>() : ObjectMeta{};
}

std::string encoded(const std::string& bytes) { return bytes.empty() ? std::string() : base64Encode(bytes); }

// The apiVersion an object is written as: the one it was read as, else v1.
const char* apiVersionOf(const std::string& apiVersion) { return apiVersion.empty() ? kDefaultApiVersion : apiVersion.c_str(); }

// Whether GET /apis/certificates.k8s.io/<version> lists the resource; a version the server does not
// know answers 404 and serves nothing.
bool serves(KubeClient& client, const std::string& version, const std::string& plural) {
  json doc;
  try {
    doc = client.requestJson("GET", std::string("/apis/") + kGroup + "/" + version);
  } catch (const ApiError& e) {
    if (isNotFound(e)) return false;
    throw;
  }
  if (const json* resources = field(doc, "resources"); resources && resources->is_array())
    for (const auto& r : *resources)
      if (getStr(r, "name") == plural) return true;
  return false;
}

std::string discover(KubeClient& client, const std::string& plural) {
  for (const char* version : {"v1", "v1beta1"})
    if (serves(client, version, plural)) return version;
  return {};
}

template <class T>
T stamped(json j, const std::string& version) {
  T out = j.get<T>();
  if (out.apiVersion.empty()) out.apiVersion = std::string(kGroup) + "/" + version;
  return out;
}

template <class T>
json bodyAt(const T& obj, const std::string& version) {
  T copy = obj;
  copy.apiVersion = std::string(kGroup) + "/" + version;
  return json(copy);
}

}  // namespace

const Condition* terminalCondition(const PodCertificateRequest& pcr) {
  for (const auto& c : pcr.status.conditions)
    if ((c.type == kPcrIssued || c.type == kPcrDenied || c.type == kPcrFailed) && c.status == "True") return &c;
  return nullptr;
}

CertificatesApi discoverCertificatesApi(KubeClient& client) {
  return {discover(client, "podcertificaterequests"), discover(client, "clustertrustbundles")};
}

ResourceRef podCertificateRequestResource(const std::string& version) {
  return ResourceRef{kGroup, version, "podcertificaterequests", "PodCertificateRequest", true};
}

ResourceRef clusterTrustBundleResource(const std::string& version) {
  return ResourceRef{kGroup, version, "clustertrustbundles", "ClusterTrustBundle", false};
}

ListOptions signerNameSelector(const std::string& signerName) {
  ListOptions o;
  o.fieldSelector = "spec.signerName=" + signerName;
  return o;
}

PodCertificateRequest getPodCertificateRequest(KubeClient& client, const std::string& version, const std::string& ns,
                                               const std::string& name) {
  return stamped<PodCertificateRequest>(client.getJson(podCertificateRequestResource(version), name, ns), version);
}

PodCertificateRequest updatePodCertificateRequestStatus(KubeClient& client, const std::string& version, const PodCertificateRequest& pcr) {
  return stamped<PodCertificateRequest>(client.updateJson(podCertificateRequestResource(version), bodyAt(pcr, version), "status"), version);
}

std::optional<ClusterTrustBundle> getClusterTrustBundle(KubeClient& client, const std::string& version, const std::string& name) {
  try {
    return stamped<ClusterTrustBundle>(client.getJson(clusterTrustBundleResource(version), name), version);
  } catch (const ApiError& e) {
    if (isNotFound(e)) return std::nullopt;
    throw;
  }
}

std::vector<ClusterTrustBundle> listClusterTrustBundles(KubeClient& client, const std::string& version, const ListOptions& options) {
  std::vector<ClusterTrustBundle> out;
  for (auto& item : client.listAllJson(clusterTrustBundleResource(version), options).items)
    out.push_back(stamped<ClusterTrustBundle>(std::move(item), version));
  return out;
}

ClusterTrustBundle createClusterTrustBundle(KubeClient& client, const std::string& version, const ClusterTrustBundle& ctb) {
  return stamped<ClusterTrustBundle>(client.createJson(clusterTrustBundleResource(version), bodyAt(ctb, version)), version);
}

ClusterTrustBundle updateClusterTrustBundle(KubeClient& client, const std::string& version, const ClusterTrustBundle& ctb) {
  return stamped<ClusterTrustBundle>(client.updateJson(clusterTrustBundleResource(version), bodyAt(ctb, version), ""), version);
}

void deleteClusterTrustBundle(KubeClient& client, const std::string& version, const ClusterTrustBundle& ctb) {
  const DeletePreconditions preconditions{ctb.metadata.uid, ctb.metadata.resourceVersion};
  client.removeJson(clusterTrustBundleResource(version), ctb.metadata.name, "", &preconditions);
}

void to_json(json& j, const Condition& c) {
  j = json::object();
  j["type"] = c.type;
  j["status"] = c.status;
  put(j, "reason", c.reason);
  put(j, "message", c.message);
  put(j, "lastTransitionTime", c.lastTransitionTime);
  putOpt(j, "observedGeneration", c.observedGeneration);
}

void from_json(const json& j, Condition& c) {
  c.type = getStr(j, "type");
  c.status = getStr(j, "status");
  c.reason = getStr(j, "reason");
  c.message = getStr(j, "message");
  c.lastTransitionTime = getStr(j, "lastTransitionTime");
  c.observedGeneration = getOpt<int64_t>(j, "observedGeneration");
}

void to_json(json& j, const PodCertificateRequest& o) {
  j = base(o.raw.get(), apiVersionOf(o.apiVersion), "PodCertificateRequest");
  to_json(objectAt(j, "metadata"), o.metadata);
  json& spec = objectAt(j, "spec");
  put(spec, "signerName", o.spec.signerName);
  put(spec, "podName", o.spec.podName);
  put(spec, "podUID", o.spec.podUID);
  put(spec, "serviceAccountName", o.spec.serviceAccountName);
  put(spec, "serviceAccountUID", o.spec.serviceAccountUID);
  put(spec, "nodeName", o.spec.nodeName);
  put(spec, "nodeUID", o.spec.nodeUID);
  putOpt(spec, "maxExpirationSeconds", o.spec.maxExpirationSeconds);
  put(spec, "stubPKCS10Request", encoded(o.spec.stubPKCS10Request));
  put(spec, "pkixPublicKey", encoded(o.spec.pkixPublicKey));
  put(spec, "proofOfPossession", encoded(o.spec.proofOfPossession));
  putContainer(spec, "unverifiedUserAnnotations", o.spec.unverifiedUserAnnotations);
  json& status = objectAt(j, "status");
  putContainer(status, "conditions", o.status.conditions);
  put(status, "certificateChain", o.status.certificateChain);
  put(status, "notBefore", o.status.notBefore);
  put(status, "beginRefreshAt", o.status.beginRefreshAt);
  put(status, "notAfter", o.status.notAfter);
  dropIfEmpty(j, "status");
}

void from_json(const json& j, PodCertificateRequest& o) {
  o.raw.set(j);
  o.apiVersion = getStr(j, "apiVersion");
  o.metadata = metaOf(j);
  const json* spec = field(j, "spec");
  const json& s = spec ? *spec : kEmpty;
  o.spec.signerName = getStr(s, "signerName");
  o.spec.podName = getStr(s, "podName");
  o.spec.podUID = getStr(s, "podUID");
  o.spec.serviceAccountName = getStr(s, "serviceAccountName");
  o.spec.serviceAccountUID = getStr(s, "serviceAccountUID");
  o.spec.nodeName = getStr(s, "nodeName");
  o.spec.nodeUID = getStr(s, "nodeUID");
  o.spec.maxExpirationSeconds = getOpt<int64_t>(s, "maxExpirationSeconds");
  o.spec.stubPKCS10Request = getBytes(s, "stubPKCS10Request", "spec.stubPKCS10Request");
  o.spec.pkixPublicKey = getBytes(s, "pkixPublicKey", "spec.pkixPublicKey");
  o.spec.proofOfPossession = getBytes(s, "proofOfPossession", "spec.proofOfPossession");
  o.spec.unverifiedUserAnnotations = getStrMap(s, "unverifiedUserAnnotations");
  const json* status = field(j, "status");
  const json& st = status ? *status : kEmpty;
  o.status.conditions.clear();
  if (const json* c = field(st, "conditions"); c && c->is_array())
    for (const auto& cj : *c) o.status.conditions.push_back(cj.get<Condition>());
  o.status.certificateChain = getStr(st, "certificateChain");
  o.status.notBefore = getStr(st, "notBefore");
  o.status.beginRefreshAt = getStr(st, "beginRefreshAt");
  o.status.notAfter = getStr(st, "notAfter");
}

void to_json(json& j, const ClusterTrustBundle& o) {
  j = base(o.raw.get(), apiVersionOf(o.apiVersion), "ClusterTrustBundle");
  to_json(objectAt(j, "metadata"), o.metadata);
  json& spec = objectAt(j, "spec");
  put(spec, "signerName", o.spec.signerName);
  put(spec, "trustBundle", o.spec.trustBundle);
}

void from_json(const json& j, ClusterTrustBundle& o) {
  o.raw.set(j);
  o.apiVersion = getStr(j, "apiVersion");
  o.metadata = metaOf(j);
  const json* spec = field(j, "spec");
  const json& s = spec ? *spec : kEmpty;
  o.spec.signerName = getStr(s, "signerName");
  o.spec.trustBundle = getStr(s, "trustBundle");
}

}  // namespace k8s
