#include "tests/fakeapi/Router.h"

#include "tests/fakeapi/CsrStrategy.h"
#include "tests/fakeapi/CtbStrategy.h"
#include "tests/fakeapi/NodeRestriction.h"
#include "tests/fakeapi/PcrStrategy.h"
#include "tests/fakeapi/Protobuf.h"
#include "tests/fakeapi/Table.h"

#include <algorithm>
#include <optional>
#include <set>

namespace fakeapi {

Response jsonResponse(int status, const json& body) {
  Response r;
  r.status = status;
  r.body = body.dump();
  return r;
}

Response errorResponse(const ApiError& e) {
  Response r = jsonResponse(e.code(), e.status());
  if (e.retryAfter > 0) r.headers.emplace_back("Retry-After", std::to_string(e.retryAfter));
  return r;
}

namespace {

std::string urlDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

ApiError pathNotFound() {
  return ApiError(404, "NotFound", "the server could not find the requested resource", json{{"causes", json::array()}});
}

bool truthy(const std::map<std::string, std::string>& q, const std::string& k) {
  auto it = q.find(k);
  return it != q.end() && (it->second == "true" || it->second == "1");
}

std::string queryValue(const std::map<std::string, std::string>& q, const std::string& k) {
  auto it = q.find(k);
  return it == q.end() ? "" : it->second;
}

std::vector<FieldError> validatePathName(const std::string& name) {
  if (name == ".") return {invalid("metadata.name", name, "may not be '.'")};
  if (name == "..") return {invalid("metadata.name", name, "may not be '..'")};
  if (name.find('/') != std::string::npos) return {invalid("metadata.name", name, "may not contain '/'")};
  if (name.find('%') != std::string::npos) return {invalid("metadata.name", name, "may not contain '%'")};
  return {};
}

struct Preconditions {
  std::optional<std::string> uid, resourceVersion;
};

// The DeleteOptions body of a DELETE (kubectl and client-go send one; an empty body is allowed).
Preconditions deletePreconditions(const std::string& body) {
  Preconditions p;
  if (body.empty()) return p;
  const json options = json::parse(body, nullptr, false);
  if (options.is_discarded() || !options.is_object()) throw badRequest("the body of the request could not be decoded as DeleteOptions");
  const auto pre = options.find("preconditions");
  if (pre == options.end() || pre->is_null()) return p;
  if (!pre->is_object()) throw badRequest("DeleteOptions.preconditions must be an object");
  for (auto [key, into] : {std::pair{"uid", &p.uid}, std::pair{"resourceVersion", &p.resourceVersion}}) {
    const auto v = pre->find(key);
    if (v == pre->end() || v->is_null()) continue;
    if (!v->is_string()) throw badRequest(std::string("DeleteOptions.preconditions.") + key + " must be a string");
    *into = v->get<std::string>();
  }
  return p;
}

json resourceEntry(const ResourceInfo& r) {
  std::string singular = r.kind;
  std::transform(singular.begin(), singular.end(), singular.begin(), ::tolower);
  json e = {{"name", r.resource}, {"singularName", singular}, {"namespaced", r.namespaced}, {"kind", r.kind}, {"verbs", r.verbs}};
  if (!r.shortNames.empty()) e["shortNames"] = r.shortNames;
  return e;
}

}  // namespace

Router::Target Router::parseTarget(const std::string& target) {
  Target t;
  auto q = target.find('?');
  t.path = urlDecode(target.substr(0, q));
  if (q == std::string::npos) return t;
  std::string query = target.substr(q + 1);
  size_t i = 0;
  while (i <= query.size()) {
    size_t j = query.find('&', i);
    if (j == std::string::npos) j = query.size();
    std::string kv = query.substr(i, j - i);
    if (!kv.empty()) {
      auto eq = kv.find('=');
      t.query[urlDecode(kv.substr(0, eq))] = eq == std::string::npos ? "" : urlDecode(kv.substr(eq + 1));
    }
    i = j + 1;
  }
  return t;
}

std::optional<Response> Router::discovery(const std::string& path) const {
  if (path == "/healthz" || path == "/livez" || path == "/readyz") {
    Response r;
    r.contentType = "text/plain; charset=utf-8";
    r.body = "ok";
    return r;
  }
  if (path == "/version")
    return jsonResponse(200, {{"major", "1"},
                              {"minor", "33"},
                              {"gitVersion", "v1.33.0-fake"},
                              {"gitCommit", "fake"},
                              {"gitTreeState", "clean"},
                              {"buildDate", "2025-01-01T00:00:00Z"},
                              {"goVersion", "go1.24"},
                              {"compiler", "gc"},
                              {"platform", "linux/amd64"}});
  if (path == "/api" || path == "/api/")
    return jsonResponse(200, {{"kind", "APIVersions"},
                              {"versions", {"v1"}},
                              {"serverAddressByClientCIDRs", {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", serverAddress}}}}});
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> versionsOf;  // served versions per group, v1 first
  for (const auto& r : resources()) {
    if (r.group.empty() || !served(r)) continue;
    if (std::find(groups.begin(), groups.end(), r.group) == groups.end()) groups.push_back(r.group);
    auto& versions = versionsOf[r.group];
    if (std::find(versions.begin(), versions.end(), r.version) == versions.end()) versions.push_back(r.version);
  }
  auto groupJson = [&versionsOf](const std::string& g) {
    json versions = json::array();
    for (const auto& version : versionsOf.at(g)) versions.push_back({{"groupVersion", g + "/" + version}, {"version", version}});
    return json{{"name", g}, {"versions", versions}, {"preferredVersion", versions.front()}};
  };
  if (path == "/apis" || path == "/apis/") {
    json list = json::array();
    for (const auto& g : groups) list.push_back(groupJson(g));
    return jsonResponse(200, {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", list}});
  }
  auto seg = segments(path);
  if (seg.size() == 2 && seg[0] == "apis" && std::find(groups.begin(), groups.end(), seg[1]) != groups.end()) {
    json g = groupJson(seg[1]);
    g["kind"] = "APIGroup";
    g["apiVersion"] = "v1";
    return jsonResponse(200, g);
  }
  std::string group, version;
  if (seg.size() == 2 && seg[0] == "api")
    version = seg[1];
  else if (seg.size() == 3 && seg[0] == "apis")
    group = seg[1], version = seg[2];
  else
    return std::nullopt;
  json list = json::array();
  for (const auto& r : resources()) {
    if (r.group != group || r.version != version || !served(r)) continue;
    list.push_back(resourceEntry(r));
    for (const auto& sub : r.subresources)
      list.push_back({{"name", r.resource + "/" + sub},
                      {"singularName", ""},
                      {"namespaced", r.namespaced},
                      {"kind", r.kind},
                      {"verbs", {"get", "patch", "update"}}});
  }
  if (list.empty()) return std::nullopt;
  std::string gv = group.empty() ? version : group + "/" + version;
  return jsonResponse(200, {{"kind", "APIResourceList"}, {"apiVersion", "v1"}, {"groupVersion", gv}, {"resources", list}});
}

bool Router::served(const ResourceInfo& r) const { return r.resource != "podcertificaterequests" || r.version == pcrVersion; }

RouteResult Router::handle(const Request& req) {
  RouteResult out;
  std::string verb = req.method;
  std::transform(verb.begin(), verb.end(), verb.begin(), ::tolower);
  std::string resourceName;
  Routed routed;
  try {
    Target t = parseTarget(req.target);
    if (!req.user) throw ApiError(401, "Unauthorized", "Unauthorized");
    if (t.path.rfind("/fake/", 0) == 0) {
      resourceName = "fake";
      out.response = fake(req, t);
    } else if (auto d = discovery(t.path)) {
      resourceName = "discovery";
      out.response = *d;
    } else {
      auto seg = segments(t.path);
      bool isResource = (seg.size() >= 3 && seg[0] == "api") || (seg.size() >= 4 && seg[0] == "apis");
      if (!isResource) throw pathNotFound();
      out = resource(req, t, seg, verb, resourceName, routed);
    }
  } catch (const ApiError& e) {
    out.response = errorResponse(e);
    out.watch.reset();
  } catch (const json::exception& e) {
    out.response = errorResponse(badRequest(std::string("malformed JSON: ") + e.what()));
    out.watch.reset();
  } catch (const std::exception& e) {
    out.response = errorResponse(ApiError(500, "InternalError", std::string("Internal error occurred: ") + e.what()));
    out.watch.reset();
  }
  stats_.record(verb, resourceName, out.watch ? 200 : out.response.status);
  const bool write = verb == "create" || verb == "update" || verb == "patch" || verb == "delete";
  if (write && !routed.resource.empty()) {
    if (audit)
      audit->record({req.user ? req.user->name : "", verb, req.target, routed.resource, routed.subresource, routed.ns, routed.name,
                     out.response.status, routed.injected, &req.body, &out.response.body});
    if (out.response.status < 300) faults_.hold(resourceName, true);
  }
  return out;
}

Response Router::fake(const Request& req, const Target& t) {
  if (!req.user->inGroup("system:masters"))
    throw ApiError(403, "Forbidden", "forbidden: User " + json(req.user->name).dump() + " cannot use the fake admin API");
  if (t.path == "/fake/stats" && req.method == "GET") {
    json s = stats_.report();
    s["openWatches"] = hub_.openWatches();
    s["objects"] = store_.objectCount();
    s["resourceVersion"] = store_.currentRv();
    return jsonResponse(200, s);
  }
  if (t.path == "/fake/faults" && req.method == "GET") return jsonResponse(200, faults_.describe());
  if (t.path == "/fake/clock") {
    // {"advanceSeconds": N} moves the fake's wall clock forward (never back: creation timestamps and
    // the PCR cleaner assume time only grows).
    if (req.method == "POST") {
      json body = json::parse(req.body.empty() ? "{}" : req.body);
      if (!body.is_object() || !body.contains("advanceSeconds") || !body["advanceSeconds"].is_number_integer() ||
          body["advanceSeconds"].get<int64_t>() < 0)
        throw badRequest("clock body must be {\"advanceSeconds\": N} with N a non-negative integer");
      advanceClock(body["advanceSeconds"].get<int64_t>());
    } else if (req.method != "GET") {
      throw ApiError(405, "MethodNotAllowed", "/fake/clock takes GET or POST");
    }
    return jsonResponse(200, {{"now", nowRfc3339()}, {"offsetSeconds", clockOffset()}});
  }
  if (t.path == "/fake/faults" && req.method == "POST") {
    json body = json::parse(req.body.empty() ? "{}" : req.body);
    if (!body.is_object()) throw badRequest("fault body must be a JSON object");
    json applied = json::array();
    for (const auto& [k, v] : body.items()) {
      if (k == "dropWatches") {
        if (v.get<bool>()) hub_.dropAll();
      } else if (k == "failNext") {
        faults_.failNext(v.at("count").get<int>(), v.value("code", 500));
      } else if (k == "throttleNext") {
        faults_.throttleNext(v.at("count").get<int>(), v.value("retryAfter", 1));
      } else if (k == "partition") {
        faults_.failResourceFor(v.at("resource").get<std::string>(), v.value("code", 503),
                                std::chrono::milliseconds(v.at("milliseconds").get<int>()), v.value("user", std::string()));
      } else if (k == "expireNextWatches") {
        faults_.expireNextWatches(v.at("count").get<int>(), v.value("resource", std::string()));
      } else if (k == "expireOpenWatches") {
        // {"resource": "leases"} or {} for every resource; the count lets a test check it hit something.
        applied.push_back({{"expireOpenWatches", hub_.expireOpen(v.value("resource", std::string()))}});
        continue;
      } else if (k == "latency") {
        faults_.addLatency(v.value("resource", std::string()), std::chrono::milliseconds(v.at("milliseconds").get<int>()),
                           v.value("afterWrite", false), std::chrono::milliseconds(v.at("forMilliseconds").get<int>()));
      } else if (k == "compact") {
        if (v.get<bool>()) store_.compact();
      } else if (k == "silenceWatches") {
        hub_.silence(v.get<int>());
      } else if (k == "silenceOpenWatches") {
        // {"resource": "nodes"} or {} for every resource; the count lets a test check it hit something.
        applied.push_back({{"silenceOpenWatches", hub_.silenceOpen(v.value("resource", std::string()))}});
        continue;
      } else {
        throw badRequest("unknown fault " + json(k).dump() +
                         "; known: dropWatches, failNext, throttleNext, partition, compact, silenceWatches, silenceOpenWatches, "
                         "expireNextWatches, expireOpenWatches, latency");
      }
      applied.push_back(k);
    }
    return jsonResponse(200, {{"applied", applied}, {"openWatches", hub_.openWatches()}, {"resourceVersion", store_.currentRv()}});
  }
  throw pathNotFound();
}

json Router::decodeBody(const Request& req, const ResourceInfo& r) const {
  json obj;
  if (req.contentType.rfind(pb::kContentType, 0) == 0) {
    if (r.resource != "certificatesigningrequests")
      throw ApiError(415, "UnsupportedMediaType",
                     "the body of the request was in an unknown format - accepted media types include: application/json");
    obj = pb::decodeCsr(req.body);
  } else if (req.contentType.empty() || req.contentType.find("json") != std::string::npos) {
    try {
      obj = json::parse(req.body);
    } catch (const json::exception& e) {
      throw badRequest(std::string("the body of the request could not be decoded: ") + e.what());
    }
  } else if (req.contentType.find("yaml") != std::string::npos) {
    obj = yamlToJson(req.body);
  } else {
    throw ApiError(415, "UnsupportedMediaType",
                   "the body of the request was in an unknown format - accepted media types include: application/json, "
                   "application/yaml, application/vnd.kubernetes.protobuf");
  }
  if (!obj.is_object()) throw badRequest("the body of the request must be a JSON object");
  std::string kind = obj.value("kind", "");
  std::string apiVersion = obj.value("apiVersion", "");
  if ((!kind.empty() && kind != r.kind) || (!apiVersion.empty() && apiVersion != r.apiVersion()))
    throw badRequest("the API version in the data (" + apiVersion + ") does not match the expected API version (" + r.apiVersion() +
                     ") or the kind (" + kind + ") is not " + r.kind);
  if (!obj["metadata"].is_object()) obj["metadata"] = json::object();
  return obj;
}

json Router::updated(const ResourceInfo& r, const std::string& sub, json incoming, const json& cur, const UserInfo& user) {
  std::string name = cur["metadata"].value("name", "");
  if (r.resource == "certificatesigningrequests") {
    std::string signer = cur.value("spec", json::object()).value("signerName", "");
    if (sub.empty()) return csr::prepareForUpdate(std::move(incoming), cur);
    if (sub == "approval") {
      json obj = csr::prepareForApproval(std::move(incoming), cur);
      auto errs = csr::validateApprovalUpdate(obj, cur);
      if (!errs.empty()) throw invalidObject(r, name, errs);
      if (!csr::authorizedForSigner(authz_, user, "approve", signer))
        throw forbiddenObject(r, name, "user not permitted to approve requests with signerName " + json(signer).dump());
      return obj;
    }
    json obj = csr::prepareForStatus(std::move(incoming), cur);
    auto errs = csr::validateStatusUpdate(obj, cur);
    if (!errs.empty()) throw invalidObject(r, name, errs);
    if (csr::statusChanged(obj, cur) && !csr::authorizedForSigner(authz_, user, "sign", signer))
      throw forbiddenObject(r, name, "user not permitted to sign requests with signerName " + json(signer).dump());
    return obj;
  }
  if (r.resource == "podcertificaterequests") {
    if (sub.empty()) {
      json obj = pcr::prepareForUpdate(std::move(incoming), cur);
      auto errs = pcr::validateUpdate(obj, cur);
      if (!errs.empty()) throw invalidObject(r, name, errs);
      return obj;
    }
    json obj = pcr::prepareForStatus(std::move(incoming), cur);
    auto errs = pcr::validateStatusUpdate(obj, cur, unixNow());
    if (errs.empty() && pcr::statusChanged(obj, cur)) errs = pcr::authorizeSign(authz_, user, cur);
    if (!errs.empty()) throw invalidObject(r, name, errs);
    return obj;
  }
  if (r.resource == "clustertrustbundles") {
    auto errs = ctb::validateUpdate(incoming, cur);
    if (!errs.empty()) throw invalidObject(r, name, errs);
    ctb::admitAttest(authz_, user, incoming, &cur);
    return incoming;
  }
  // Objects with a status subresource: the main resource keeps the stored status, /status keeps
  // everything but the status.
  if (std::find(r.subresources.begin(), r.subresources.end(), "status") != r.subresources.end()) {
    if (sub.empty()) {
      if (cur.contains("status"))
        incoming["status"] = cur["status"];
      else
        incoming.erase("status");
    } else {
      if (cur.contains("spec"))
        incoming["spec"] = cur["spec"];
      else
        incoming.erase("spec");
      incoming["metadata"] = cur["metadata"];
    }
  }
  if (r.resource == "nodes") noderestriction::admitNodeUpdate(user, incoming, cur);
  return incoming;
}

json Router::evaluateSar(json sar) const {
  json spec = sar.value("spec", json::object());
  Attributes a;
  a.user.name = spec.value("user", "");
  a.user.uid = spec.value("uid", "");
  a.user.groups = spec.value("groups", std::vector<std::string>{});
  if (a.user.name.empty() && a.user.groups.empty())
    throw invalidObject(*findResource("authorization.k8s.io", "v1", "subjectaccessreviews"), "",
                        {invalid("spec.user", "", "at least one of user or group must be specified")});
  if (spec.contains("resourceAttributes")) {
    json ra = spec["resourceAttributes"];
    a.verb = ra.value("verb", "");
    a.group = ra.value("group", "");
    a.resource = ra.value("resource", "");
    a.subresource = ra.value("subresource", "");
    a.name = ra.value("name", "");
    a.ns = ra.value("namespace", "");
  } else if (spec.contains("nonResourceAttributes")) {
    a.resourceRequest = false;
    a.path = spec["nonResourceAttributes"].value("path", "");
    a.verb = spec["nonResourceAttributes"].value("verb", "");
  } else {
    throw invalidObject(
        *findResource("authorization.k8s.io", "v1", "subjectaccessreviews"), "",
        {required("spec.resourceAttributes", "exactly one of nonResourceAttributes or resourceAttributes must be specified")});
  }
  bool allowed = authz_.authorize(a);
  sar["apiVersion"] = "authorization.k8s.io/v1";
  sar["kind"] = "SubjectAccessReview";
  sar["metadata"] = {{"creationTimestamp", nullptr}};
  sar["status"] = {{"allowed", allowed}};
  if (allowed) sar["status"]["reason"] = "RBAC: allowed by the fake-apiserver's RBAC rules";
  return sar;
}

RouteResult Router::resource(const Request& req, const Target& t, const std::vector<std::string>& seg, std::string& verb,
                             std::string& resourceName, Routed& routed) {
  size_t i = 0;
  std::string group, version;
  if (seg[0] == "api") {
    version = seg[1];
    i = 2;
  } else {
    group = seg[1];
    version = seg[2];
    i = 3;
  }
  std::vector<std::string> rest(seg.begin() + static_cast<long>(i), seg.end());
  std::string ns;
  if (!rest.empty() && rest[0] == "namespaces") {
    if (rest.size() < 3) throw pathNotFound();
    ns = rest[1];
    rest.erase(rest.begin(), rest.begin() + 2);
  }
  if (rest.empty() || rest.size() > 3) throw pathNotFound();
  const ResourceInfo* r = findResource(group, version, rest[0]);
  if (!r || !served(*r)) throw pathNotFound();
  resourceName = r->resource;
  if (!r->namespaced && !ns.empty()) throw pathNotFound();
  std::string name = rest.size() > 1 ? rest[1] : "";
  std::string sub = rest.size() > 2 ? rest[2] : "";
  if (!sub.empty()) {
    if (std::find(r->subresources.begin(), r->subresources.end(), sub) == r->subresources.end()) throw pathNotFound();
    resourceName += "/" + sub;
  }
  bool watch = truthy(t.query, "watch");
  if (req.method == "GET")
    verb = name.empty() ? (watch ? "watch" : "list") : "get";
  else if (req.method == "POST")
    verb = "create";
  else if (req.method == "PUT")
    verb = "update";
  else if (req.method == "PATCH")
    verb = "patch";
  else if (req.method == "DELETE")
    verb = name.empty() ? "deletecollection" : "delete";
  else
    throw ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  if (r->namespaced && ns.empty() && verb != "list" && verb != "watch") throw pathNotFound();
  if (std::find(r->verbs.begin(), r->verbs.end(), verb) == r->verbs.end() || verb == "deletecollection" ||
      (verb == "create" && !name.empty()))
    throw ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");

  routed = {r->resource, sub, ns, name};
  if (auto injected = faults_.take(r->resource, req.user->name)) {
    routed.injected = true;
    throw *injected;
  }
  if (verb != "watch") faults_.hold(resourceName, false);

  Attributes attrs;
  attrs.user = *req.user;
  attrs.verb = verb;
  attrs.group = group;
  attrs.resource = r->resource;
  attrs.subresource = sub;
  attrs.name = name;
  attrs.ns = ns;
  if (!authz_.authorize(attrs)) throw Authorizer::forbiddenError(attrs);
  if (r->resource == "nodes" && verb != "create") noderestriction::admitNodeRequest(*req.user, verb, name);

  const UserInfo& user = *req.user;
  bool table = wantsTable(req.accept);
  std::string includeObject = queryValue(t.query, "includeObject");
  if (includeObject.empty()) includeObject = "Metadata";
  RouteResult out;

  if (verb == "get") {
    ObjPtr obj = store_.get(*r, ns, name);
    out.response = jsonResponse(200, table ? renderTable(*r, {obj.get()}, includeObject, true,
                                                         json{{"resourceVersion", (*obj)["metadata"].value("resourceVersion", "")}})
                                           : *obj);
    return out;
  }
  if (verb == "list" || verb == "watch") {
    Selector sel = Selector::parse(queryValue(t.query, "labelSelector"), queryValue(t.query, "fieldSelector"), *r);
    if (verb == "watch") {
      WatchSpec w;
      w.resource = r;
      w.ns = ns;
      w.selector = sel;
      w.resourceVersion = queryValue(t.query, "resourceVersion");
      if (!w.resourceVersion.empty() && w.resourceVersion != "0" && faults_.takeWatchExpiry(r->resource))
        throw expired("too old resource version: " + w.resourceVersion + " (injected fault)");
      w.allowBookmarks = truthy(t.query, "allowWatchBookmarks");
      std::string timeout = queryValue(t.query, "timeoutSeconds");
      if (!timeout.empty()) {
        try {
          w.timeoutSeconds = std::max(0, std::stoi(timeout));
        } catch (const std::exception&) {
          throw badRequest("invalid timeoutSeconds: " + timeout);
        }
      }
      w.asTable = table;
      w.includeObject = includeObject;
      out.watch = w;
      return out;
    }
    size_t limit = 0;
    std::string limitText = queryValue(t.query, "limit");
    if (!limitText.empty()) {
      try {
        limit = static_cast<size_t>(std::max(0L, std::stol(limitText)));
      } catch (const std::exception&) {
        throw badRequest("invalid limit: " + limitText);
      }
    }
    auto res = store_.list(*r, ns, sel, limit, queryValue(t.query, "continue"));
    json meta = {{"resourceVersion", std::to_string(res.rv)}};
    if (!res.cont.empty()) meta["continue"] = res.cont;
    if (res.remaining >= 0) meta["remainingItemCount"] = res.remaining;
    if (table) {
      std::vector<const json*> objs;
      for (const auto& o : res.items) objs.push_back(o.get());
      out.response = jsonResponse(200, renderTable(*r, objs, includeObject, true, meta));
    } else {
      json items = json::array();
      for (const auto& o : res.items) items.push_back(*o);
      out.response = jsonResponse(200, {{"kind", r->kind + "List"}, {"apiVersion", r->apiVersion()}, {"metadata", meta}, {"items", items}});
    }
    return out;
  }
  if (verb == "create") {
    json obj = decodeBody(req, *r);
    if (r->resource == "subjectaccessreviews") {
      out.response = jsonResponse(201, evaluateSar(obj));
      return out;
    }
    json& md = obj["metadata"];
    std::string bodyNs = md.value("namespace", "");
    if (r->namespaced && !bodyNs.empty() && bodyNs != ns)
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    std::string objName = md.value("name", "");
    std::vector<FieldError> metaErrs;
    if (objName.empty() && md.value("generateName", "").empty())
      metaErrs.push_back(required("metadata.name", "name or generateName is required"));
    else if (!objName.empty())
      metaErrs = validatePathName(objName);
    if (r->resource == "certificatesigningrequests") {
      if (metaErrs.empty()) csr::admitNodeRestriction(obj, user);
      obj = csr::prepareForCreate(std::move(obj), user);
      auto errs = csr::validate(obj);
      metaErrs.insert(metaErrs.end(), errs.begin(), errs.end());
      if (!metaErrs.empty()) throw invalidObject(*r, objName, metaErrs);
      csr::admitSubjectRestriction(obj);
    } else if (r->resource == "podcertificaterequests") {
      md["namespace"] = ns;
      // NodeRestriction is a mutating admission plugin in kube: it answers before the strategy validates.
      pcr::admitNodeRestriction(obj, user, store_);
      obj = pcr::prepareForCreate(std::move(obj));
      auto errs = pcr::validateCreate(obj, {r->version == "v1", pcrKeyChecks});
      metaErrs.insert(metaErrs.end(), errs.begin(), errs.end());
      if (!metaErrs.empty()) throw invalidObject(*r, objName, metaErrs);
    } else if (r->resource == "clustertrustbundles") {
      auto errs = ctb::validate(obj);
      metaErrs.insert(metaErrs.end(), errs.begin(), errs.end());
      if (!metaErrs.empty()) throw invalidObject(*r, objName, metaErrs);
      ctb::admitAttest(authz_, user, obj, nullptr);
    } else if (!metaErrs.empty()) {
      throw invalidObject(*r, objName, metaErrs);
    }
    if (r->resource == "nodes") noderestriction::admitNodeCreate(user, obj);
    out.response = jsonResponse(201, *store_.create(*r, ns, std::move(obj)));
    return out;
  }
  if (verb == "update") {
    json obj = decodeBody(req, *r);
    std::string bodyName = obj["metadata"].value("name", "");
    if (bodyName != name) throw badRequest("the name of the object (" + bodyName + ") does not match the name on the URL (" + name + ")");
    std::string bodyNs = obj["metadata"].value("namespace", "");
    if (r->namespaced && !bodyNs.empty() && bodyNs != ns)
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    std::string rv = obj["metadata"].value("resourceVersion", "");
    // AllowUnconditionalUpdate() is false in the PodCertificateRequest strategy: a write must say
    // which version it replaces.
    if (rv.empty() && r->resource == "podcertificaterequests")
      throw invalidObject(*r, name,
                          std::vector<FieldError>{FieldError{"FieldValueInvalid", "metadata.resourceVersion",
                                                             "Invalid value: 0x0: must be specified for an update"}});
    auto stored = store_.update(*r, ns, name, rv, [&](const json& cur) { return updated(*r, sub, obj, cur, user); });
    out.response = jsonResponse(200, *stored);
    return out;
  }
  if (verb == "patch") {
    json patch;
    try {
      patch = json::parse(req.body);
    } catch (const json::exception& e) {
      throw badRequest(std::string("the body of the request could not be decoded: ") + e.what());
    }
    const std::string& ct = req.contentType;
    bool jsonPatch = ct.rfind("application/json-patch+json", 0) == 0;
    bool mergePatch = ct.rfind("application/merge-patch+json", 0) == 0 || ct.rfind("application/strategic-merge-patch+json", 0) == 0;
    if (!jsonPatch && !mergePatch)
      throw ApiError(415, "UnsupportedMediaType",
                     "the body of the request was in an unknown format - accepted media types include: "
                     "application/json-patch+json, application/merge-patch+json, "
                     "application/strategic-merge-patch+json");
    auto stored = store_.update(*r, ns, name, "", [&](const json& cur) {
      json patched;
      try {
        patched = jsonPatch ? cur.patch(patch) : [&] {
          json c = cur;
          c.merge_patch(patch);
          return c;
        }();
      } catch (const json::exception& e) {
        throw ApiError(422, "Invalid", std::string("the server rejected our request due to an error in our request: ") + e.what());
      }
      std::string want = patched["metadata"].value("resourceVersion", "");
      if (!want.empty() && want != cur["metadata"].value("resourceVersion", ""))
        throw conflict(*r, name, "the object has been modified; please apply your changes to the latest version and try again");
      if (patched["metadata"].value("name", "") != name) throw badRequest("metadata.name may not be changed by a patch");
      return updated(*r, sub, std::move(patched), cur, user);
    });
    out.response = jsonResponse(200, *stored);
    return out;
  }
  // delete
  const auto preconditions = deletePreconditions(req.body);
  out.response = jsonResponse(200, *store_.remove(*r, ns, name, [&](const json& cur) {
    // Preconditions.Check in k8s.io/apiserver/pkg/storage/interfaces.go; the storage error becomes a
    // 409 Conflict (interpretStorageError in registry/generic/registry/store.go).
    const json& md = cur["metadata"];
    if (preconditions.uid && *preconditions.uid != md.value("uid", ""))
      throw conflict(*r, name,
                     "Precondition failed: UID in precondition: " + *preconditions.uid + ", UID in object meta: " + md.value("uid", ""));
    if (preconditions.resourceVersion && *preconditions.resourceVersion != md.value("resourceVersion", ""))
      throw conflict(*r, name,
                     "Precondition failed: ResourceVersion in precondition: " + *preconditions.resourceVersion +
                         ", ResourceVersion in object meta: " + md.value("resourceVersion", ""));
  }));
  return out;
}

}  // namespace fakeapi
