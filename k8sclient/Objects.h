#pragma once
// Typed Kubernetes objects. Each keeps `raw` (the JSON it was read from); to_json overlays the modeled
// fields onto raw, so fields we do not model survive a read-modify-write. Empty strings, empty
// containers and unset optionals are omitted (Go's omitempty), i.e. they remove the key from raw.
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace k8s {

// The JSON an object was read from. Held through a pointer so that this header, included by most
// of controller/, needs only <nlohmann/json_fwd.hpp> (json.hpp costs a translation unit about
// 70,000 preprocessed lines); nothing is allocated until a value is set. Copies are deep.
class RawJson {
 public:
  RawJson() noexcept;
  RawJson(const RawJson& other);
  RawJson(RawJson&& other) noexcept;
  RawJson& operator=(const RawJson& other);
  RawJson& operator=(RawJson&& other) noexcept;
  ~RawJson();

  // The value; JSON null when none was set.
  const nlohmann::json& get() const;
  // The value to change in place (JSON null when none was set).
  nlohmann::json& edit();
  void set(const nlohmann::json& value);
  void set(nlohmann::json&& value);

 private:
  std::unique_ptr<nlohmann::json> value_;
};

struct ObjectMeta {
  std::string name, generateName, namespace_, uid, resourceVersion;
  std::string creationTimestamp, deletionTimestamp;  // RFC3339
  std::map<std::string, std::string> labels, annotations;
};

struct CsrCondition {
  std::string type, status, reason, message, lastUpdateTime, lastTransitionTime;
};

struct CertificateSigningRequest {
  ObjectMeta metadata;
  struct Spec {
    std::string request;  // decoded PEM bytes; base64 on the wire
    std::string signerName;
    std::optional<int64_t> expirationSeconds;
    std::vector<std::string> usages;
    std::string username, uid;
    std::vector<std::string> groups;
    std::map<std::string, std::vector<std::string>> extra;
  } spec;
  struct Status {
    std::vector<CsrCondition> conditions;
    std::string certificate;  // decoded PEM bytes; base64 on the wire
  } status;
  RawJson raw;
};

// The typed object from a tree the caller gives up: the tree becomes raw without a copy.
CertificateSigningRequest csrFromJson(nlohmann::json&& j);

// True when a condition of this type exists with status "True" (or no status, as written before 1.19).
bool hasCondition(const CertificateSigningRequest& csr, std::string_view type);
const CsrCondition* findCondition(const CertificateSigningRequest& csr, std::string_view type);

struct NodeAddress {
  std::string type, address;
};

struct Node {
  ObjectMeta metadata;
  std::vector<NodeAddress> addresses;  // status.addresses
  RawJson raw;
};

struct Lease {
  ObjectMeta metadata;
  std::optional<std::string> holderIdentity;
  std::optional<int> leaseDurationSeconds;
  std::optional<std::string> acquireTime, renewTime;  // RFC3339 with microseconds
  std::optional<int> leaseTransitions;
  RawJson raw;
};

struct ResourceAttributes {
  std::string namespace_, verb, group, version, resource, subresource, name;
};

struct SubjectAccessReview {
  ObjectMeta metadata;
  struct Spec {
    std::string user, uid;
    std::vector<std::string> groups;
    std::map<std::string, std::vector<std::string>> extra;
    ResourceAttributes resourceAttributes;
  } spec;
  struct Status {
    bool allowed = false;
    bool denied = false;
    std::string reason, evaluationError;
  } status;
  RawJson raw;
};

struct ObjectReference {
  std::string kind, apiVersion, name, namespace_, uid, resourceVersion;
};

struct Event {
  ObjectMeta metadata;
  ObjectReference involvedObject;
  std::string reason, message, type;  // type: Normal | Warning
  struct Source {
    std::string component, host;
  } source;
  std::string reportingComponent, reportingInstance;
  std::string firstTimestamp, lastTimestamp;  // RFC3339
  int count = 0;
  std::string action;
  RawJson raw;
};

// Current UTC time: "2026-11-23T11:22:50Z" and "2026-11-23T11:22:50.123456Z".
std::string nowRfc3339();
std::string nowRfc3339Micro();

// Where a type lives in the API. group "" is the core group (/api/v1).
template <class T>
struct ResourceTraits;

template <>
struct ResourceTraits<CertificateSigningRequest> {
  static constexpr const char* group = "certificates.k8s.io";
  static constexpr const char* version = "v1";
  static constexpr const char* plural = "certificatesigningrequests";
  static constexpr const char* kind = "CertificateSigningRequest";
  static constexpr bool namespaced = false;
};
template <>
struct ResourceTraits<Node> {
  static constexpr const char* group = "";
  static constexpr const char* version = "v1";
  static constexpr const char* plural = "nodes";
  static constexpr const char* kind = "Node";
  static constexpr bool namespaced = false;
};
template <>
struct ResourceTraits<Lease> {
  static constexpr const char* group = "coordination.k8s.io";
  static constexpr const char* version = "v1";
  static constexpr const char* plural = "leases";
  static constexpr const char* kind = "Lease";
  static constexpr bool namespaced = true;
};
template <>
struct ResourceTraits<SubjectAccessReview> {
  static constexpr const char* group = "authorization.k8s.io";
  static constexpr const char* version = "v1";
  static constexpr const char* plural = "subjectaccessreviews";
  static constexpr const char* kind = "SubjectAccessReview";
  static constexpr bool namespaced = false;
};
template <>
struct ResourceTraits<Event> {
  static constexpr const char* group = "";
  static constexpr const char* version = "v1";
  static constexpr const char* plural = "events";
  static constexpr const char* kind = "Event";
  static constexpr bool namespaced = true;
};

// Non-template description of a resource, used by the client's and informer's cores.
struct ResourceRef {
  std::string group, version, plural, kind;
  bool namespaced = false;
  std::string apiVersion() const { return group.empty() ? version : group + "/" + version; }
  template <class T>
  static ResourceRef of() {
    using R = ResourceTraits<T>;
    return ResourceRef{R::group, R::version, R::plural, R::kind, R::namespaced};
  }
};

void to_json(nlohmann::json& j, const ObjectMeta& m);
void from_json(const nlohmann::json& j, ObjectMeta& m);
void to_json(nlohmann::json& j, const CsrCondition& c);
void from_json(const nlohmann::json& j, CsrCondition& c);
void to_json(nlohmann::json& j, const CertificateSigningRequest& o);
void from_json(const nlohmann::json& j, CertificateSigningRequest& o);
void to_json(nlohmann::json& j, const NodeAddress& a);
void from_json(const nlohmann::json& j, NodeAddress& a);
void to_json(nlohmann::json& j, const Node& o);
void from_json(const nlohmann::json& j, Node& o);
void to_json(nlohmann::json& j, const Lease& o);
void from_json(const nlohmann::json& j, Lease& o);
void to_json(nlohmann::json& j, const SubjectAccessReview& o);
void from_json(const nlohmann::json& j, SubjectAccessReview& o);
void to_json(nlohmann::json& j, const Event& o);
void from_json(const nlohmann::json& j, Event& o);

}  // namespace k8s
