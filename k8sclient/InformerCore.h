#pragma once
// Non-template list+watch loop and cache over JSON objects. Informer<T> is a typed veneer on it.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "k8sclient/Backoff.h"
#include "k8sclient/FlatTable.h"
#include "k8sclient/KeyedHash.h"
#include "k8sclient/KubeClient.h"
#include "k8sclient/WatchStream.h"

namespace k8s {

inline constexpr std::chrono::seconds kWatchTimeout{300};

struct InformerOptions {
  std::chrono::seconds watchTimeout{kWatchTimeout};  // timeoutSeconds sent with each watch
  // A watch silent for this long is dropped and re-opened from the last resourceVersion (no relist).
  // Must exceed the server's bookmark interval (about a minute on kube-apiserver); the operator sets
  // client.watchSilenceTimeout. "Silent" is the transport's inactivity timer: cpprest restarts it on
  // every complete HTTP chunk (http_client_asio.cpp, handle_chunk_header and handle_chunk), so a
  // partial line that arrives keeps the watch alive and a chunk that never completes does not.
  // kube-apiserver flushes each event and bookmark as its own chunk.
  std::chrono::seconds idleDeadline{330};
  std::string ns;  // namespaced resources: empty = all namespaces
  // Objects per list page, and (when > 0) the bytes a page should not exceed: a page is held as
  // the response body and as parsed JSON before the transform shrinks it, so big objects want
  // small pages (ListOptions::maxPageBytes).
  int listPageSize = 500;
  std::size_t maxListPageBytes = 0;
  BackoffPolicy backoff{std::chrono::milliseconds(500), std::chrono::milliseconds(30000), 0.2};
  // Applied to every listed or watched object before it is cached and handed to the handlers (like
  // client-go's TransformFunc): a controller drops what it never reads from the cache to keep memory
  // small. It must keep metadata.name, metadata.namespace and metadata.resourceVersion.
  std::function<void(nlohmann::json&)> transform;
  // Applied after transform to what the cache keeps, once the handlers have seen the object whole:
  // get(), list() and the old object of an update or a delete are the object after it. For what a
  // handler indexes elsewhere (the Node cache leaves the addresses to the address index). With it,
  // a listed object's add or update handler runs as its list page is read, before the list
  // replaces the cache (deletions still run after), so the whole objects are never all held at
  // once; a list that fails part way is retried, and its handlers may run again for an object.
  std::function<void(nlohmann::json&)> storeTransform;
  // Cached objects are deflated against a dictionary, the first object this informer caches:
  // objects alike (Nodes) shrink to about a quarter of their MessagePack size, for some
  // microseconds per write and per read.
  bool compressCache = false;
};

class InformerCore {
 public:
  using Json = nlohmann::json;
  enum class Change { Add, Update, Delete };
  InformerCore(KubeClient& client, ResourceRef resource, ListOptions selectors, InformerOptions options);

  // The object an add handler is given is its own: the informer has cached what it keeps and does
  // not read the object again, so the handler may move from it instead of copying it.
  void onAdd(std::function<void(Json&)> f) { onAdd_ = std::move(f); }
  void onUpdate(std::function<void(const Json& old, const Json& now)> f) { onUpdate_ = std::move(f); }
  // For a level-based handler that reads only the new state: the cached old state is then not
  // decoded for it. Not used together with onUpdate. Like an add handler's, the object is its own.
  void onUpdateNew(std::function<void(Json& now)> f) { onUpdateNew_ = std::move(f); }
  void onDelete(std::function<void(const Json&)> f) { onDelete_ = std::move(f); }

  // Blocks: list, then watch until stop. Handlers run on this thread, in order.
  void run(std::stop_token stop);

  bool hasSynced() const { return synced_.load(); }
  std::optional<Json> get(const std::string& key) const;
  std::vector<Json> list() const;
  // The cache keys, decoding nothing: callers that visit every object get() them one at a time.
  std::vector<std::string> keys() const;
  size_t size() const;
  // What the cached objects take in their stored form (MessagePack, deflated with compressCache).
  size_t storedBytes() const;
  uint64_t watchRestarts() const { return watchRestarts_.load(); }
  std::string lastResourceVersion() const;

