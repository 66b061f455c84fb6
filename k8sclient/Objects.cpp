#include "k8sclient/Objects.h"

#include "k8sclient/JsonFields.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <limits>
#include <stdexcept>

#include "k8sclient/Base64.h"
#include "k8sclient/Rfc3339.h"

namespace k8s {

using nlohmann::json;

RawJson::RawJson() noexcept = default;
RawJson::RawJson(const RawJson& other) : value_(other.value_ ? std::make_unique<json>(*other.value_) : nullptr) {}
RawJson::RawJson(RawJson&& other) noexcept = default;
RawJson& RawJson::operator=(const RawJson& other) {
  if (this != &other) value_ = other.value_ ? std::make_unique<json>(*other.value_) : nullptr;
  return *this;
}
RawJson& RawJson::operator=(RawJson&& other) noexcept = default;
RawJson::~RawJson() = default;

const json& RawJson::get() const {
  static const json kNull;
  return value_ ? *value_ : kNull;
}

json& RawJson::edit() {
  if (!value_) value_ = std::make_unique<json>();
  return *value_;
}

void RawJson::set(const json& value) { value_ = std::make_unique<json>(value); }
void RawJson::set(json&& value) { value_ = std::make_unique<json>(std::move(value)); }

namespace {

const json kEmpty = json::object();

using namespace json_fields;

std::map<std::string, std::vector<std::string>> getExtra(const json& j, const char* key) {
  std::map<std::string, std::vector<std::string>> out;
  if (const json* f = field(j, key); f && f->is_object())
    for (auto it = f->begin(); it != f->end(); ++it) {
      auto& vec = out[it.key()];
      if (it.value().is_array())
        for (const auto& v : it.value())
          if (v.is_string()) vec.push_back(v.get<std::string>());
    }
  return out;
}

}  // namespace

std::string nowRfc3339() { return formatRfc3339(std::chrono::system_clock::now()); }
std::string nowRfc3339Micro() { return formatRfc3339Micro(std::chrono::system_clock::now()); }

void to_json(json& j, const ObjectMeta& m) {
  if (!j.is_object()) j = json::object();
  put(j, "name", m.name);
  put(j, "generateName", m.generateName);
  put(j, "namespace", m.namespace_);
  put(j, "uid", m.uid);
  put(j, "resourceVersion", m.resourceVersion);
  put(j, "creationTimestamp", m.creationTimestamp);
  put(j, "deletionTimestamp", m.deletionTimestamp);
  putContainer(j, "labels", m.labels);
  putContainer(j, "annotations", m.annotations);
}

void from_json(const json& j, ObjectMeta& m) {
  m.name = getStr(j, "name");
  m.generateName = getStr(j, "generateName");
  m.namespace_ = getStr(j, "namespace");
  m.uid = getStr(j, "uid");
  m.resourceVersion = getStr(j, "resourceVersion");
  m.creationTimestamp = getStr(j, "creationTimestamp");
  m.deletionTimestamp = getStr(j, "deletionTimestamp");
  m.labels = getStrMap(j, "labels");
  m.annotations = getStrMap(j, "annotations");
}

void to_json(json& j, const CsrCondition& c) {
  j = json::object();
  j["type"] = c.type;
  j["status"] = c.status;
  put(j, "reason", c.reason);
  put(j, "message", c.message);
  put(j, "lastUpdateTime", c.lastUpdateTime);
  put(j, "lastTransitionTime", c.lastTransitionTime);
}

void from_json(const json& j, CsrCondition& c) {
  c.type = getStr(j, "type");
  c.status = getStr(j, "status");
  c.reason = getStr(j, "reason");
  c.message = getStr(j, "message");
  c.lastUpdateTime = getStr(j, "lastUpdateTime");
  c.lastTransitionTime = getStr(j, "lastTransitionTime");
}

void to_json(json& j, const CertificateSigningRequest& o) {
  j = base(o.raw.get(), "certificates.k8s.io/v1", "CertificateSigningRequest");
  to_json(objectAt(j, "metadata"), o.metadata);
  json& spec = objectAt(j, "spec");
  put(spec, "request", o.spec.request.empty() ? std::string() : base64Encode(o.spec.request));
  put(spec, "signerName", o.spec.signerName);
  putOpt(spec, "expirationSeconds", o.spec.expirationSeconds);
  putContainer(spec, "usages", o.spec.usages);
  put(spec, "username", o.spec.username);
  put(spec, "uid", o.spec.uid);
  putContainer(spec, "groups", o.spec.groups);
  putContainer(spec, "extra", o.spec.extra);
  json& status = objectAt(j, "status");
  putContainer(status, "conditions", o.status.conditions);
  put(status, "certificate", o.status.certificate.empty() ? std::string() : base64Encode(o.status.certificate));
  dropIfEmpty(j, "status");
}

namespace {
void decodeFields(const json& j, CertificateSigningRequest& o) {
  o.metadata = j.is_object() && j.contains("metadata") ? j["metadata"].get<ObjectMeta>() : ObjectMeta{};
  const json* spec = field(j, "spec");
  const json& s = spec ? *spec : kEmpty;
  o.spec.request = getBytes(s, "request", "spec.request");
  o.spec.signerName = getStr(s, "signerName");
  o.spec.expirationSeconds = getOpt<int64_t>(s, "expirationSeconds");
  o.spec.usages = getStrings(s, "usages");
  o.spec.username = getStr(s, "username");
  o.spec.uid = getStr(s, "uid");
  o.spec.groups = getStrings(s, "groups");
  o.spec.extra = getExtra(s, "extra");
  const json* status = field(j, "status");
  const json& st = status ? *status : kEmpty;
  o.status.conditions.clear();
  if (const json* c = field(st, "conditions"); c && c->is_array())
    for (const auto& cj : *c) o.status.conditions.push_back(cj.get<CsrCondition>());
  o.status.certificate = getBytes(st, "certificate", "status.certificate");
}
}  // namespace

void from_json(const json& j, CertificateSigningRequest& o) {
  decodeFields(j, o);
  o.raw.set(j);
}

CertificateSigningRequest csrFromJson(json&& j) {
  CertificateSigningRequest o;
  decodeFields(j, o);
  o.raw.set(std::move(j));
  return o;
}

const CsrCondition* findCondition(const CertificateSigningRequest& csr, std::string_view type) {
  for (const auto& c : csr.status.conditions)
    if (c.type == type) return &c;
  return nullptr;
}

bool hasCondition(const CertificateSigningRequest& csr, std::string_view type) {
  for (const auto& c : csr.status.conditions)
    if (c.type == type && (c.status.empty() || c.status == "True")) return true;
  return false;
}

void to_json(json& j, const NodeAddress& a) { j = json{{"type", a.type}, {"address", a.address}}; }
void from_json(const json& j, NodeAddress& a) {
  a.type = getStr(j, "type");
  a.address = getStr(j, "address");
}

void to_json(json& j, const Node& o) {
  j = base(o.raw.get(), "v1", "Node");
  to_json(objectAt(j, "metadata"), o.metadata);
  json& status = objectAt(j, "status");
  putContainer(status, "addresses", o.addresses);
  dropIfEmpty(j, "status");
}

void from_json(const json& j, Node& o) {
  o.raw.set(j);
  o.metadata = j.is_object() && j.contains("metadata") ? j["metadata"].get<ObjectMeta>() : ObjectMeta{};
  o.addresses.clear();
  if (const json* st = field(j, "status"))
    if (const json* a = field(*st, "addresses"); a && a->is_array())
      for (const auto& aj : *a) o.addresses.push_back(aj.get<NodeAddress>());
}

void to_json(json& j, const Lease& o) {
  j = base(o.raw.get(), "coordination.k8s.io/v1", "Lease");
  to_json(objectAt(j, "metadata"), o.metadata);
  json& spec = objectAt(j, "spec");
  putOpt(spec, "holderIdentity", o.holderIdentity);
  putOpt(spec, "leaseDurationSeconds", o.leaseDurationSeconds);
  putOpt(spec, "acquireTime", o.acquireTime);
  putOpt(spec, "renewTime", o.renewTime);
  putOpt(spec, "leaseTransitions", o.leaseTransitions);
}

void from_json(const json& j, Lease& o) {
  o.raw.set(j);
  o.metadata = j.is_object() && j.contains("metadata") ? j["metadata"].get<ObjectMeta>() : ObjectMeta{};
  const json* spec = field(j, "spec");
  const json& s = spec ? *spec : kEmpty;
  o.holderIdentity = getOpt<std::string>(s, "holderIdentity");
  o.leaseDurationSeconds = getOpt<int>(s, "leaseDurationSeconds");
  o.acquireTime = getOpt<std::string>(s, "acquireTime");
  o.renewTime = getOpt<std::string>(s, "renewTime");
  o.leaseTransitions = getOpt<int>(s, "leaseTransitions");
}

void to_json(json& j, const SubjectAccessReview& o) {
  j = base(o.raw.get(), "authorization.k8s.io/v1", "SubjectAccessReview");
  to_json(objectAt(j, "metadata"), o.metadata);
  dropIfEmpty(j, "metadata");
  json& spec = objectAt(j, "spec");
  put(spec, "user", o.spec.user);
  put(spec, "uid", o.spec.uid);
  putContainer(spec, "groups", o.spec.groups);
  putContainer(spec, "extra", o.spec.extra);
  json& ra = objectAt(spec, "resourceAttributes");
  const auto& r = o.spec.resourceAttributes;
  put(ra, "namespace", r.namespace_);
  put(ra, "verb", r.verb);
  put(ra, "group", r.group);
  put(ra, "version", r.version);
  put(ra, "resource", r.resource);
  put(ra, "subresource", r.subresource);
  put(ra, "name", r.name);
  dropIfEmpty(spec, "resourceAttributes");
  json& status = objectAt(j, "status");
  status["allowed"] = o.status.allowed;
  if (o.status.denied)
    status["denied"] = true;
  else
    status.erase("denied");
  put(status, "reason", o.status.reason);
  put(status, "evaluationError", o.status.evaluationError);
}

void from_json(const json& j, SubjectAccessReview& o) {
  o.raw.set(j);
  o.metadata = j.is_object() && j.contains("metadata") ? j["metadata"].get<ObjectMeta>() : ObjectMeta{};
  const json* spec = field(j, "spec");
  const json& s = spec ? *spec : kEmpty;
  o.spec.user = getStr(s, "user");
  o.spec.uid = getStr(s, "uid");
  o.spec.groups = getStrings(s, "groups");
  o.spec.extra = getExtra(s, "extra");
  const json* raj = field(s, "resourceAttributes");
  const json& ra = raj ? *raj : kEmpty;
  auto& r = o.spec.resourceAttributes;
  r.namespace_ = getStr(ra, "namespace");
  r.verb = getStr(ra, "verb");
  r.group = getStr(ra, "group");
  r.version = getStr(ra, "version");
  r.resource = getStr(ra, "resource");
  r.subresource = getStr(ra, "subresource");
  r.name = getStr(ra, "name");
  const json* status = field(j, "status");
  const json& st = status ? *status : kEmpty;
  o.status.allowed = getOr<bool>(st, "allowed", false);
  o.status.denied = getOr<bool>(st, "denied", false);
  o.status.reason = getStr(st, "reason");
  o.status.evaluationError = getStr(st, "evaluationError");
}

void to_json(json& j, const Event& o) {
  j = base(o.raw.get(), "v1", "Event");
  to_json(objectAt(j, "metadata"), o.metadata);
  json& io = objectAt(j, "involvedObject");
  put(io, "kind", o.involvedObject.kind);
  put(io, "apiVersion", o.involvedObject.apiVersion);
  put(io, "name", o.involvedObject.name);
  put(io, "namespace", o.involvedObject.namespace_);
  put(io, "uid", o.involvedObject.uid);
  put(io, "resourceVersion", o.involvedObject.resourceVersion);
  put(j, "reason", o.reason);
  put(j, "message", o.message);
  put(j, "type", o.type);
  json& src = objectAt(j, "source");
  put(src, "component", o.source.component);
  put(src, "host", o.source.host);
  dropIfEmpty(j, "source");
  put(j, "reportingComponent", o.reportingComponent);
  put(j, "reportingInstance", o.reportingInstance);
  put(j, "firstTimestamp", o.firstTimestamp);
  put(j, "lastTimestamp", o.lastTimestamp);
  if (o.count > 0)
    j["count"] = o.count;
  else
    j.erase("count");
  put(j, "action", o.action);
}

void from_json(const json& j, Event& o) {
  o.raw.set(j);
  o.metadata = j.is_object() && j.contains("metadata") ? j["metadata"].get<ObjectMeta>() : ObjectMeta{};
  const json* ioj = field(j, "involvedObject");
  const json& io = ioj ? *ioj : kEmpty;
  o.involvedObject.kind = getStr(io, "kind");
  o.involvedObject.apiVersion = getStr(io, "apiVersion");
  o.involvedObject.name = getStr(io, "name");
  o.involvedObject.namespace_ = getStr(io, "namespace");
  o.involvedObject.uid = getStr(io, "uid");
  o.involvedObject.resourceVersion = getStr(io, "resourceVersion");
  o.reason = getStr(j, "reason");
  o.message = getStr(j, "message");
  o.type = getStr(j, "type");
  const json* srcj = field(j, "source");
  const json& src = srcj ? *srcj : kEmpty;
  o.source.component = getStr(src, "component");
  o.source.host = getStr(src, "host");
  o.reportingComponent = getStr(j, "reportingComponent");
  o.reportingInstance = getStr(j, "reportingInstance");
  o.firstTimestamp = getStr(j, "firstTimestamp");
  o.lastTimestamp = getStr(j, "lastTimestamp");
  o.count = getOpt<int>(j, "count").value_or(0);
  o.action = getStr(j, "action");
}

}  // namespace k8s
