// Each distinct name stored once, named by a small id, so that an index over 100,000 Nodes holds a
// 4-byte id per mention of a Node instead of a copy of its name. Names are counted references: a
// name is freed, and its id reused, when the last holder releases it.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace csrop {

class NameTable {
 public:
  using Id = std::uint32_t;
  static constexpr Id kNone = 0;  // never the id of a name

  // The id of text, interned if it is new; either way one more reference to it.
  Id acquire(std::string_view text);
  void retain(Id id);
  // Drops one reference; the last one frees the name. kNone is ignored.
  void release(Id id);

  // kNone when text is not interned.
  Id find(std::string_view text) const;
  // Valid while id is referenced.
  std::string_view text(Id id) const;
  // Names currently interned.
  std::size_t size() const { return live_; }

 private:
  struct Slot {
    std::unique_ptr<char[]> text;
    std::uint32_t length = 0;
    std::uint32_t refs = 0;  // 0: free; length then links the next free slot
  };
  // Linear probing over ids, at most half full, with backward-shift deletion (no tombstones).
  std::size_t home(std::string_view text) const;
  std::size_t probe(std::string_view text) const;  // the bucket holding text, or the empty one where it would go
  void grow();
  void unlink(Id id);

  // Slots by id - 1, in chunks: a vector grown by doubling would leave up to half of itself unused.
  static constexpr std::size_t kChunk = 1024;
  Slot& slot(Id id);
  const Slot& slot(Id id) const;
  std::vector<std::unique_ptr<Slot[]>> chunks_;
  Id allocated_ = 0;  // ids handed out so far
  Id freeHead_ = kNone;
  std::vector<Id> buckets_;  // kNone: empty
  std::size_t live_ = 0;
};

}  // namespace csrop
