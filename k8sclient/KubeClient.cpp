#include "k8sclient/KubeClient.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <cctype>

namespace k8s {

using nlohmann::json;

namespace {
bool is2xx(int s) { return s >= 200 && s < 300; }

json parseBody(const HttpResponse& r, const std::string& method, const std::string& path) {
  if (r.body.empty()) return json::object();
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) throw ApiError(Status{r.status, "InvalidResponse", "response body is not JSON", nullptr}, method, path);
  return j;
}

std::string metaStr(const json& obj, const char* key) {
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return {};
  auto v = m->find(key);
  return v != m->end() && v->is_string() ? v->get<std::string>() : std::string();
}

std::chrono::milliseconds toMs(std::chrono::seconds s) { return std::chrono::duration_cast<std::chrono::milliseconds>(s); }
}  // namespace

KubeClient::KubeClient(std::shared_ptr<HttpTransport> transport, ClientOptions options)
    : transport_(std::move(transport)),
      options_(std::move(options)),
      limiter_(options_.qps, options_.burst, options_.clock ? options_.clock : steadyClock()) {
  if (!options_.clock) options_.clock = steadyClock();
}

std::string KubeClient::urlEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string KubeClient::resourcePath(const ResourceRef& res, const std::string& ns, const std::string& name,
                                     const std::string& subresource) {
  std::string p = res.group.empty() ? "/api/" + res.version : "/apis/" + res.group + "/" + res.version;
  if (res.namespaced && !ns.empty()) p += "/namespaces/" + urlEncode(ns);
  p += "/" + res.plural;
  if (!name.empty()) p += "/" + urlEncode(name);
  if (!subresource.empty()) p += "/" + subresource;
  return p;
}

HttpResponse KubeClient::execute(const std::string& method, const std::string& path, std::string* body) {
  // Reads are retried on 5xx and broken connections; writes only when the server cannot have seen them.
  const bool idempotent = method == "GET";
  std::string verb = method;
  std::transform(verb.begin(), verb.end(), verb.begin(), [](unsigned char c) { return std::tolower(c); });
  Backoff backoff(options_.backoff);
  // Built once for every attempt; the body is moved in, not copied (a CSR's is a few kilobytes).
  HttpRequest req{method, path, {{"Accept", "application/json"}}, body ? std::move(*body) : std::string()};
  if (body) req.headers.emplace_back("Content-Type", "application/json");
  for (int attempt = 0;; ++attempt) {
    if (!limiter_.wait(options_.stop)) throw TransportError(TransportError::Kind::Cancelled, "cancelled");
    HttpResponse resp;
    std::chrono::milliseconds delay{0};
    try {
      resp = transport_->send(req, options_.stop);
    } catch (const TransportError& e) {
      if (options_.onRequest) options_.onRequest(verb, 0);
      bool retryable = e.kind() != TransportError::Kind::Cancelled && (idempotent || e.requestNotSent());
      if (!retryable || attempt >= options_.maxRetries) {
        if (e.kind() != TransportError::Kind::Cancelled)
          spdlog::warn("{} {} failed ({}): {}; giving up after {} attempt(s)", method, path, to_string(e.kind()), e.what(), attempt + 1);
        throw;
      }
      delay = backoff.next();
      spdlog::warn("{} {} failed ({}): {}; retry {}/{} in {} ms", method, path, to_string(e.kind()), e.what(), attempt + 1,
                   options_.maxRetries, delay.count());
      if (!options_.clock->sleepFor(delay, options_.stop)) throw TransportError(TransportError::Kind::Cancelled, "cancelled");
      continue;
    }
    if (options_.onRequest) options_.onRequest(verb, resp.status);
    if (is2xx(resp.status)) return resp;
    // 429 means the server refused the request before acting on it, so every verb may be retried.
    bool retryable = resp.status == 429 || (idempotent && resp.status >= 500 && resp.status <= 599);
    if (!retryable || attempt >= options_.maxRetries) return resp;
    delay = backoff.next();
    if (auto ra = parseRetryAfter(resp.header("retry-after")))
      delay = std::min(toMs(*ra), std::chrono::milliseconds(std::chrono::minutes(5)));
    spdlog::warn("{} {} answered {}; retry {}/{} in {} ms", method, path, resp.status, attempt + 1, options_.maxRetries, delay.count());
    if (!options_.clock->sleepFor(delay, options_.stop)) throw TransportError(TransportError::Kind::Cancelled, "cancelled");
  }
}

HttpResponse KubeClient::succeed(const std::string& method, const std::string& path, const json* body) {
  std::string text = body ? body->dump() : std::string();
  HttpResponse r = execute(method, path, body ? &text : nullptr);
  if (!is2xx(r.status)) throw ApiError::fromResponse(r.status, r.body, method, path);
  return r;
}

json KubeClient::requestJson(const std::string& method, const std::string& path, const std::optional<json>& body) {
  return parseBody(succeed(method, path, body ? &*body : nullptr), method, path);
}

json KubeClient::getJson(const ResourceRef& res, const std::string& name, const std::string& ns) {
  return requestJson("GET", resourcePath(res, ns, name));
}

