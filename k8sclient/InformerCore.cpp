#include "k8sclient/InformerCore.h"

#include <spdlog/spdlog.h>
#include <zlib.h>

#include <algorithm>
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

using Change = InformerCore::Change;

bool isOnlyNameAndVersion(const json& obj, std::string_view key) {
  if (!obj.is_object() || obj.size() != 1) return false;
  const auto meta = obj.find("metadata");
  if (meta == obj.end() || !meta->is_object() || meta->size() != 2) return false;
  const auto name = meta->find("name");
  const auto rv = meta->find("resourceVersion");
  return name != meta->end() && name->is_string() && name->get_ref<const std::string&>() == key && rv != meta->end() && rv->is_string();
}
}  // namespace

InformerCore::InformerCore(KubeClient& client, ResourceRef resource, ListOptions selectors, InformerOptions options)
    : client_(client), resource_(std::move(resource)), selectors_(std::move(selectors)), options_(std::move(options)) {}

std::string InformerCore::keyOf(const json& obj) const {
  std::string name = metaStr(obj, "name");
  std::string ns = metaStr(obj, "namespace");
  if (resource_.namespaced && options_.ns.empty() && !ns.empty()) return ns + "/" + name;
  return name;
}

InformerCore::Entry::Entry(std::string_view key, std::string_view resourceVersion, const std::vector<std::uint8_t>& stored,
                           std::size_t rawLength) {
  const std::size_t total = key.size() + resourceVersion.size() + stored.size();
  if (total > UINT32_MAX || rawLength > UINT32_MAX) throw std::length_error("object too large to cache");
  bytes_ = std::make_unique_for_overwrite<char[]>(total);
  // memcpy from an empty view's null data() is undefined, even for no bytes.
  const auto put = [](char* to, const void* from, std::size_t n) {
    if (n > 0) std::memcpy(to, from, n);
  };
  put(bytes_.get(), key.data(), key.size());
  put(bytes_.get() + key.size(), resourceVersion.data(), resourceVersion.size());
  put(bytes_.get() + key.size() + resourceVersion.size(), stored.data(), stored.size());
  keyLength_ = static_cast<std::uint32_t>(key.size());
  rvLength_ = static_cast<std::uint32_t>(resourceVersion.size());
  storedLength_ = static_cast<std::uint32_t>(stored.size());
  rawLength_ = static_cast<std::uint32_t>(rawLength);
}

