// Which Node owns each IP address and DNS name, as seen through the Node informer, so that a
// kubelet-serving check is O(SANs) and a node cannot take an address another Node holds.
//
// Node status is written by the kubelet itself (NodeRestriction only confines a node to its own
// Node object), so listing an address proves nothing. The rule here: an address belongs to the
// Node that listed it first as the index saw it. A later claimant is a conflict (logged, counted)
// and never blocks the holder. A Node's own name always belongs to the Node of that name, since
// the API server keeps Node names unique. After the holder drops an address, or is deleted, the
// address stays its for historyWindow: a node that waits for its victim to go away and then lists
// the victim's IP does not win it. The price is that an IP reused by a replacement Node with a
// different name is refused for that window (a replacement with the same name is not affected).
// The history is in memory: a restart starts it afresh from the Nodes as they are. The order in
// which Nodes listed an address before the index started cannot be known, so an address that
// several Nodes list in the initial list is contested: nobody holds it (each claimant is told
// another Node claims it) until all but one drop it, and then for the history window. Claims
// seen before initialListDone() are the initial list.
#pragma once

#include "controller/FlatKeyMap.h"
#include "controller/Metrics.h"
#include "controller/NameTable.h"
#include "k8sclient/KeyedHash.h"
#include "k8sclient/Objects.h"
#include "k8sclient/RateLimiter.h"
#include "signers/IpAddress.h"

#include <chrono>
#include <deque>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace csrop {

class AddressIndex {
 public:
  struct Options {
    std::chrono::seconds historyWindow = std::chrono::hours(24);
    // A hostile node could list thousands of addresses; beyond this many, the rest are not indexed
    // (and so never owned by it) and a warning names the node.
    std::size_t maxAddressesPerNode = 64;
  };

  // metrics may be null (tests that only look at ownership).
  AddressIndex(Options options, std::shared_ptr<k8s::Clock> clock, Metrics* metrics);

  // Node informer handlers.
  void nodeAdded(const k8s::Node& node);
  // Call once the Node informer has synced; until then nothing is held by anybody.
  void initialListDone();
  void nodeUpdated(const k8s::Node& now);
  void nodeDeleted(const k8s::Node& node);

  // The Node, other than nodeName, that owns this address or held it within the history window;
  // nullopt when nothing stands in nodeName's way.
  std::optional<std::string> otherOwner(const std::string& nodeName, const signers::IpAddress& ip);
  std::optional<std::string> otherOwner(const std::string& nodeName, std::string_view dnsName);

  // True when the index has seen nodeName list this address and nodeName owns it. An approval
  // needs this, not only the absence of another owner: two Nodes that list an address at the same
  // moment must not both get it before the index has ordered them.
  bool holds(const std::string& nodeName, const signers::IpAddress& ip);
  bool holds(const std::string& nodeName, std::string_view dnsName);

  // The keys (IdentityKeys.h) the index has for a Node, its name's among them, as its last event
  // listed them (at most maxAddressesPerNode addresses); nullopt for a Node it has not seen or saw
  // deleted. The Node cache keeps no addresses: the Node directory reads them here.
  std::optional<std::vector<std::string>> listedKeys(const std::string& nodeName) const;

  // The keys (IdentityKeys.h) a Node lists: its name, InternalIP/ExternalIP, InternalDNS/ExternalDNS
  // and Hostname (an IP when it parses as one, as the kubelet puts it into an IP SAN).
  static std::vector<std::string> keysOf(const k8s::Node& node);

  uint64_t conflicts() const;
  // Addresses and names with an entry of their own. A Node's own name has none while the Node
  // holds it and nobody else lists it (a third of all entries with 100,000 Nodes): its record
  // implies it.
  std::size_t entries() const;
  // Distinct node names and DNS/IPv6 keys held (each stored once); 0 once every Node is gone and
  // its history has expired.
  std::size_t internedNames() const;

 private:
  using Id = NameTable::Id;
  // An identity as the index keys it: kind in the high half, and in the low half an IPv4 address
  // itself, or for a DNS name or an IPv6 address the id of its text (the 16 octets for IPv6) in
  // names_. The kind keeps a DNS name and an IPv6 address whose octets spell it apart.
  using Key = std::uint64_t;
  enum class KeyKind : std::uint64_t { Ip4 = 1, Dns = 2, Ip6 = 3 };

