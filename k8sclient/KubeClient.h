#pragma once
// Typed REST operations over HttpTransport with client-side rate limiting and retries.
// Template members are thin wrappers over the JSON core so that including this header stays cheap.
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "k8sclient/ApiError.h"
#include "k8sclient/Backoff.h"
#include "k8sclient/HttpTransport.h"
#include "k8sclient/Objects.h"
#include "k8sclient/RateLimiter.h"

namespace k8s {

struct ListOptions {
  std::string labelSelector, fieldSelector, resourceVersion, continueToken;
  int limit = 0;
  // forEachListPage only, when > 0: the first page asks for kProbePageSize objects; after each page
  // the next page's limit becomes as many objects as fit this many bytes at the average size seen
  // so far (at most `limit`), so a list of big objects is read a few at a time and a list of small
  // ones in full pages.
  std::size_t maxPageBytes = 0;
  static constexpr int kProbePageSize = 4;
};

// DeleteOptions.preconditions: the server deletes only the object with this uid and, when set,
// this resourceVersion, and answers 409 Conflict otherwise (so a sweep never deletes an object that
// was replaced or changed after it was read).
struct DeletePreconditions {
  std::string uid, resourceVersion;
};

template <class T>
struct ObjectList {
  std::vector<T> items;
  std::string resourceVersion, continueToken;
};

struct JsonList {
  std::vector<nlohmann::json> items;
  std::string resourceVersion, continueToken;
  std::size_t bodyBytes = 0;  // size of the response body the page came in
};

struct ClientOptions {
  double qps = 20;  // <= 0: unlimited
  int burst = 40;
  int maxRetries = 5;  // retries after the first attempt
  BackoffPolicy backoff{std::chrono::milliseconds(200), std::chrono::milliseconds(10000), 0.2};
  std::function<void(std::string verb, int code)> onRequest;  // metrics hook; code 0 = transport error
  std::shared_ptr<Clock> clock;                               // rate limiter and retry sleeps; default steady clock
  std::stop_token stop;                                       // aborts waits, backoff sleeps and requests in flight
};

// The rate limit a RestConfig asks for; retries and hooks keep their defaults.
inline ClientOptions clientOptionsFor(const RestConfig& config) {
  ClientOptions o;
  o.qps = config.qps;
  o.burst = config.burst;
  return o;
}

class KubeClient {
 public:
  KubeClient(std::shared_ptr<HttpTransport> transport, ClientOptions options = {});

  template <class T>
  T get(const std::string& name, const std::string& ns = "") {
    return getJson(ResourceRef::of<T>(), name, ns).template get<T>();
  }
  // One page; follow continueToken yourself or use listAll.
  template <class T>
  ObjectList<T> list(const ListOptions& opts = {}, const std::string& ns = "") {
    return typed<T>(listJson(ResourceRef::of<T>(), opts, ns));
  }
  // Every page; rvOut receives the list's resourceVersion (the one to start a watch from).
  template <class T>
  std::vector<T> listAll(const ListOptions& opts = {}, const std::string& ns = "", std::string* rvOut = nullptr) {
    return typed<T>(listAllJson(ResourceRef::of<T>(), opts, ns, rvOut)).items;
  }
  // ns empty: the object's metadata.namespace.
  template <class T>
  T create(const T& obj, const std::string& ns = "") {
    return createJson(ResourceRef::of<T>(), nlohmann::json(obj), ns).template get<T>();
  }
  // PUT; a stale metadata.resourceVersion gives ApiError 409 Conflict.
  template <class T>
  T update(const T& obj) {
    return updateJson(ResourceRef::of<T>(), nlohmann::json(obj), "").template get<T>();
  }
  // PUT to a subresource: "approval" or "status".
  template <class T>
  T updateSubresource(const T& obj, std::string_view subresource) {
    return updateJson(ResourceRef::of<T>(), nlohmann::json(obj), std::string(subresource)).template get<T>();
  }
  // The same PUT when the caller does not read the result: the answer is checked for success but
  // not decoded (decoding a CSR's answer was a twentieth of the operator's CPU per CSR).
  template <class T>
  void writeSubresource(const T& obj, std::string_view subresource) {
    writeJson(ResourceRef::of<T>(), nlohmann::json(obj), std::string(subresource));
  }
  // The same PUT when the caller holds the object and needs only the version the server stored it
  // as, to write its next subresource: the answer is read up to its metadata.resourceVersion.
  template <class T>
  std::string writeSubresourceVersion(const T& obj, std::string_view subresource) {
    return writeJsonVersion(ResourceRef::of<T>(), nlohmann::json(obj), std::string(subresource));
  }
  template <class T>
  void remove(const std::string& name, const std::string& ns = "") {
    removeJson(ResourceRef::of<T>(), name, ns);
  }
  // A stale uid or resourceVersion gives ApiError 409 Conflict.
  template <class T>
  void remove(const std::string& name, const DeletePreconditions& preconditions, const std::string& ns = "") {
    removeJson(ResourceRef::of<T>(), name, ns, &preconditions);
  }

