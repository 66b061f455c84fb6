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

#include "controller/Metrics.h"
#include "k8sclient/Objects.h"
#include "k8sclient/RateLimiter.h"
#include "signers/IpAddress.h"

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
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

  // The keys (IdentityKeys.h) a Node lists: its name, InternalIP/ExternalIP, InternalDNS/ExternalDNS
  // and Hostname (an IP when it parses as one, as the kubelet puts it into an IP SAN).
  static std::vector<std::string> keysOf(const k8s::Node& node);

  uint64_t conflicts() const;

 private:
  struct Entry {
    std::string holder;                  // empty: nobody holds it now
    std::vector<std::string> claimants;  // Nodes listing it now, in the order the index saw them
    bool contested = false;              // listed by several Nodes in the initial list
    std::string formerHolder;            // set while the last holder's hold is within the window
    k8s::Clock::time_point releasedAt{};
  };

  void applyLocked(const std::string& node, std::vector<std::string> keys, bool deleted);
  void claimLocked(const std::string& node, const std::string& key, bool ownName);
  void releaseLocked(const std::string& node, const std::string& key);
  // Ends an expired history hold: the earliest remaining claimant becomes the holder.
  void settleLocked(const std::string& key, Entry& entry, k8s::Clock::time_point now);
  void pruneLocked(k8s::Clock::time_point now);
  std::optional<std::string> otherOwnerLocked(const std::string& nodeName, const std::string& key);
  bool holdsLocked(const std::string& nodeName, const std::string& key);
  void recordConflict(const std::string& claimant, const std::string& key, const std::string& owner);

  Options options_;
  std::shared_ptr<k8s::Clock> clock_;
  Metrics* metrics_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
  std::map<std::string, std::set<std::string>> keysByNode_;
  std::deque<std::pair<k8s::Clock::time_point, std::string>> releases_;  // in time order, for pruning
  uint64_t conflicts_ = 0;
  bool initialListDone_ = false;
};

}  // namespace csrop
