// Watch streaming of the fake kube-apiserver: replays the store's event history from a
// resourceVersion, sends BOOKMARKs, ends at timeoutSeconds, and obeys the drop/silence faults.
#pragma once

#include "tests/fakeapi/Store.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>

namespace fakeapi {

struct WatchSpec {
  const ResourceInfo* resource = nullptr;
  std::string ns;
  Selector selector;
  std::string resourceVersion;  // "" or "0": start with ADDED events for the current state
  bool allowBookmarks = false;
  int timeoutSeconds = 1800;
  bool asTable = false;
  std::string includeObject = "Metadata";
};

// Where a watch writes. begin() is called once, after the start checks passed.
class WatchSink {
 public:
  virtual ~WatchSink() = default;
  virtual void begin() = 0;
  virtual bool write(const std::string& line) = 0;  // false when the client is gone
  virtual bool clientGone() = 0;
};

class WatchHub {
 public:
  WatchHub(Store& store, int bookmarkIntervalSeconds) : store_(store), bookmarkInterval_(bookmarkIntervalSeconds) {}
  // Throws ApiError (410 Expired for a resourceVersion older than the window) before begin().
  void serve(const WatchSpec& spec, WatchSink& sink);
  void dropAll();
  void silence(int seconds);
  // The watches open now on `resource` (plural, e.g. "services"; "" = every resource) stay
  // connected but send nothing more, neither events nor bookmarks, until they reach their
  // timeoutSeconds or the client leaves: a stream dead behind a proxy. Later watches work normally.
  // Returns how many watches were silenced.
  size_t silenceOpen(const std::string& resource);
  // The watches open now on `resource` ("" = every resource) get an in-stream ERROR event with a
  // 410 Expired Status and end, as kube-apiserver ends a watch whose resourceVersion was compacted
  // away under it. Returns how many watches were ended.
  size_t expireOpen(const std::string& resource);
  size_t openWatches() const { return open_.load(); }

 private:
  using Clock = std::chrono::steady_clock;
  bool silenced() const { return Clock::now().time_since_epoch().count() < silenceUntil_.load(); }
  Store& store_;
  int bookmarkInterval_;
  std::atomic<uint64_t> dropGeneration_{0};
  std::atomic<Clock::rep> silenceUntil_{0};
  std::atomic<size_t> open_{0};
  struct Silenceable {
    std::string resource;
    std::atomic<bool> silent{false};
    std::atomic<bool> expire{false};
  };
  struct Registration;
  std::mutex registryMu_;
  std::set<Silenceable*> registry_;
};

// The JSON line of one watch event for this watch (object or Table form).
std::string encodeWatchEvent(const WatchSpec& spec, const std::string& type, const json& obj, bool& firstTable);

}  // namespace fakeapi
