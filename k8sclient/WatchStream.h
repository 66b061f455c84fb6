#pragma once
// One watch request: opens ?watch=1&resourceVersion=RV&allowWatchBookmarks=true&timeoutSeconds=N,
// decodes each line as it arrives and reports why the stream ended.
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "k8sclient/KubeClient.h"

namespace k8s {

struct WatchEvent {
  enum class Type { Added, Modified, Deleted, Bookmark, Error } type;
  nlohmann::json object;
};

const char* to_string(WatchEvent::Type t);

// Splits arbitrary byte pieces into lines and decodes each complete line into a WatchEvent.
class WatchDecoder {
 public:
  explicit WatchDecoder(size_t maxLineBytes = kMaxStreamLineBytes) : maxLineBytes_(maxLineBytes) {}
  // Calls onEvent for each complete line in the data seen so far. Throws std::runtime_error on a
  // line that is not a watch event, and on a line (complete or not) longer than maxLineBytes.
  void feed(std::string_view bytes, const std::function<void(WatchEvent&&)>& onEvent);
  // The trailing piece without newline at EOF, if any.
  void finish(const std::function<void(WatchEvent&&)>& onEvent);
  static WatchEvent decodeLine(std::string_view line);

 private:
  void checkLength(size_t lineBytes) const;

  size_t maxLineBytes_;
  std::string pending_;
};

struct WatchResult {
  enum class End {
    Closed,       // server ended the stream normally (timeoutSeconds or EOF): re-watch from lastResourceVersion
    Gone,         // 410 / Expired: relist
    Error,        // ERROR event that is not 410, non-2xx response, transport or decode failure: back off
    IdleTimeout,  // silent past the idle deadline: re-watch from lastResourceVersion
    Cancelled,    // stop requested
  } end;
  std::string lastResourceVersion;  // last seen (events and bookmarks); the starting one when none
  std::string message;
  int httpStatus = 0;       // non-2xx response status, or the code of an ERROR event
  bool errorEvent = false;  // ended by an ERROR event (the informer relists)
  std::optional<std::chrono::seconds> retryAfter;
  size_t events = 0;
};

const char* to_string(WatchResult::End e);

class WatchStream {
 public:
  WatchStream(KubeClient& client, ResourceRef resource, ListOptions selectors, std::string ns = "");
  // Blocks until the stream ends. Bookmarks are passed to onEvent too (they carry the resourceVersion).
  // onEvent may take the event's object: nothing reads it after the call.
  WatchResult run(const std::string& resourceVersion, std::chrono::seconds timeoutSeconds, std::chrono::seconds idleDeadline,
                  const std::function<void(WatchEvent&)>& onEvent, std::stop_token stop);
  std::string path(const std::string& resourceVersion, std::chrono::seconds timeoutSeconds) const;

 private:
  KubeClient& client_;
  ResourceRef resource_;
  ListOptions selectors_;
  std::string ns_;
};

}  // namespace k8s