  // Cache key: the name; "namespace/name" for namespaced objects when watching all namespaces.
  std::string keyOf(const Json& obj) const;

  // Replaces the cache with a fresh list, calling add/update/delete for the differences.
  // Objects whose resourceVersion is unchanged produce no call. Public for tests.
  void replace(std::vector<Json> items, const std::string& resourceVersion);
  // Applies one watch event to the cache and calls the matching handler. Public for tests. Takes
  // the event, so the transform works on its object in place instead of on a copy.
  void apply(WatchEvent ev);

 private:
  bool listOnce(std::stop_token stop);
  void setResourceVersion(const std::string& rv);

  KubeClient& client_;
  ResourceRef resource_;
  ListOptions selectors_;
  InformerOptions options_;
  std::function<void(Json&)> onAdd_;
  std::function<void(const Json&)> onDelete_;
  std::function<void(const Json&, const Json&)> onUpdate_;
  std::function<void(Json&)> onUpdateNew_;

  mutable std::shared_mutex mu_;
  // Objects are kept as MessagePack bytes, not as nlohmann::json trees: a tree costs several
  // times its encoded size in small allocations, and with 10,000 CSRs cached that dominates
  // the operator's memory. Reads decode on demand (a worker reads one object per sync). Each
  // entry is one allocation of exactly its size, holding its key, its resourceVersion and the
  // bytes, in a set ordered by key: with 100,000 Nodes cached, a map node, a key string and a
  // vector grown by doubling cost more than the object itself; the entries sit in a flat table,
  // without a container node each.
  class Entry {
   public:
    Entry() = default;  // an empty slot
    bool occupied() const { return bytes_ != nullptr; }
    // rawLength: the MessagePack size when stored is deflated, 0 when stored is MessagePack.
    Entry(std::string_view key, std::string_view resourceVersion, const std::vector<std::uint8_t>& stored, std::size_t rawLength);
    std::string_view key() const { return {bytes_.get(), keyLength_}; }
    std::string_view resourceVersion() const { return {bytes_.get() + keyLength_, rvLength_}; }
    const std::uint8_t* stored() const { return reinterpret_cast<const std::uint8_t*>(bytes_.get() + keyLength_ + rvLength_); }
    std::size_t storedLength() const { return storedLength_; }
    std::size_t rawLength() const { return rawLength_; }

   private:
    std::unique_ptr<char[]> bytes_;
    std::uint32_t keyLength_ = 0, rvLength_ = 0, storedLength_ = 0, rawLength_ = 0;
  };
  struct EntryTraits {
    using Slot = Entry;
    using Key = std::string_view;
    static bool occupied(const Entry& e) { return e.occupied(); }
    static Key keyOf(const Entry& e) { return e.key(); }
    static std::uint64_t hash(Key key) { return KeyedHash{}(key); }
  };
  using Cache = FlatTable<EntryTraits>;
  // The cache's entries ordered by key.
  static std::vector<const Entry*> sortedEntries(const Cache& cache);
  // Only the informer's thread packs; readers decode. An object that is nothing but its name (its
  // key) and resourceVersion is stored as no bytes.
  Entry pack(const Json& obj);
  // pack() of the object after storeTransform.
  Entry packStored(const Json& obj);
  Json decode(const Entry& entry) const;
  // The old state an update handler is given: decoded only when onUpdate wants it.
  Json oldForUpdate(const Entry& entry) const { return onUpdate_ ? decode(entry) : Json(); }
  // Adds a listed item to a cache being built: transform applied, then packed. With
  // storeTransform, also hands the item to its add or update handler against the current cache.
  void admit(Json item, Cache& into);
  void replaceWith(Cache fresh, const std::string& resourceVersion);
  // now is handed to the add or update-new handler to take; the caller does not read it after.
  void notify(Change change, const Json& old, Json& now);
  Cache cache_;
  // With compressCache: set by the first pack, before any entry that needs it is cached, and never
  // changed after.
  std::vector<std::uint8_t> dictionary_;
  std::string resourceVersion_;
  std::atomic<bool> synced_{false};
  std::atomic<uint64_t> watchRestarts_{0};
};

}  // namespace k8s