  // JSON core used by the templates, WatchStream and Informer.
  nlohmann::json getJson(const ResourceRef& res, const std::string& name, const std::string& ns = "");
  JsonList listJson(const ResourceRef& res, const ListOptions& opts, const std::string& ns = "");
  // Follows continue tokens, handing each page over as it arrives (so only one page is parsed at a
  // time); returns the list's resourceVersion.
  std::string forEachListPage(const ResourceRef& res, const ListOptions& opts, const std::string& ns,
                              const std::function<void(JsonList&&)>& onPage);
  JsonList listAllJson(const ResourceRef& res, const ListOptions& opts, const std::string& ns = "", std::string* rvOut = nullptr);
  nlohmann::json createJson(const ResourceRef& res, const nlohmann::json& obj, const std::string& ns = "");
  nlohmann::json updateJson(const ResourceRef& res, const nlohmann::json& obj, const std::string& subresource);
  // updateJson without decoding the answer.
  void writeJson(const ResourceRef& res, const nlohmann::json& obj, const std::string& subresource);
  // writeJson, returning the answer's metadata.resourceVersion.
  std::string writeJsonVersion(const ResourceRef& res, const nlohmann::json& obj, const std::string& subresource);
  void removeJson(const ResourceRef& res, const std::string& name, const std::string& ns = "",
                  const DeletePreconditions* preconditions = nullptr);

  // Raw escape hatch: any verb and path (including query). Throws ApiError for non-2xx.
  nlohmann::json requestJson(const std::string& method, const std::string& path, const std::optional<nlohmann::json>& body = std::nullopt);

  // /api/v1/... or /apis/group/version/..., with /namespaces/ns when namespaced and ns is set.
  static std::string resourcePath(const ResourceRef& res, const std::string& ns = "", const std::string& name = "",
                                  const std::string& subresource = "");
  static std::string urlEncode(std::string_view s);

  HttpTransport& transport() { return *transport_; }
  RateLimiter& rateLimiter() { return limiter_; }
  const ClientOptions& options() const { return options_; }

 private:
  template <class T>
  static ObjectList<T> typed(JsonList&& l) {
    ObjectList<T> out;
    out.items.reserve(l.items.size());
    for (auto& j : l.items) out.items.push_back(j.template get<T>());
    out.resourceVersion = std::move(l.resourceVersion);
    out.continueToken = std::move(l.continueToken);
    return out;
  }
  // The body, when there is one, is moved into the request.
  HttpResponse execute(const std::string& method, const std::string& path, std::string* body);
  // execute() with a JSON body; throws ApiError unless the answer is 2xx.
  HttpResponse succeed(const std::string& method, const std::string& path, const nlohmann::json* body);
  std::string updatePath(const ResourceRef& res, const nlohmann::json& obj, const std::string& subresource) const;

  std::shared_ptr<HttpTransport> transport_;
  ClientOptions options_;
  RateLimiter limiter_;
};

}  // namespace k8s
