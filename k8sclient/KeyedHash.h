// A hash whose values an outsider cannot predict, for tables keyed by names and addresses that
// Nodes and requesters choose: with a fixed hash, keys picked to collide turn every lookup into a
// scan of one bucket (hash flooding). SipHash-2-4 under a key drawn once per process.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace k8s {

using SipKey = std::array<std::uint64_t, 2>;

std::uint64_t sipHash24(const SipKey& key, const void* data, std::size_t length);

// This process's key, drawn from the system's random source on first use.
const SipKey& processHashKey();

struct KeyedHash {
  std::size_t operator()(std::string_view text) const noexcept { return sipHash24(processHashKey(), text.data(), text.size()); }
  std::size_t operator()(std::uint64_t value) const noexcept { return sipHash24(processHashKey(), &value, sizeof value); }
};

}  // namespace k8s
