#include "tests/fakeapi/Api.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace fakeapi {

bool UserInfo::inGroup(const std::string& g) const { return std::find(groups.begin(), groups.end(), g) != groups.end(); }

namespace {
std::string quote(const std::string& v) { return json(v).dump(); }
}  // namespace

FieldError required(const std::string& field, const std::string& detail) {
  return {"FieldValueRequired", field, detail.empty() ? "Required value" : "Required value: " + detail};
}
FieldError invalid(const std::string& field, const std::string& value, const std::string& detail) {
  return {"FieldValueInvalid", field, "Invalid value: " + quote(value) + (detail.empty() ? "" : ": " + detail)};
}
FieldError notSupported(const std::string& field, const std::string& value, const std::vector<std::string>& supported) {
  std::string s;
  for (const auto& v : supported) s += (s.empty() ? "" : ", ") + quote(v);
  return {"FieldValueNotSupported", field, "Unsupported value: " + quote(value) + (s.empty() ? "" : ": supported values: " + s)};
}
FieldError duplicate(const std::string& field, const std::string& value) {
  return {"FieldValueDuplicate", field, "Duplicate value: " + quote(value)};
}
FieldError forbidden(const std::string& field, const std::string& detail) { return {"FieldValueForbidden", field, "Forbidden: " + detail}; }
FieldError tooLong(const std::string& field, size_t max) {
  return {"FieldValueTooLong", field, "Too long: may not be more than " + std::to_string(max) + " bytes"};
}

ApiError::ApiError(int code, std::string reason, const std::string& message, json details)
    : std::runtime_error(message), code_(code), reason_(std::move(reason)), details_(std::move(details)) {}

json ApiError::status() const {
  json s = {{"kind", "Status"},  {"apiVersion", "v1"}, {"metadata", json::object()}, {"status", "Failure"}, {"message", what()},
            {"reason", reason_}, {"code", code_}};
  if (!details_.is_null()) s["details"] = details_;
  return s;
}

