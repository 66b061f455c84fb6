#include "k8sclient/InformerCore.h"

#include <spdlog/spdlog.h>

#include <cstring>
#include <iterator>
#include <mutex>
#include <stdexcept>

namespace k8s {

using nlohmann::json;

namespace {
std::string metaStr(const json& obj, const char* key) {
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return {};
  auto v = m->find(key);
  return v != m->end() && v->is_string() ? v->get<std::string>() : std::string();
}

enum class Change { Add, Update, Delete };
struct Notification {
  Change change;
  json old, now;
};
}  // namespace

InformerCore::InformerCore(KubeClient& client, ResourceRef resource, ListOptions selectors, InformerOptions options)
    : client_(client), resource_(std::move(resource)), selectors_(std::move(selectors)), options_(std::move(options)) {}

std::string InformerCore::keyOf(const json& obj) const {
  std::string name = metaStr(obj, "name");
  std::string ns = metaStr(obj, "namespace");
  if (resource_.namespaced && options_.ns.empty() && !ns.empty()) return ns + "/" + name;
  return name;
}

InformerCore::Entry::Entry(std::string_view key, std::string_view resourceVersion, const std::vector<std::uint8_t>& packed) {
  const std::size_t total = key.size() + resourceVersion.size() + packed.size();
  if (total > UINT32_MAX) throw std::length_error("object too large to cache");
  bytes_ = std::make_unique_for_overwrite<char[]>(total);
  std::memcpy(bytes_.get(), key.data(), key.size());
  std::memcpy(bytes_.get() + key.size(), resourceVersion.data(), resourceVersion.size());
  std::memcpy(bytes_.get() + key.size() + resourceVersion.size(), packed.data(), packed.size());
  keyLength_ = static_cast<std::uint32_t>(key.size());
  rvLength_ = static_cast<std::uint32_t>(resourceVersion.size());
  packedLength_ = static_cast<std::uint32_t>(packed.size());
}

json InformerCore::Entry::decode() const {
  const auto* first = reinterpret_cast<const std::uint8_t*>(bytes_.get() + keyLength_ + rvLength_);
  return json::from_msgpack(first, first + packedLength_);
}

std::optional<json> InformerCore::get(const std::string& key) const {
  std::shared_lock lock(mu_);
  auto it = cache_.find(std::string_view(key));
  if (it == cache_.end()) return std::nullopt;
  return it->decode();
}

InformerCore::Entry InformerCore::pack(const json& obj) const {
  return Entry(keyOf(obj), metaStr(obj, "resourceVersion"), json::to_msgpack(obj));
}

std::vector<json> InformerCore::list() const {
  std::shared_lock lock(mu_);
  std::vector<json> out;
  out.reserve(cache_.size());
  for (const auto& entry : cache_) out.push_back(entry.decode());
  return out;
}

size_t InformerCore::size() const {
  std::shared_lock lock(mu_);
  return cache_.size();
}

std::string InformerCore::lastResourceVersion() const {
  std::shared_lock lock(mu_);
  return resourceVersion_;
}

void InformerCore::setResourceVersion(const std::string& rv) {
  if (rv.empty()) return;
  std::unique_lock lock(mu_);
  resourceVersion_ = rv;
}

namespace {
// A throwing handler must not stop the informer; the next event still has to be delivered.
template <class F>
void callSafely(const char* what, const std::string& kind, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    spdlog::error("informer {}: {} handler threw: {}", kind, what, e.what());
  }
}
}  // namespace

void InformerCore::admit(json item, Cache& into) const {
  if (options_.transform) options_.transform(item);
  Entry entry = pack(item);
  if (auto it = into.find(entry.key()); it != into.end()) into.erase(it);
  into.insert(std::move(entry));
}

void InformerCore::replace(std::vector<json> items, const std::string& resourceVersion) {
  Cache fresh;
  for (auto& item : items) admit(std::move(item), fresh);
  replaceWith(std::move(fresh), resourceVersion);
}

