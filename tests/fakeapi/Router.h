// HTTP routing of the fake kube-apiserver, independent of the network layer: a request (already
// authenticated) goes in, a response or a watch to stream comes out. Discovery, resources, the CSR
// subresources, SubjectAccessReviews, Tables and the /fake/ admin endpoints live here.
#pragma once

#include "tests/fakeapi/Authorizer.h"
#include "tests/fakeapi/Faults.h"
#include "tests/fakeapi/Store.h"
#include "tests/fakeapi/WatchHub.h"

#include <optional>

namespace fakeapi {

struct Request {
  std::string method;
  std::string target;  // path?query
  std::string body;
  std::string contentType;
  std::string accept;
  std::optional<UserInfo> user;
};

struct Response {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct RouteResult {
  Response response;
  std::optional<WatchSpec> watch;  // set: stream this watch instead of sending `response`
};

class Router {
 public:
  Router(Store& store, WatchHub& hub, const Authorizer& authz, Faults& faults, Stats& stats)
      : store_(store), hub_(hub), authz_(authz), faults_(faults), stats_(stats) {}
  RouteResult handle(const Request& req);
  std::string serverAddress = "127.0.0.1:0";  // shown in /api discovery
  // The one version PodCertificateRequests are served in ("v1" as 1.37, "v1beta1" as 1.35/1.36 with
  // the gate); discovery lists only that one.
  std::string pcrVersion = "v1";
  // PodCertificateRequest key material checked at create (stub request, proof of possession).
  bool pcrKeyChecks = true;
  AuditLog* audit = nullptr;  // set: every write request is recorded there

 private:
  struct Target {
    std::string path;
    std::map<std::string, std::string> query;
  };
  static Target parseTarget(const std::string& target);
  std::optional<Response> discovery(const std::string& path) const;
  bool served(const ResourceInfo& r) const;
  Response fake(const Request& req, const Target& t);
  // What a request was routed to, for the audit log: filled in as far as routing got.
  struct Routed {
    std::string resource, subresource, ns, name;
    bool injected = false;  // answered by an injected fault
  };
  RouteResult resource(const Request& req, const Target& t, const std::vector<std::string>& seg, std::string& verbOut,
                       std::string& resourceOut, Routed& routed);
  json decodeBody(const Request& req, const ResourceInfo& r) const;
  // Applies the strategy of (resource, subresource) to turn `incoming` into the object to store.
  json updated(const ResourceInfo& r, const std::string& sub, json incoming, const json& current, const UserInfo& user);
  json evaluateSar(json sar) const;

  Store& store_;
  WatchHub& hub_;
  const Authorizer& authz_;
  Faults& faults_;
  Stats& stats_;
};

Response jsonResponse(int status, const json& body);
Response errorResponse(const ApiError& e);

}  // namespace fakeapi
