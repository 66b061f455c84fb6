#include "k8sclient/WatchStream.h"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace k8s {

using nlohmann::json;

const char* to_string(WatchEvent::Type t) {
  switch (t) {
    case WatchEvent::Type::Added: return "ADDED";
    case WatchEvent::Type::Modified: return "MODIFIED";
    case WatchEvent::Type::Deleted: return "DELETED";
    case WatchEvent::Type::Bookmark: return "BOOKMARK";
    case WatchEvent::Type::Error: return "ERROR";
  }
  return "?";
}

const char* to_string(WatchResult::End e) {
  switch (e) {
    case WatchResult::End::Closed: return "closed";
    case WatchResult::End::Gone: return "gone";
    case WatchResult::End::Error: return "error";
    case WatchResult::End::IdleTimeout: return "idle-timeout";
    case WatchResult::End::Cancelled: return "cancelled";
  }
  return "?";
}

WatchEvent WatchDecoder::decodeLine(std::string_view line) {
  auto j = json::parse(line.begin(), line.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw std::runtime_error("watch line is not a JSON object");
  auto t = j.find("type");
  auto o = j.find("object");
  if (t == j.end() || !t->is_string() || o == j.end()) throw std::runtime_error("watch line lacks type or object");
  const std::string& ts = t->get_ref<const std::string&>();
  WatchEvent ev{WatchEvent::Type::Error, std::move(*o)};
  if (ts == "ADDED")
    ev.type = WatchEvent::Type::Added;
  else if (ts == "MODIFIED")
    ev.type = WatchEvent::Type::Modified;
  else if (ts == "DELETED")
    ev.type = WatchEvent::Type::Deleted;
  else if (ts == "BOOKMARK")
    ev.type = WatchEvent::Type::Bookmark;
  else if (ts == "ERROR")
    ev.type = WatchEvent::Type::Error;
  else
    throw std::runtime_error("unknown watch event type '" + ts + "'");
  return ev;
}

namespace {
bool blank(std::string_view s) { return s.find_first_not_of(" \r\t\n") == std::string_view::npos; }
}  // namespace

void WatchDecoder::checkLength(size_t lineBytes) const {
  if (lineBytes > maxLineBytes_)
    throw std::runtime_error("watch event line longer than " + std::to_string(maxLineBytes_) +
                             " bytes (k8s::kMaxStreamLineBytes): ending the watch; the informer watches again");
}

void WatchDecoder::feed(std::string_view bytes, const std::function<void(WatchEvent&&)>& onEvent) {
  size_t start = 0;
  for (;;) {
    size_t nl = bytes.find('\n', start);
    if (nl == std::string_view::npos) break;
    std::string_view piece = bytes.substr(start, nl - start);
    checkLength(pending_.size() + piece.size());
    if (pending_.empty()) {
      if (!blank(piece)) onEvent(decodeLine(piece));
    } else {
      pending_.append(piece);
      std::string line = std::move(pending_);
      pending_.clear();
      if (!blank(line)) onEvent(decodeLine(line));
    }
    start = nl + 1;
  }
  checkLength(pending_.size() + bytes.size() - start);
  pending_.append(bytes.substr(start));
}

void WatchDecoder::finish(const std::function<void(WatchEvent&&)>& onEvent) {
  std::string line = std::move(pending_);
  pending_.clear();
  if (!blank(line)) onEvent(decodeLine(line));
}

WatchStream::WatchStream(KubeClient& client, ResourceRef resource, ListOptions selectors, std::string ns)
    : client_(client), resource_(std::move(resource)), selectors_(std::move(selectors)), ns_(std::move(ns)) {}

std::string WatchStream::path(const std::string& resourceVersion, std::chrono::seconds timeoutSeconds) const {
  std::string p = KubeClient::resourcePath(resource_, ns_) + "?watch=1&allowWatchBookmarks=true";
  if (timeoutSeconds.count() > 0) p += "&timeoutSeconds=" + std::to_string(timeoutSeconds.count());
  if (!resourceVersion.empty()) p += "&resourceVersion=" + KubeClient::urlEncode(resourceVersion);
  if (!selectors_.labelSelector.empty()) p += "&labelSelector=" + KubeClient::urlEncode(selectors_.labelSelector);
  if (!selectors_.fieldSelector.empty()) p += "&fieldSelector=" + KubeClient::urlEncode(selectors_.fieldSelector);
  return p;
}

namespace {
// Thrown from the line callback to end the stream at an ERROR event.
struct ErrorEventSeen {
  Status status;
};

std::string rvOf(const json& obj) {
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return {};
  auto v = m->find("resourceVersion");
  return v != m->end() && v->is_string() ? v->get<std::string>() : std::string();
}
}  // namespace

WatchResult WatchStream::run(const std::string& resourceVersion, std::chrono::seconds timeoutSeconds, std::chrono::seconds idleDeadline,
                             const std::function<void(WatchEvent&)>& onEvent, std::stop_token stop) {
  WatchResult r{WatchResult::End::Closed, resourceVersion, "", 0, false, std::nullopt, 0};
  if (!client_.rateLimiter().wait(stop)) {
    r.end = WatchResult::End::Cancelled;
    return r;
  }
  const auto& hook = client_.options().onRequest;
  HttpRequest req{"GET", path(resourceVersion, timeoutSeconds), {{"Accept", "application/json"}}, ""};
  WatchDecoder decoder;
  auto handle = [&](WatchEvent&& ev) {
    if (ev.type == WatchEvent::Type::Error) {
      std::string body = ev.object.dump();
      throw ErrorEventSeen{parseStatus(500, body)};
    }
    std::string rv = rvOf(ev.object);
    if (!rv.empty()) r.lastResourceVersion = rv;
    ++r.events;
    onEvent(ev);
  };
  try {
    HttpResponse resp = client_.transport().stream(
        req, [&](std::string_view piece) { decoder.feed(piece, handle); }, idleDeadline, stop);
    if (hook) hook("watch", resp.status);
    if (resp.status < 200 || resp.status > 299) {
      Status st = parseStatus(resp.status, resp.body);
      r.httpStatus = st.code;
      r.message = st.message;
      r.retryAfter = parseRetryAfter(resp.header("retry-after"));
      r.end = isGone(ApiError(st)) ? WatchResult::End::Gone : WatchResult::End::Error;
      return r;
    }
    decoder.finish(handle);
    r.end = stop.stop_requested() ? WatchResult::End::Cancelled : WatchResult::End::Closed;
  } catch (const ErrorEventSeen& e) {
    r.errorEvent = true;
    r.httpStatus = e.status.code;
    r.message = e.status.reason + ": " + e.status.message;
    r.end = isGone(ApiError(e.status)) ? WatchResult::End::Gone : WatchResult::End::Error;
  } catch (const TransportError& e) {
    if (hook) hook("watch", 0);
    r.message = e.what();
    if (e.kind() == TransportError::Kind::Cancelled || stop.stop_requested())
      r.end = WatchResult::End::Cancelled;
    else if (e.kind() == TransportError::Kind::Timeout)
      r.end = WatchResult::End::IdleTimeout;
    else
      r.end = WatchResult::End::Error;
  } catch (const std::exception& e) {
    r.message = e.what();
    r.end = stop.stop_requested() ? WatchResult::End::Cancelled : WatchResult::End::Error;
  }
  return r;
}

}  // namespace k8s
