#include "controller/NameTable.h"

#include "k8sclient/KeyedHash.h"

#include <cstring>
#include <stdexcept>
#include <utility>

namespace csrop {

std::size_t NameTable::home(std::string_view text) const { return k8s::KeyedHash{}(text) & (buckets_.size() - 1); }

std::size_t NameTable::probe(std::string_view text) const {
  for (std::size_t b = home(text);; b = (b + 1) & (buckets_.size() - 1))
    if (buckets_[b] == kNone || this->text(buckets_[b]) == text) return b;
}

NameTable::Id NameTable::find(std::string_view text) const {
  if (buckets_.empty()) return kNone;
  return buckets_[probe(text)];
}

const NameTable::Slot& NameTable::slot(Id id) const {
  if (id == kNone || id > allocated_) throw std::out_of_range("NameTable: no such id");
  return chunks_[(id - 1) / kChunk][(id - 1) % kChunk];
}

NameTable::Slot& NameTable::slot(Id id) { return const_cast<Slot&>(std::as_const(*this).slot(id)); }

std::string_view NameTable::text(Id id) const {
  const auto& s = slot(id);
  return {s.text.get(), s.length};
}

NameTable::Id NameTable::acquire(std::string_view text) {
  if (text.size() > UINT32_MAX) throw std::length_error("name too long to intern");
  if ((live_ + 1) * 2 > buckets_.size()) grow();
  const std::size_t b = probe(text);
  if (buckets_[b] != kNone) {
    retain(buckets_[b]);
    return buckets_[b];
  }
  Id id = freeHead_;
  if (id != kNone) {
    freeHead_ = slot(id).length;
  } else {
    if (allocated_ == UINT32_MAX) throw std::length_error("name table full");
    if (allocated_ % kChunk == 0) chunks_.push_back(std::make_unique<Slot[]>(kChunk));
    id = ++allocated_;
  }
  auto& s = slot(id);
  s.text = std::make_unique_for_overwrite<char[]>(text.size());
  if (!text.empty()) std::memcpy(s.text.get(), text.data(), text.size());
  s.length = static_cast<std::uint32_t>(text.size());
  s.refs = 1;
  buckets_[b] = id;
  ++live_;
  return id;
}

void NameTable::retain(Id id) {
  auto& s = slot(id);
  if (s.refs == 0) throw std::logic_error("NameTable: retain of a free id");
  ++s.refs;
}

void NameTable::release(Id id) {
  if (id == kNone) return;
  auto& s = slot(id);
  if (s.refs == 0) throw std::logic_error("NameTable: release of a free id");
  if (--s.refs > 0) return;
  unlink(id);
  s.text.reset();
  s.length = freeHead_;
  freeHead_ = id;
  --live_;
}

void NameTable::unlink(Id id) {
  const std::size_t mask = buckets_.size() - 1;
  std::size_t hole = probe(text(id));
  // Backward shift: pull later members of the run into the hole unless that would put one before
  // its home bucket, so that every name stays reachable from its home without tombstones.
  for (std::size_t next = (hole + 1) & mask; buckets_[next] != kNone; next = (next + 1) & mask) {
    const std::size_t want = home(text(buckets_[next]));
    if (((next - want) & mask) >= ((next - hole) & mask)) {
      buckets_[hole] = buckets_[next];
      hole = next;
    }
  }
  buckets_[hole] = kNone;
}

void NameTable::grow() {
  std::vector<Id> old = std::move(buckets_);
  buckets_.assign(old.empty() ? 16 : old.size() * 2, kNone);
  for (Id id : old)
    if (id != kNone) buckets_[probe(text(id))] = id;
}

}  // namespace csrop
