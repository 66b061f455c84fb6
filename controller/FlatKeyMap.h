// A map from nonzero 64-bit keys to small values in one array of slots (open addressing, linear
// probing, backward-shift deletion, so no tombstones): with 300,000 addresses of 100,000 Nodes, a
// hash node per entry (std::unordered_map) costs twice the entry itself. Slots are found through a
// keyed hash (k8s::KeyedHash), so Node-chosen keys cannot be picked to pile up in one run of slots.
// The table is sized to any slot count, not a power of two, so it stays between 7/12 and 7/8 full
// (a power of two would leave it half empty for many sizes); it shrinks when a quarter full.
// Pointers to values are valid until the next tryEmplace or erase. Not thread-safe.
#pragma once

#include "k8sclient/KeyedHash.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace csrop {

template <class Value>
class FlatKeyMap {
 public:
  using Key = std::uint64_t;  // 0 marks an empty slot and is never a key

  Value* find(Key key) {
    if (slots_.empty()) return nullptr;
    for (std::size_t i = home(key, slots_.size());; i = next(i)) {
      if (slots_[i].key == key) return &slots_[i].value;
      if (slots_[i].key == 0) return nullptr;
    }
  }
  const Value* find(Key key) const { return const_cast<FlatKeyMap*>(this)->find(key); }

  // The value of key, value-initialised and inserted when absent; second is true when inserted.
  std::pair<Value*, bool> tryEmplace(Key key) {
    if (Value* found = find(key)) return {found, false};
    if ((size_ + 1) * 8 > slots_.size() * 7) rehash(std::max<std::size_t>(kMinSlots, slots_.size() * 3 / 2));
    std::size_t i = home(key, slots_.size());
    while (slots_[i].key != 0) i = next(i);
    slots_[i] = Slot{key, Value{}};
    ++size_;
    return {&slots_[i].value, true};
  }

  bool erase(Key key) {
    if (slots_.empty()) return false;
    std::size_t hole = home(key, slots_.size());
    while (slots_[hole].key != key) {
      if (slots_[hole].key == 0) return false;
      hole = next(hole);
    }
    // Every later slot of the run whose probe path crosses the hole moves into it.
    for (std::size_t j = next(hole); slots_[j].key != 0; j = next(j)) {
      const std::size_t h = home(slots_[j].key, slots_.size());
      if (distance(h, hole) < distance(h, j)) {
        slots_[hole] = std::move(slots_[j]);
        hole = j;
      }
    }
    slots_[hole] = Slot{};
    --size_;
    if (slots_.size() > kMinSlots && size_ * 4 < slots_.size()) rehash(std::max<std::size_t>(kMinSlots, size_ * 2));
    return true;
  }

  std::size_t size() const { return size_; }
  std::size_t slotCount() const { return slots_.size(); }

  // f(Key, Value&) for every entry; f must not insert or erase.
  template <class F>
  void forEach(F&& f) {
    for (auto& s : slots_)
      if (s.key != 0) f(s.key, s.value);
  }

 private:
  struct Slot {
    Key key = 0;
    Value value{};
  };
  static constexpr std::size_t kMinSlots = 16;

  // Maps the hash's high half onto [0, slots) by multiplication, which works for any slot count
  // below 2^32.
  static std::size_t home(Key key, std::size_t slots) {
    const std::uint64_t high = static_cast<std::uint64_t>(k8s::KeyedHash{}(key)) >> 32;
    return static_cast<std::size_t>((high * slots) >> 32);
  }
  std::size_t next(std::size_t i) const { return i + 1 == slots_.size() ? 0 : i + 1; }
  // Steps from slot a forward to slot b, wrapping around.
  std::size_t distance(std::size_t a, std::size_t b) const { return b >= a ? b - a : b + slots_.size() - a; }

  void rehash(std::size_t slots) {
    std::vector<Slot> old(slots);
    old.swap(slots_);
    for (auto& s : old) {
      if (s.key == 0) continue;
      std::size_t i = home(s.key, slots_.size());
      while (slots_[i].key != 0) i = next(i);
      slots_[i] = std::move(s);
    }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace csrop