JsonList KubeClient::listJson(const ResourceRef& res, const ListOptions& o, const std::string& ns) {
  std::string q;
  auto add = [&](const char* k, const std::string& v) {
    if (v.empty()) return;
    q += (q.empty() ? "?" : "&");
    q += k;
    q += "=" + urlEncode(v);
  };
  add("labelSelector", o.labelSelector);
  add("fieldSelector", o.fieldSelector);
  add("resourceVersion", o.resourceVersion);
  add("continue", o.continueToken);
  if (o.limit > 0) add("limit", std::to_string(o.limit));
  const std::string path = resourcePath(res, ns) + q;
  JsonList out;
  json j;
  {
    HttpResponse r = execute("GET", path, nullptr);
    if (!is2xx(r.status)) throw ApiError::fromResponse(r.status, r.body, "GET", path);
    out.bodyBytes = r.body.size();
    j = parseBody(r, "GET", path);
  }
  if (auto it = j.find("items"); it != j.end() && it->is_array()) {
    out.items.reserve(it->size());
    for (auto& item : *it) {
      // Items in a list carry no apiVersion/kind; add them so each object stands alone.
      if (item.is_object()) {
        item["apiVersion"] = res.apiVersion();
        item["kind"] = res.kind;
      }
      out.items.push_back(std::move(item));
    }
  }
  out.resourceVersion = metaStr(j, "resourceVersion");
  out.continueToken = metaStr(j, "continue");
  return out;
}

std::string KubeClient::forEachListPage(const ResourceRef& res, const ListOptions& opts, const std::string& ns,
                                        const std::function<void(JsonList&&)>& onPage) {
  ListOptions o = opts;
  if (opts.maxPageBytes > 0 && opts.limit > 0) o.limit = std::min(opts.limit, ListOptions::kProbePageSize);
  std::size_t seenBytes = 0, seenItems = 0;
  for (;;) {
    JsonList page = listJson(res, o, ns);
    std::string rv = page.resourceVersion, next = page.continueToken;
    seenBytes += page.bodyBytes;
    seenItems += page.items.size();
    onPage(std::move(page));
    if (opts.maxPageBytes > 0 && opts.limit > 0 && seenItems > 0) {
      const std::size_t average = std::max<std::size_t>(1, seenBytes / seenItems);
      o.limit = static_cast<int>(std::clamp<std::size_t>(opts.maxPageBytes / average, 1, static_cast<std::size_t>(opts.limit)));
    }
    if (next.empty()) return rv;
    o.continueToken = next;
    // The continue token pins the snapshot; resourceVersion must not be sent with it.
    o.resourceVersion.clear();
  }
}

JsonList KubeClient::listAllJson(const ResourceRef& res, const ListOptions& opts, const std::string& ns, std::string* rvOut) {
  JsonList all;
  all.resourceVersion = forEachListPage(res, opts, ns, [&](JsonList&& page) {
    for (auto& i : page.items) all.items.push_back(std::move(i));
  });
  if (rvOut) *rvOut = all.resourceVersion;
  return all;
}

json KubeClient::createJson(const ResourceRef& res, const json& obj, const std::string& ns) {
  const std::string path = resourcePath(res, ns.empty() ? metaStr(obj, "namespace") : ns);
  return parseBody(succeed("POST", path, &obj), "POST", path);
}

std::string KubeClient::updatePath(const ResourceRef& res, const json& obj, const std::string& subresource) const {
  std::string name = metaStr(obj, "name");
  if (name.empty()) throw std::invalid_argument("update of a " + res.kind + " without metadata.name");
  return resourcePath(res, metaStr(obj, "namespace"), name, subresource);
}

json KubeClient::updateJson(const ResourceRef& res, const json& obj, const std::string& subresource) {
  const std::string path = updatePath(res, obj, subresource);
  return parseBody(succeed("PUT", path, &obj), "PUT", path);
}

void KubeClient::writeJson(const ResourceRef& res, const json& obj, const std::string& subresource) {
  succeed("PUT", updatePath(res, obj, subresource), &obj);
}

namespace {

// Reads a JSON object's metadata.resourceVersion and stops there: kube-apiserver writes metadata
// before spec and status, so the rest of an answer (most of a CSR's bytes) is not even lexed. Only
// a string directly in the top-level metadata object counts; the first one wins.
class TopLevelResourceVersion : public json::json_sax_t {
 public:
  std::optional<std::string> found;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool string(string_t& value) override {
    if (depth_ != 2 || !inMetadata_ || key_ != "resourceVersion") return true;
    found = std::move(value);
    return false;
  }
  bool key(string_t& key) override {
    if (depth_ == 1) inMetadata_ = key == "metadata";
    if (depth_ <= 2) key_ = std::move(key);
    return true;
  }
  bool start_object(std::size_t) override {
    ++depth_;
    return true;
  }
  bool end_object() override { return leave(); }
  // An answer that is an array is not an object written.
  bool start_array(std::size_t) override { return ++depth_ > 1; }
  bool end_array() override { return leave(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  bool leave() {
    if (--depth_ == 1) inMetadata_ = false;
    return true;
  }
  int depth_ = 0;
  bool inMetadata_ = false;
  string_t key_;
};

}  // namespace

std::string KubeClient::writeJsonVersion(const ResourceRef& res, const json& obj, const std::string& subresource) {
  const std::string path = updatePath(res, obj, subresource);
  HttpResponse r = succeed("PUT", path, &obj);
  TopLevelResourceVersion reader;
  json::sax_parse(r.body, &reader);
  if (!reader.found || reader.found->empty())
    throw ApiError::fromResponse(r.status, "", "PUT",
                                 path + " (the answer carries no metadata.resourceVersion; it is not the object written)");
  return std::move(*reader.found);
}

void KubeClient::removeJson(const ResourceRef& res, const std::string& name, const std::string& ns,
                            const DeletePreconditions* preconditions) {
  if (!preconditions) {
    requestJson("DELETE", resourcePath(res, ns, name));
    return;
  }
  json pre = json::object();
  if (!preconditions->uid.empty()) pre["uid"] = preconditions->uid;
  if (!preconditions->resourceVersion.empty()) pre["resourceVersion"] = preconditions->resourceVersion;
  requestJson("DELETE", resourcePath(res, ns, name),
              json{{"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"preconditions", std::move(pre)}});
}

}  // namespace k8s
