// In-memory object store of the fake kube-apiserver: objects by resource, one global resourceVersion
// counter (like etcd's revision), and a bounded history of change events that watches replay.
#pragma once

#include "tests/fakeapi/Api.h"

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>

namespace fakeapi {

using ObjPtr = std::shared_ptr<const json>;

// Equality-based label selectors (a=b, a==b, a!=b, a, !a) and field selectors (=, ==, !=).
class Selector {
 public:
  static Selector parse(const std::string& labelSelector, const std::string& fieldSelector, const ResourceInfo& r);
  bool matches(const json& obj) const;
  bool empty() const { return labels_.empty() && fields_.empty(); }

 private:
  enum class Op { Eq, Neq, Exists, NotExists };
  struct Req {
    std::string key;
    std::string value;
    Op op;
  };
  std::vector<Req> labels_;
  std::vector<Req> fields_;
};

struct Event {
  uint64_t rv = 0;
  std::string type;      // ADDED, MODIFIED, DELETED
  std::string resource;  // ResourceInfo::qualified()
  std::string ns;
  ObjPtr object;
  ObjPtr prev;  // the object before the change; null for ADDED
};

class Store {
 public:
  explicit Store(size_t window = 10000);

  ObjPtr get(const ResourceInfo& r, const std::string& ns, const std::string& name) const;

  struct ListResult {
    std::vector<ObjPtr> items;
    uint64_t rv = 0;
    std::string cont;
    int64_t remaining = -1;
  };
  // ns empty on a namespaced resource lists every namespace. limit 0 = everything.
  ListResult list(const ResourceInfo& r, const std::string& ns, const Selector& sel, size_t limit, const std::string& cont);

  // Assigns uid, creationTimestamp, resourceVersion and (from generateName) the name.
  ObjPtr create(const ResourceInfo& r, const std::string& ns, json obj);
  // expectedRv empty = unconditional. The mutator gets the stored object and returns the new one;
  // it runs under the store lock, so it sees exactly the version it replaces.
  using Mutator = std::function<json(const json& current)>;
  ObjPtr update(const ResourceInfo& r, const std::string& ns, const std::string& name, const std::string& expectedRv,
                const Mutator& mutate);
  // check (optional) sees the stored object under the store lock and throws to refuse the delete
  // (DeleteOptions.preconditions).
  ObjPtr remove(const ResourceInfo& r, const std::string& ns, const std::string& name,
                const std::function<void(const json& current)>& check = {});

  uint64_t currentRv() const;
  // Every resourceVersion older than now becomes unusable for watches and continue tokens.
  void compact();

  // Watch support. The caller holds lock() while calling the *Locked functions.
  std::unique_lock<std::mutex> lock() const { return std::unique_lock<std::mutex>(mu_); }
  std::condition_variable& changed() const { return cv_; }
  uint64_t currentRvLocked() const { return rv_; }
  uint64_t floorRvLocked() const { return floor_; }
  // Appends events with rv > after; false when `after` predates the retained window.
  bool eventsSinceLocked(uint64_t after, std::vector<Event>& out) const;
  std::vector<ObjPtr> snapshotLocked(const ResourceInfo& r, const std::string& ns) const;

  json saveState() const;
  // saveState for a process about to exit: the store stays locked afterwards, so a write that
  // arrives after the snapshot waits and dies with the process instead of being acknowledged and
  // then lost with it (etcd never acknowledges a write it did not keep).
  json saveStateAndFreeze();
  void loadState(const json& state);
  size_t objectCount() const;

 private:
  static std::string key(const std::string& ns, const std::string& name) { return ns.empty() ? name : ns + "/" + name; }
  void recordLocked(Event e);
  using Bucket = std::map<std::string, ObjPtr>;
  // By plural.group: machines.cluster.x-k8s.io and machines.machine.openshift.io are different objects.
  Bucket& bucket(const ResourceInfo& r) { return objects_[r.qualified()]; }

  json stateLocked() const;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  uint64_t rv_ = 1;
  uint64_t floor_ = 1;  // watches from a resourceVersion below this get 410
  size_t window_;
  std::map<std::string, Bucket> objects_;
  std::deque<Event> history_;

  struct Snapshot {
    uint64_t rv;
    std::vector<ObjPtr> items;
  };
  std::map<uint64_t, Snapshot> snapshots_;  // consistent paginated lists, by id
  uint64_t nextSnapshot_ = 1;
};

}  // namespace fakeapi