namespace {

// Raw deflate (no zlib header or checksum: the bytes never leave this process). One stream per
// thread, reset for each object. A 4 KiB window holds the dictionary, and the smallest hash table
// keeps the reset for each object cheap (5.5 us per compacted Node against 8 with zlib's defaults,
// the same size).
constexpr int kWindowBits = 12;
constexpr std::size_t kMaxDictionary = 2048;

class Deflater {
 public:
  Deflater() {
    if (deflateInit2(&z_, Z_BEST_COMPRESSION, Z_DEFLATED, -kWindowBits, 1, Z_DEFAULT_STRATEGY) != Z_OK) throw std::bad_alloc();
  }
  ~Deflater() { deflateEnd(&z_); }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  std::vector<std::uint8_t> run(const std::vector<std::uint8_t>& dictionary, const std::vector<std::uint8_t>& in) {
    if (deflateReset(&z_) != Z_OK || deflateSetDictionary(&z_, dictionary.data(), static_cast<uInt>(dictionary.size())) != Z_OK)
      throw std::runtime_error("deflate: cannot set the dictionary");
    std::vector<std::uint8_t> out(deflateBound(&z_, static_cast<uLong>(in.size())));
    z_.next_in = const_cast<Bytef*>(in.data());
    z_.avail_in = static_cast<uInt>(in.size());
    z_.next_out = out.data();
    z_.avail_out = static_cast<uInt>(out.size());
    if (deflate(&z_, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate failed");
    out.resize(out.size() - z_.avail_out);
    return out;
  }

 private:
  z_stream z_{};
};

class Inflater {
 public:
  Inflater() {
    if (inflateInit2(&z_, -kWindowBits) != Z_OK) throw std::bad_alloc();
  }
  ~Inflater() { inflateEnd(&z_); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  std::vector<std::uint8_t> run(const std::vector<std::uint8_t>& dictionary, const std::uint8_t* in, std::size_t length,
                                std::size_t rawLength) {
    std::vector<std::uint8_t> out(rawLength);
    if (inflateReset(&z_) != Z_OK || inflateSetDictionary(&z_, dictionary.data(), static_cast<uInt>(dictionary.size())) != Z_OK)
      throw std::runtime_error("inflate: cannot set the dictionary");
    z_.next_in = const_cast<Bytef*>(in);
    z_.avail_in = static_cast<uInt>(length);
    z_.next_out = out.data();
    z_.avail_out = static_cast<uInt>(out.size());
    if (inflate(&z_, Z_FINISH) != Z_STREAM_END || z_.avail_out != 0) throw std::runtime_error("inflate: cached object is corrupt");
    return out;
  }

 private:
  z_stream z_{};
};

}  // namespace

InformerCore::Entry InformerCore::pack(const json& obj) {
  const std::string key = keyOf(obj);
  if (isOnlyNameAndVersion(obj, key)) return Entry(key, metaStr(obj, "resourceVersion"), {}, 0);
  auto packed = json::to_msgpack(obj);
  if (!options_.compressCache) return Entry(key, metaStr(obj, "resourceVersion"), packed, 0);
  if (dictionary_.empty()) dictionary_.assign(packed.begin(), packed.begin() + std::min(packed.size(), kMaxDictionary));
  thread_local Deflater deflater;
  return Entry(key, metaStr(obj, "resourceVersion"), deflater.run(dictionary_, packed), packed.size());
}

InformerCore::Entry InformerCore::packStored(const json& obj) {
  if (!options_.storeTransform) return pack(obj);
  json stored = obj;
  options_.storeTransform(stored);
  return pack(stored);
}

json InformerCore::decode(const Entry& entry) const {
  if (entry.storedLength() == 0)
    return json{{"metadata", {{"name", std::string(entry.key())}, {"resourceVersion", std::string(entry.resourceVersion())}}}};
  if (entry.rawLength() == 0) return json::from_msgpack(entry.stored(), entry.stored() + entry.storedLength());
  thread_local Inflater inflater;
  const auto packed = inflater.run(dictionary_, entry.stored(), entry.storedLength(), entry.rawLength());
  return json::from_msgpack(packed);
}

std::optional<json> InformerCore::get(const std::string& key) const {
  std::shared_lock lock(mu_);
  const Entry* entry = cache_.find(key);
  if (!entry) return std::nullopt;
  return decode(*entry);
}

std::vector<json> InformerCore::list() const {
  std::shared_lock lock(mu_);
  std::vector<json> out;
  out.reserve(cache_.size());
  for (const Entry* entry : sortedEntries(cache_)) out.push_back(decode(*entry));
  return out;
}

std::vector<std::string> InformerCore::keys() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  out.reserve(cache_.size());
  for (const Entry* entry : sortedEntries(cache_)) out.emplace_back(entry->key());
  return out;
}

size_t InformerCore::size() const {
  std::shared_lock lock(mu_);
  return cache_.size();
}

size_t InformerCore::storedBytes() const {
  std::shared_lock lock(mu_);
  size_t total = 0;
  cache_.forEach([&](const Entry& entry) { total += entry.storedLength(); });
  return total;
}

std::vector<const InformerCore::Entry*> InformerCore::sortedEntries(const Cache& cache) {
  std::vector<const Entry*> out;
  out.reserve(cache.size());
  cache.forEach([&](const Entry& entry) { out.push_back(&entry); });
  std::sort(out.begin(), out.end(), [](const Entry* a, const Entry* b) { return a->key() < b->key(); });
  return out;
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

void InformerCore::admit(json item, Cache& into) {
  if (options_.transform) options_.transform(item);
  Entry entry = packStored(item);
  if (options_.storeTransform) {
    std::optional<json> old;
    bool changed = true;
    {
      std::shared_lock lock(mu_);
      if (const Entry* cached = cache_.find(entry.key())) {
        changed = cached->resourceVersion() != entry.resourceVersion();
        if (changed) old = oldForUpdate(*cached);
      }
    }
    if (changed) notify(old ? Change::Update : Change::Add, old ? *old : json(), item);
  }
  into.take(entry.key());
  into.insertNew(std::move(entry));
}

void InformerCore::notify(Change change, const json& old, json& now) {
  switch (change) {
    case Change::Add:
      if (onAdd_) callSafely("add", resource_.kind, [&] { onAdd_(now); });
      break;
    case Change::Update:
      // onUpdate first: onUpdateNew may take the object.
      if (onUpdate_) callSafely("update", resource_.kind, [&] { onUpdate_(old, now); });
      if (onUpdateNew_) callSafely("update", resource_.kind, [&] { onUpdateNew_(now); });
      break;
    case Change::Delete:
      if (onDelete_) callSafely("delete", resource_.kind, [&] { onDelete_(old); });
      break;
  }
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
    fresh.forEach([&](const Entry& entry) {
      const Entry* cached = cache_.find(entry.key());
      if (!cached) {
        changes.emplace_back(Change::Add, entry.key());
      } else if (cached->resourceVersion() != entry.resourceVersion()) {
        changes.emplace_back(Change::Update, entry.key());
      }
    });
    cache_.forEach([&](const Entry& entry) {
      if (!fresh.find(entry.key())) changes.emplace_back(Change::Delete, entry.key());
    });
    for (const auto& [change, key] : changes)
      if (change != Change::Add) replaced.insertNew(cache_.take(key));
    cache_ = std::move(fresh);
    if (!resourceVersion.empty()) resourceVersion_ = resourceVersion;
  }
  // In key order, deletions last, whatever order the table holds them in.
  std::sort(changes.begin(), changes.end(), [](const auto& a, const auto& b) {
    return std::pair(a.first == Change::Delete, std::string_view(a.second)) <
           std::pair(b.first == Change::Delete, std::string_view(b.second));
  });
  // Only this informer's thread writes the cache, so what was just stored is still there. With
  // storeTransform, admit() has already run the add and update handlers.
  for (const auto& [change, key] : changes) {
    if (change != Change::Delete && options_.storeTransform) continue;
    json old, now;
    if (change == Change::Update) old = oldForUpdate(*replaced.find(key));
    if (change == Change::Delete) old = decode(*replaced.find(key));
    if (change != Change::Delete) now = *get(key);
    notify(change, old, now);
  }
}

void InformerCore::apply(WatchEvent ev) {
  if (ev.type == WatchEvent::Type::Bookmark) {
    setResourceVersion(metaStr(ev.object, "resourceVersion"));
    return;
  }
  if (ev.type == WatchEvent::Type::Error) return;
  if (options_.transform) options_.transform(ev.object);
  json& obj = ev.object;
  std::string rv = metaStr(obj, "resourceVersion");
  std::string key = keyOf(obj);
  Change change = Change::Add;
  json old;
  bool changed = false;
  {
    std::unique_lock lock(mu_);
    Entry* cached = cache_.find(key);
    // A repeated event (same resourceVersion as cached) must not move the resume point backwards.
    bool repeat = cached && ev.type != WatchEvent::Type::Deleted && cached->resourceVersion() == rv;
    if (!repeat && !rv.empty()) resourceVersion_ = rv;
    if (ev.type == WatchEvent::Type::Deleted) {
      if (cached) {
        change = Change::Delete;
        // A delete event carries the object's final state; fall back to the cached one when it is bare.
        if (!obj.contains("metadata")) old = decode(*cached);
        cache_.take(key);
        changed = true;
      }
    } else if (!cached) {
      cache_.insertNew(packStored(obj));
      changed = true;
    } else if (cached->resourceVersion() != rv) {
      // A re-opened watch may repeat an event already seen; an unchanged resourceVersion is not a change.
      change = Change::Update;
      old = oldForUpdate(*cached);
      // Same key, so the slot stays where it is.
      *cached = packStored(obj);
      changed = true;
    }
  }
  if (!changed) return;
  if (change == Change::Delete) {
    json none;
    notify(change, old.is_null() ? obj : old, none);
    return;
  }
  notify(change, old, obj);
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
        lastResourceVersion(), options_.watchTimeout, options_.idleDeadline, [this](WatchEvent& ev) { apply(std::move(ev)); }, stop);
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