// Handlers get objects decoded one at a time from the packed entries, so a relist of thousands of
// objects never holds them all as JSON trees at once.
void InformerCore::replaceWith(Cache fresh, const std::string& resourceVersion) {
  std::vector<std::pair<Change, std::string>> changes;
  Cache replaced;  // previous state of updated and deleted objects
  {
    std::unique_lock lock(mu_);
    for (const auto& entry : fresh) {
      auto it = cache_.find(entry.key());
      if (it == cache_.end()) {
        changes.emplace_back(Change::Add, entry.key());
      } else if (it->resourceVersion() != entry.resourceVersion()) {
        changes.emplace_back(Change::Update, entry.key());
        replaced.insert(cache_.extract(it));
      }
    }
    for (auto it = cache_.begin(); it != cache_.end();) {
      const auto next = std::next(it);
      if (!fresh.count(it->key())) {
        changes.emplace_back(Change::Delete, it->key());
        replaced.insert(cache_.extract(it));
      }
      it = next;
    }
    cache_ = std::move(fresh);
    if (!resourceVersion.empty()) resourceVersion_ = resourceVersion;
  }
  // Only this informer's thread writes the cache, so what was just stored is still there.
  // Plain references, not a structured binding: clang before 16 cannot capture bindings in lambdas.
  for (const auto& entry : changes) {
    const auto& key = entry.second;
    switch (entry.first) {
      case Change::Add:
        if (onAdd_) callSafely("add", resource_.kind, [&] { onAdd_(*get(key)); });
        break;
      case Change::Update:
        if (onUpdate_) callSafely("update", resource_.kind, [&] { onUpdate_(replaced.find(key)->decode(), *get(key)); });
        break;
      case Change::Delete:
        if (onDelete_) callSafely("delete", resource_.kind, [&] { onDelete_(replaced.find(key)->decode()); });
        break;
    }
  }
}

void InformerCore::apply(const WatchEvent& ev) {
  if (ev.type == WatchEvent::Type::Bookmark) {
    setResourceVersion(metaStr(ev.object, "resourceVersion"));
    return;
  }
  if (ev.type == WatchEvent::Type::Error) return;
  std::optional<json> transformed;
  if (options_.transform) options_.transform(transformed.emplace(ev.object));
  const json& obj = transformed ? *transformed : ev.object;
  std::string rv = metaStr(obj, "resourceVersion");
  std::string key = keyOf(obj);
  Notification note{Change::Add, json(), json()};
  bool notify = false;
  {
    std::unique_lock lock(mu_);
    auto it = cache_.find(std::string_view(key));
    // A repeated event (same resourceVersion as cached) must not move the resume point backwards.
    bool repeat = it != cache_.end() && ev.type != WatchEvent::Type::Deleted && it->resourceVersion() == rv;
    if (!repeat && !rv.empty()) resourceVersion_ = rv;
    if (ev.type == WatchEvent::Type::Deleted) {
      if (it != cache_.end()) {
        note = {Change::Delete, it->decode(), json()};
        cache_.erase(it);
        notify = true;
      }
    } else if (it == cache_.end()) {
      cache_.insert(pack(obj));
      note = {Change::Add, json(), obj};
      notify = true;
    } else if (it->resourceVersion() != rv) {
      // A re-opened watch may repeat an event already seen; an unchanged resourceVersion is not a change.
      note = {Change::Update, it->decode(), obj};
      auto node = cache_.extract(it);
      node.value() = pack(obj);
      cache_.insert(std::move(node));
      notify = true;
    }
  }
  if (!notify) return;
  switch (note.change) {
    case Change::Add:
      if (onAdd_) callSafely("add", resource_.kind, [&] { onAdd_(note.now); });
      break;
    case Change::Update:
      if (onUpdate_) callSafely("update", resource_.kind, [&] { onUpdate_(note.old, note.now); });
      break;
    case Change::Delete:
      // The event carries the object's final state; fall back to the cached one when it is bare.
      if (onDelete_) {
        const json& last = obj.contains("metadata") ? obj : note.old;
        callSafely("delete", resource_.kind, [&] { onDelete_(last); });
      }
      break;
  }
}