const std::vector<ResourceInfo>& resources() {
  static const std::vector<std::string> all = {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};
  static const std::vector<ResourceInfo> list = {
      {"certificates.k8s.io", "v1", "certificatesigningrequests", "CertificateSigningRequest", false, all, {"approval", "status"}, {"csr"}},
      {"", "v1", "nodes", "Node", false, all, {"status"}, {"no"}},
      {"", "v1", "events", "Event", true, all, {}, {"ev"}},
      {"coordination.k8s.io", "v1", "leases", "Lease", true, all, {}, {}},
      {"", "v1", "services", "Service", true, all, {"status"}, {"svc"}},
      {"discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true, all, {}, {}},
      {"cluster.x-k8s.io", "v1beta1", "machines", "Machine", true, all, {"status"}, {"ma"}},
      {"machine.openshift.io", "v1beta1", "machines", "Machine", true, all, {"status"}, {}},
      {"authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", false, {"create"}, {}, {}},
      {"", "v1", "pods", "Pod", true, all, {"status"}, {"po"}},
      {"", "v1", "serviceaccounts", "ServiceAccount", true, all, {}, {"sa"}},
      // PodCertificateRequests are served in one version at a time (Router::pcrVersion): a 1.35/1.36
      // cluster with the feature gate serves only v1beta1, 1.37 serves v1. Both share one bucket.
      {"certificates.k8s.io", "v1", "podcertificaterequests", "PodCertificateRequest", true, all, {"status"}, {"pcr"}},
      {"certificates.k8s.io", "v1beta1", "podcertificaterequests", "PodCertificateRequest", true, all, {"status"}, {"pcr"}},
      {"certificates.k8s.io", "v1", "clustertrustbundles", "ClusterTrustBundle", false, all, {}, {"ctb"}},
  };
  return list;
}

const ResourceInfo* findResource(const std::string& group, const std::string& version, const std::string& resource) {
  for (const auto& r : resources())
    if (r.group == group && r.version == version && r.resource == resource) return &r;
  return nullptr;
}

const ResourceInfo& csrResource() { return resources().front(); }

namespace {
json detailsFor(const ResourceInfo& r, const std::string& name) {
  json d = {{"group", r.group}, {"kind", r.resource}};
  if (!name.empty()) d["name"] = name;
  return d;
}
}  // namespace

ApiError notFound(const ResourceInfo& r, const std::string& name) {
  return ApiError(404, "NotFound", r.qualified() + " " + quote(name) + " not found", detailsFor(r, name));
}
ApiError alreadyExists(const ResourceInfo& r, const std::string& name) {
  return ApiError(409, "AlreadyExists", r.qualified() + " " + quote(name) + " already exists", detailsFor(r, name));
}
ApiError conflict(const ResourceInfo& r, const std::string& name, const std::string& why) {
  return ApiError(409, "Conflict", "Operation cannot be fulfilled on " + r.qualified() + " " + quote(name) + ": " + why,
                  detailsFor(r, name));
}
ApiError invalidObject(const ResourceInfo& r, const std::string& name, const std::vector<FieldError>& errs) {
  std::string qualifiedKind = r.group.empty() ? r.kind : r.kind + "." + r.group;
  std::string msg;
  json causes = json::array();
  for (const auto& e : errs) {
    msg += (msg.empty() ? "" : ", ") + e.field + ": " + e.detail;
    causes.push_back({{"reason", e.reason}, {"message", e.detail}, {"field", e.field}});
  }
  if (errs.size() > 1) msg = "[" + msg + "]";
  json d = {{"group", r.group}, {"kind", r.kind}, {"causes", causes}};
  if (!name.empty()) d["name"] = name;
  return ApiError(422, "Invalid", qualifiedKind + " " + quote(name) + " is invalid: " + msg, d);
}
ApiError forbiddenObject(const ResourceInfo& r, const std::string& name, const std::string& why) {
  std::string subject = r.qualified() + (name.empty() ? "" : " " + quote(name));
  return ApiError(403, "Forbidden", subject + " is forbidden: " + why, detailsFor(r, name));
}
ApiError badRequest(const std::string& message) { return ApiError(400, "BadRequest", message); }
ApiError expired(const std::string& message) { return ApiError(410, "Expired", message); }

namespace {
std::atomic<int64_t> clockOffsetSeconds{0};
}  // namespace

int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count() +
         clockOffsetSeconds.load();
}

void advanceClock(int64_t seconds) { clockOffsetSeconds += seconds; }
int64_t clockOffset() { return clockOffsetSeconds.load(); }

std::string formatRfc3339(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string nowRfc3339() { return formatRfc3339(unixNow()); }

int64_t parseRfc3339(const std::string& s) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
                  &consumed) != 6)
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm));
}

std::string newUid() {
  unsigned char b[16];
  RAND_bytes(b, sizeof b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
                b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}

std::string base64Encode(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string base64Decode(const std::string& in) {
  std::string clean;
  for (char c : in)
    if (c != '\n' && c != '\r' && c != ' ') clean += c;
  if (clean.size() % 4 != 0) throw std::invalid_argument("illegal base64 data: length is not a multiple of 4");
  std::string out(clean.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(clean.data()),
                          static_cast<int>(clean.size()));
  if (n < 0) throw std::invalid_argument("illegal base64 data");
  size_t len = static_cast<size_t>(n);
  if (!clean.empty() && clean.back() == '=') --len;
  if (clean.size() > 1 && clean[clean.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

std::vector<std::string> nameEntries(X509_NAME* name, int nid) {
  std::vector<std::string> out;
  if (!name) return out;
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0; i = X509_NAME_get_index_by_NID(name, nid, i)) {
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, data);
    if (len >= 0) {
      out.emplace_back(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
      OPENSSL_free(utf8);
    }
  }
  return out;
}

}  // namespace fakeapi