  // Nodes listing an address now, in the order the index saw them. Nearly every address has one
  // claimant: it is kept in the entry, the others in moreClaimants_, so that an entry and its key
  // fill a 24-byte slot of entries_.
  struct Entry {
    Id holder = NameTable::kNone;         // kNone: nobody holds it now
    Id formerHolder = NameTable::kNone;   // set while the last holder's hold is within the window
    Id firstClaimant = NameTable::kNone;  // kNone: no claimant
    std::uint32_t contested : 1 = 0;      // listed by several Nodes in the initial list
    std::uint32_t moreClaimants : 1 = 0;  // moreClaimants_ has the later ones
    // When the last holder let go, in whole seconds after start_, rounded up: a hold lasts up to a
    // second longer than the window, never shorter. 30 bits are 34 years.
    std::uint32_t releasedAt : 30 = 0;
  };
  static_assert(sizeof(Entry) == 16);
  std::uint32_t secondsSinceStart(k8s::Clock::time_point t) const;
  k8s::Clock::time_point releaseTime(const Entry& e) const { return start_ + std::chrono::seconds(e.releasedAt); }
  std::size_t claimantCount(Key key, const Entry& e) const;
  Id claimant(Key key, const Entry& e, std::size_t i) const;
  bool isClaimant(Key key, const Entry& e, Id node) const;
  void addClaimant(Key key, Entry& e, Id node);
  bool removeClaimant(Key key, Entry& e, Id node);  // true when node was a claimant

  // Every Id and Key below holds a reference in names_ while it is stored: entries_ one per key,
  // each holder, former holder and claimant one, keysByNode_ one per node name, releases_ one per
  // key. A Node's listed keys need none, since it is a claimant of each.
  void applyLocked(const std::string& node, std::vector<std::string> keys, bool deleted);
  void claimLocked(Id node, Key key, bool ownName);
  // A Node's own name while its record implies the entry: held by the Node, claimed by it alone.
  bool impliedOwnName(Key key) const;
  // The entry of key; an implied one is stored first, so that it can change. Null when neither.
  Entry* storedEntry(Key key);
  void releaseLocked(Id node, Key key);
  // Ends an expired history hold: the earliest remaining claimant becomes the holder.
  void settleLocked(Key key, Entry& entry, k8s::Clock::time_point now);
  void pruneLocked(k8s::Clock::time_point now);
  std::optional<std::string> otherOwnerLocked(const std::string& nodeName, const std::string& keyText);
  bool holdsLocked(const std::string& nodeName, const std::string& keyText);
  void recordConflict(Id claimant, Key key, Id owner);

  // The key for an identity key text (IdentityKeys.h); with intern, its text is interned and the
  // caller holds a reference, else nullopt when it is not interned (so nothing is indexed for it).
  std::optional<Key> toKey(std::string_view keyText, bool intern);
  std::string keyText(Key key) const;
  void retainKey(Key key);
  void releaseKey(Key key);
  void assign(Id& field, Id value);
  void eraseIfUnused(Key key, const Entry& e);

  Options options_;
  std::shared_ptr<k8s::Clock> clock_;
  k8s::Clock::time_point start_;
  Metrics* metrics_;
  mutable std::mutex mu_;
  NameTable names_;
  FlatKeyMap<Entry> entries_;
  std::unordered_map<Key, std::vector<Id>, k8s::KeyedHash> moreClaimants_;
  // The keys each Node lists now, sorted, by the id of its name: ids are dense, so an array in
  // chunks costs less than a map. keys is null for an id that is no Node's (a DNS key's, or free).
  struct NodeKeys {
    std::unique_ptr<Key[]> keys;
    std::uint32_t count = 0;
  };
  static constexpr std::size_t kNodeKeysChunk = 1024;
  NodeKeys& nodeKeys(Id node);
  const NodeKeys* findNodeKeys(Id node) const;
  std::vector<std::unique_ptr<NodeKeys[]>> keysByNode_;
  std::deque<std::pair<k8s::Clock::time_point, Key>> releases_;  // in time order, for pruning
  uint64_t conflicts_ = 0;
  bool initialListDone_ = false;
};

}  // namespace csrop
