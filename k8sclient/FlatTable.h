// A hash table in one array of slots: open addressing, linear probing, backward-shift deletion (no
// tombstones). With 100,000 Nodes cached, a node-based container (std::set, std::unordered_map)
// spends as much on its node as on the element. Slots are found through KeyedHash, so keys that
// Nodes and requesters choose cannot be picked to pile up in one run. The table is sized to any
// slot count, not a power of two, so it stays between 7/12 and 7/8 full (a power of two would
// leave it half empty for many sizes); it shrinks when a quarter full. Pointers into the table are
// valid until the next insert or erase. Not thread-safe.
//
// Traits says what a slot is: Traits::Slot (default-constructed: empty), Traits::Key,
// static bool occupied(const Slot&), static Key keyOf(const Slot&), static std::uint64_t
// hash(Key).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace k8s {

template <class Traits>
class FlatTable {
 public:
  using Slot = typename Traits::Slot;
  using Key = typename Traits::Key;

  Slot* find(Key key) {
    if (slots_.empty()) return nullptr;
    for (std::size_t i = home(key, slots_.size());; i = next(i)) {
      if (!Traits::occupied(slots_[i])) return nullptr;
      if (Traits::keyOf(slots_[i]) == key) return &slots_[i];
    }
  }
  const Slot* find(Key key) const { return const_cast<FlatTable*>(this)->find(key); }

  // Stores slot in the empty place for its key, which must not be in the table.
  Slot& insertNew(Slot slot) {
    if ((size_ + 1) * 8 > slots_.size() * 7) rehash(std::max<std::size_t>(kMinSlots, slots_.size() * 3 / 2));
    std::size_t i = home(Traits::keyOf(slot), slots_.size());
    while (Traits::occupied(slots_[i])) i = next(i);
    slots_[i] = std::move(slot);
    ++size_;
    return slots_[i];
  }

  // Removes the slot of key and returns what it held; an empty slot when key is not there.
  Slot take(Key key) {
    if (slots_.empty()) return Slot{};
    std::size_t hole = home(key, slots_.size());
    while (!Traits::occupied(slots_[hole]) || Traits::keyOf(slots_[hole]) != key) {
      if (!Traits::occupied(slots_[hole])) return Slot{};
      hole = next(hole);
    }
    Slot out = std::move(slots_[hole]);
    // Every later slot of the run whose probe path crosses the hole moves into it.
    for (std::size_t j = next(hole); Traits::occupied(slots_[j]); j = next(j)) {
      const std::size_t h = home(Traits::keyOf(slots_[j]), slots_.size());
      if (distance(h, hole) < distance(h, j)) {
        slots_[hole] = std::move(slots_[j]);
        hole = j;
      }
    }
    slots_[hole] = Slot{};
    --size_;
    if (slots_.size() > kMinSlots && size_ * 4 < slots_.size()) rehash(std::max<std::size_t>(kMinSlots, size_ * 2));
    return out;
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::size_t slotCount() const { return slots_.size(); }

  // f(Slot&) for every occupied slot; f must not insert or erase.
  template <class F>
  void forEach(F&& f) {
    for (auto& s : slots_)
      if (Traits::occupied(s)) f(s);
  }
  template <class F>
  void forEach(F&& f) const {
    for (const auto& s : slots_)
      if (Traits::occupied(s)) f(s);
  }

 private:
  static constexpr std::size_t kMinSlots = 16;

  // Maps the hash's high half onto [0, slots) by multiplication, which works for any slot count
  // below 2^32.
  static std::size_t home(Key key, std::size_t slots) {
    const std::uint64_t high = static_cast<std::uint64_t>(Traits::hash(key)) >> 32;
    return static_cast<std::size_t>((high * slots) >> 32);
  }
  std::size_t next(std::size_t i) const { return i + 1 == slots_.size() ? 0 : i + 1; }
  // Steps from slot a forward to slot b, wrapping around.
  std::size_t distance(std::size_t a, std::size_t b) const { return b >= a ? b - a : b + slots_.size() - a; }

  void rehash(std::size_t slots) {
    std::vector<Slot> old(slots);
    old.swap(slots_);
    for (auto& s : old) {
      if (!Traits::occupied(s)) continue;
      std::size_t i = home(Traits::keyOf(s), slots_.size());
      while (Traits::occupied(slots_[i])) i = next(i);
      slots_[i] = std::move(s);
    }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace k8s
