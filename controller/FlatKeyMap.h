// A map from nonzero 64-bit keys to small values in one array of slots (k8s::FlatTable): with
// 300,000 addresses of 100,000 Nodes, a hash node per entry (std::unordered_map) cost twice the
// entry itself. Pointers to values are valid until the next tryEmplace or erase. Not thread-safe.
#pragma once

#include "k8sclient/FlatTable.h"
#include "k8sclient/KeyedHash.h"

#include <cstddef>
#include <cstdint>
#include <utility>

namespace csrop {

template <class Value>
class FlatKeyMap {
 public:
  using Key = std::uint64_t;  // 0 marks an empty slot and is never a key

  Value* find(Key key) {
    auto* slot = table_.find(key);
    return slot ? &slot->value : nullptr;
  }
  const Value* find(Key key) const {
    const auto* slot = table_.find(key);
    return slot ? &slot->value : nullptr;
  }

  // The value of key, value-initialised and inserted when absent; second is true when inserted.
  std::pair<Value*, bool> tryEmplace(Key key) {
    if (Value* found = find(key)) return {found, false};
    return {&table_.insertNew({key, Value{}}).value, true};
  }

  bool erase(Key key) { return table_.take(key).key != 0; }

  std::size_t size() const { return table_.size(); }
  std::size_t slotCount() const { return table_.slotCount(); }

  // f(Key, Value&) for every entry; f must not insert or erase.
  template <class F>
  void forEach(F&& f) {
    table_.forEach([&](auto& slot) { f(slot.key, slot.value); });
  }

 private:
  struct Traits {
    struct Slot {
      std::uint64_t key = 0;
      Value value{};
    };
    using Key = std::uint64_t;
    static bool occupied(const Slot& s) { return s.key != 0; }
    static Key keyOf(const Slot& s) { return s.key; }
    static std::uint64_t hash(Key key) { return k8s::KeyedHash{}(key); }
  };
  k8s::FlatTable<Traits> table_;
};

}  // namespace csrop