bool InformerCore::listOnce(std::stop_token stop) {
  ListOptions o = selectors_;
  o.resourceVersion.clear();
  o.continueToken.clear();
  if (o.limit <= 0) o.limit = options_.listPageSize;
  o.maxPageBytes = options_.maxListPageBytes;
  // Each page is packed as it arrives: a relist of 10,000 CSRs parses 500 at a time instead of
  // building one tree for the whole list next to the cache it replaces.
  Cache fresh;
  const std::string rv = client_.forEachListPage(resource_, o, options_.ns, [&](JsonList&& page) {
    for (auto& item : page.items) admit(std::move(item), fresh);
  });
  if (stop.stop_requested()) return false;
  spdlog::info("informer {}: listed {} object(s) at resourceVersion {}", resource_.kind, fresh.size(), rv);
  replaceWith(std::move(fresh), rv);
  synced_.store(true);
  return true;
}

void InformerCore::run(std::stop_token stop) {
  Backoff backoff(options_.backoff);
  auto clock = client_.options().clock ? client_.options().clock : steadyClock();
  bool needList = true;
  while (!stop.stop_requested()) {
    if (needList) {
      try {
        if (!listOnce(stop)) break;
        needList = false;
      } catch (const std::exception& e) {
        if (stop.stop_requested()) break;
        auto delay = backoff.next();
        spdlog::warn("informer {}: list failed: {}; retrying in {} ms", resource_.kind, e.what(), delay.count());
        clock->sleepFor(delay, stop);
        continue;
      }
    }
    WatchStream ws(client_, resource_, selectors_, options_.ns);
    auto started = std::chrono::steady_clock::now();
    WatchResult r = ws.run(
        lastResourceVersion(), options_.watchTimeout, options_.idleDeadline, [this](const WatchEvent& ev) { apply(ev); }, stop);
    if (r.end == WatchResult::End::Cancelled || stop.stop_requested()) break;
    watchRestarts_.fetch_add(1);
    switch (r.end) {
      case WatchResult::End::Closed:
        spdlog::debug("informer {}: watch closed after {} event(s); resuming from {}", resource_.kind, r.events, r.lastResourceVersion);
        // A server that closes watches at once must not make us spin.
        if (r.events == 0 && std::chrono::steady_clock::now() - started < std::chrono::seconds(1))
          clock->sleepFor(backoff.next(), stop);
        else
          backoff.reset();
        break;
      case WatchResult::End::IdleTimeout:
        spdlog::warn("informer {}: watch silent for {} s (no event or bookmark{}{}); re-opening from resourceVersion {}", resource_.kind,
                     options_.idleDeadline.count(), selectors_.fieldSelector.empty() ? "" : "; ", selectors_.fieldSelector,
                     r.lastResourceVersion);
        break;
      case WatchResult::End::Gone:
        spdlog::info("informer {}: resourceVersion {} expired ({}); relisting", resource_.kind, r.lastResourceVersion, r.message);
        needList = true;
        break;
      case WatchResult::End::Error: {
        auto delay = backoff.next();
        if (r.retryAfter) delay = std::max(delay, std::chrono::duration_cast<std::chrono::milliseconds>(*r.retryAfter));
        if (r.errorEvent) needList = true;
        spdlog::warn("informer {}: watch failed (status {}): {}; {} in {} ms", resource_.kind, r.httpStatus, r.message,
                     needList ? "relisting" : "re-watching", delay.count());
        clock->sleepFor(delay, stop);
        break;
      }
      case WatchResult::End::Cancelled: break;
    }
  }
  spdlog::info("informer {}: stopped", resource_.kind);
}

}  // namespace k8s
