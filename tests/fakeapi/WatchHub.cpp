#include "tests/fakeapi/WatchHub.h"

#include "tests/fakeapi/Table.h"

namespace fakeapi {

std::string encodeWatchEvent(const WatchSpec& spec, const std::string& type, const json& obj, bool& firstTable) {
  if (spec.asTable && (type == "ADDED" || type == "MODIFIED" || type == "DELETED")) {
    json t = renderTable(*spec.resource, {&obj}, spec.includeObject, firstTable,
                         json{{"resourceVersion", obj["metadata"].value("resourceVersion", "")}});
    firstTable = false;
    return json{{"type", type}, {"object", t}}.dump() + "\n";
  }
  return json{{"type", type}, {"object", obj}}.dump() + "\n";
}

namespace {

struct Counter {
  std::atomic<size_t>& n;
  explicit Counter(std::atomic<size_t>& c) : n(c) { ++n; }
  ~Counter() { --n; }
};

bool nsMatches(const WatchSpec& spec, const Event& e) { return spec.ns.empty() || e.ns == spec.ns; }

}  // namespace

void WatchHub::dropAll() {
  auto lk = store_.lock();
  ++dropGeneration_;
  store_.changed().notify_all();
}

void WatchHub::silence(int seconds) {
  auto until = Clock::now() + std::chrono::seconds(seconds);
  silenceUntil_ = until.time_since_epoch().count();
}

size_t WatchHub::silenceOpen(const std::string& resource) {
  std::lock_guard g(registryMu_);
  size_t n = 0;
  for (auto* w : registry_)
    if (resource.empty() || w->resource == resource) {
      w->silent = true;
      ++n;
    }
  return n;
}

size_t WatchHub::expireOpen(const std::string& resource) {
  size_t n = 0;
  {
    std::lock_guard g(registryMu_);
    for (auto* w : registry_)
      if (resource.empty() || w->resource == resource) {
        w->expire = true;
        ++n;
      }
  }
  auto lk = store_.lock();
  store_.changed().notify_all();
  return n;
}

// Makes a watch findable by silenceOpen and expireOpen for as long as it is served.
struct WatchHub::Registration {
  WatchHub& hub;
  Silenceable& watch;
  Registration(WatchHub& h, Silenceable& w) : hub(h), watch(w) {
    std::lock_guard g(hub.registryMu_);
    hub.registry_.insert(&watch);
  }
  ~Registration() {
    std::lock_guard g(hub.registryMu_);
    hub.registry_.erase(&watch);
  }
};

void WatchHub::serve(const WatchSpec& spec, WatchSink& sink) {
  const ResourceInfo& r = *spec.resource;
  uint64_t last = 0;
  std::vector<ObjPtr> initial;
  uint64_t generation;
  {
    auto lk = store_.lock();
    if (spec.resourceVersion.empty() || spec.resourceVersion == "0") {
      for (const auto& o : store_.snapshotLocked(r, spec.ns))
        if (spec.selector.matches(*o)) initial.push_back(o);
      last = store_.currentRvLocked();
    } else {
      try {
        size_t used = 0;
        last = std::stoull(spec.resourceVersion, &used);
        if (used != spec.resourceVersion.size()) throw std::invalid_argument("rv");
      } catch (const std::exception&) {
        throw badRequest("invalid resource version: " + spec.resourceVersion);
      }
      if (last < store_.floorRvLocked())
        throw expired("too old resource version: " + std::to_string(last) + " (" + std::to_string(store_.floorRvLocked()) + ")");
    }
    generation = dropGeneration_.load();
  }
  Counter counter(open_);
  Silenceable self;
  self.resource = r.resource;
  Registration registration(*this, self);
  auto quiet = [&] { return silenced() || self.silent.load(); };
  sink.begin();
  bool firstTable = true;
  for (const auto& o : initial)
    if (!sink.write(encodeWatchEvent(spec, "ADDED", *o, firstTable))) return;

  auto bookmark = [&]() {
    json obj = {{"kind", r.kind}, {"apiVersion", r.apiVersion()}, {"metadata", {{"resourceVersion", std::to_string(last)}}}};
    return sink.write(json{{"type", "BOOKMARK"}, {"object", obj}}.dump() + "\n");
  };
  const auto deadline = Clock::now() + std::chrono::seconds(spec.timeoutSeconds);
  auto nextBookmark = Clock::now() + std::chrono::seconds(bookmarkInterval_);

  while (true) {
    std::vector<Event> events;
    bool tooOld = false;
    uint64_t floor = 0;
    {
      auto lk = store_.lock();
      auto wake = std::min(deadline, Clock::now() + std::chrono::milliseconds(250));
      store_.changed().wait_until(lk, wake, [&] {
        return dropGeneration_.load() != generation || self.expire.load() || (!quiet() && store_.currentRvLocked() > last);
      });
      if (dropGeneration_.load() != generation) return;
      tooOld = self.expire.load();
      if (!tooOld && !quiet() && store_.currentRvLocked() > last && !store_.eventsSinceLocked(last, events)) tooOld = true;
      floor = store_.floorRvLocked();
    }
    if (sink.clientGone()) return;
    if (tooOld) {
      ApiError gone = expired("too old resource version: " + std::to_string(last) + " (" + std::to_string(floor) + ")");
      sink.write(json{{"type", "ERROR"}, {"object", gone.status()}}.dump() + "\n");
      return;
    }
    for (const auto& e : events) {
      last = e.rv;
      if (e.resource != r.qualified() || !nsMatches(spec, e)) continue;
      bool now = spec.selector.matches(*e.object);
      bool before = e.prev && spec.selector.matches(*e.prev);
      std::string type;
      if (e.type == "ADDED")
        type = now ? "ADDED" : "";
      else if (e.type == "DELETED")
        type = before ? "DELETED" : "";
      else
        type = now ? (before ? "MODIFIED" : "ADDED") : (before ? "DELETED" : "");
      if (type.empty()) continue;
      if (!sink.write(encodeWatchEvent(spec, type, *e.object, firstTable))) return;
    }
    if (quiet()) {
      if (Clock::now() >= deadline) return;
      continue;
    }
    if (spec.allowBookmarks && Clock::now() >= nextBookmark) {
      if (!bookmark()) return;
      nextBookmark = Clock::now() + std::chrono::seconds(bookmarkInterval_);
    }
    if (Clock::now() >= deadline) {
      if (spec.allowBookmarks) bookmark();
      return;
    }
  }
}

}  // namespace fakeapi
