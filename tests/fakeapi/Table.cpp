#include "tests/fakeapi/Table.h"

#include "tests/fakeapi/CsrStrategy.h"
#include "tests/fakeapi/PcrStrategy.h"

namespace fakeapi {

bool wantsTable(const std::string& accept) { return accept.find("as=Table") != std::string::npos; }

std::string humanDuration(int64_t s) {
  auto S = [](int64_t v, const char* u) { return std::to_string(v) + u; };
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 120) return S(s, "s");
  int64_t minutes = s / 60;
  if (minutes < 10) return s % 60 == 0 ? S(minutes, "m") : S(minutes, "m") + S(s % 60, "s");
  if (minutes < 180) return S(minutes, "m");
  int64_t hours = s / 3600;
  if (hours < 8) return minutes % 60 == 0 ? S(hours, "h") : S(hours, "h") + S(minutes % 60, "m");
  if (hours < 48) return S(hours, "h");
  if (hours < 24 * 8) return hours % 24 == 0 ? S(hours / 24, "d") : S(hours / 24, "d") + S(hours % 24, "h");
  if (hours < 24 * 365 * 2) return S(hours / 24, "d");
  if (hours < 24 * 365 * 8) {
    int64_t dy = (hours / 24) % 365;
    return dy == 0 ? S(hours / 24 / 365, "y") : S(hours / 24 / 365, "y") + S(dy, "d");
  }
  return S(hours / 24 / 365, "y");
}

namespace {

json col(const char* name, const char* desc, const char* format = "", int priority = 0) {
  json c = {{"name", name}, {"type", "string"}, {"format", format}, {"description", desc}, {"priority", priority}};
  return c;
}

std::string age(const json& obj) {
  int64_t t = parseRfc3339(obj["metadata"].value("creationTimestamp", ""));
  if (t < 0) return "<unknown>";
  return humanDuration(unixNow() - t);
}

std::string nodeStatus(const json& node) {
  std::string ready = "Unknown";
  const json status = node.value("status", json::object());
  const json conditions = status.value("conditions", json::array());
  for (const auto& c : conditions)
    if (c.value("type", "") == "Ready") ready = c.value("status", "") == "True" ? "Ready" : "NotReady";
  if (node.value("spec", json::object()).value("unschedulable", false)) ready += ",SchedulingDisabled";
  return ready;
}

std::string nodeRoles(const json& node) {
  std::string roles;
  static const std::string prefix = "node-role.kubernetes.io/";
  const json labels = node["metadata"].value("labels", json::object());
  for (const auto& [k, v] : labels.items())
    if (k.compare(0, prefix.size(), prefix) == 0 && k.size() > prefix.size()) roles += (roles.empty() ? "" : ",") + k.substr(prefix.size());
  return roles.empty() ? "<none>" : roles;
}

}  // namespace

json tableColumns(const ResourceInfo& r) {
  const char* nameDesc = "Name must be unique within a namespace.";
  const char* ageDesc = "CreationTimestamp is a timestamp representing the server time when this object was created.";
  if (r.resource == "certificatesigningrequests")
    return json::array({col("Name", nameDesc, "name"), col("Age", ageDesc),
                        col("SignerName", "signerName indicates the requested signer, and is a qualified name."),
                        col("Requestor", "username contains the name of the user that created the CertificateSigningRequest."),
                        col("RequestedDuration", "expirationSeconds is the requested duration of validity of the issued certificate."),
                        col("Condition", "conditions applied to the request.")});
  if (r.resource == "nodes")
    return json::array({col("Name", nameDesc, "name"), col("Status", "The status of the node"), col("Roles", "The roles of the node"),
                        col("Age", ageDesc), col("Version", "Kubelet Version reported by the node.")});
  if (r.resource == "leases")
    return json::array({col("Name", nameDesc, "name"),
                        col("Holder", "holderIdentity contains the identity of the holder of a current lease."), col("Age", ageDesc)});
  // printers.go: a ClusterTrustBundle prints its name and signer only.
  if (r.resource == "clustertrustbundles")
    return json::array({col("Name", nameDesc, "name"), col("SignerName", "signerName indicates the associated signer, if any.")});
  if (r.resource == "podcertificaterequests")
    return json::array({col("Name", nameDesc, "name"), col("SignerName", "signerName indicates the requested signer."),
                        col("Pod", "podName is the name of the pod into which the certificate will be mounted."),
                        col("ServiceAccount", "serviceAccountName is the name of the service account the pod is running as."),
                        col("State", "The terminal condition of the request (Issued, Denied, Failed) or Pending."), col("Age", ageDesc)});
  return json::array({col("Name", nameDesc, "name"), col("Age", ageDesc)});
}

json tableRow(const ResourceInfo& r, const json& obj, const std::string& includeObject) {
  json cells = json::array();
  std::string name = obj["metadata"].value("name", "");
  if (r.resource == "certificatesigningrequests") {
    json spec = obj.value("spec", json::object());
    std::string duration = "<none>";
    if (spec.contains("expirationSeconds") && spec["expirationSeconds"].is_number_integer())
      duration = humanDuration(spec["expirationSeconds"].get<int64_t>());
    cells = {name, age(obj), spec.value("signerName", ""), spec.value("username", ""), duration, csr::conditionSummary(obj)};
  } else if (r.resource == "nodes") {
    std::string version = obj.value("status", json::object()).value("nodeInfo", json::object()).value("kubeletVersion", "");
    cells = {name, nodeStatus(obj), nodeRoles(obj), age(obj), version};
  } else if (r.resource == "clustertrustbundles") {
    std::string signer = obj.value("spec", json::object()).value("signerName", "");
    cells = {name, signer.empty() ? "<none>" : signer};
  } else if (r.resource == "podcertificaterequests") {
    json spec = obj.value("spec", json::object());
    cells = {name,    spec.value("signerName", ""), spec.value("podName", ""), spec.value("serviceAccountName", ""), pcr::stateOf(obj),
             age(obj)};
  } else if (r.resource == "leases") {
    cells = {name, obj.value("spec", json::object()).value("holderIdentity", ""), age(obj)};
  } else {
    cells = {name, age(obj)};
  }
  json row = {{"cells", cells}};
  if (includeObject == "Object") {
    row["object"] = obj;
  } else if (includeObject != "None") {
    row["object"] = {{"kind", "PartialObjectMetadata"}, {"apiVersion", "meta.k8s.io/v1"}, {"metadata", obj["metadata"]}};
  }
  return row;
}

json renderTable(const ResourceInfo& r, const std::vector<const json*>& objs, const std::string& includeObject, bool withColumns,
                 const json& listMeta) {
  json rows = json::array();
  for (const json* o : objs) rows.push_back(tableRow(r, *o, includeObject));
  return {{"kind", "Table"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", listMeta},
          {"columnDefinitions", withColumns ? tableColumns(r) : json::array()},
          {"rows", rows}};
}

}  // namespace fakeapi
