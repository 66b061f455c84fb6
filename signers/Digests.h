#pragma once
// SHA-256 keys for what this process remembers about bytes it has checked once (request
// signatures, parsed requests), and the bounded memory that holds them.
#include <array>
#include <cstddef>
#include <deque>
#include <initializer_list>
#include <map>
#include <mutex>
#include <optional>
#include <span>

#include <openssl/types.h>

namespace signers {

// SHA-256/384/512 by NID, fetched from the provider once (a per-call EVP_sha256() lookup takes
// a lock every time); nullptr for any other NID.
const EVP_MD* fetchedDigest(int nid);

using Sha256Digest = std::array<unsigned char, 32>;

// SHA-256 of the parts in order; nullopt when OpenSSL fails, and then nothing is remembered.
std::optional<Sha256Digest> sha256Of(std::initializer_list<std::span<const unsigned char>> parts);

// Values remembered by digest: at most `capacity`, the oldest forgotten first; a digest already
// held keeps its first value. Thread-safe.
template <class V>
class RememberedByDigest {
 public:
  explicit RememberedByDigest(std::size_t capacity) : capacity_(capacity) {}

  std::optional<V> find(const Sha256Digest& digest) const {
    std::lock_guard lock(mu_);
    const auto it = values_.find(digest);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  void remember(const Sha256Digest& digest, V value) {
    std::lock_guard lock(mu_);
    if (capacity_ == 0 || !values_.emplace(digest, std::move(value)).second) return;
    order_.push_back(digest);
    if (order_.size() > capacity_) {
      values_.erase(order_.front());
      order_.pop_front();
    }
  }
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return values_.size();
  }

 private:
  std::size_t capacity_;
  mutable std::mutex mu_;
  std::map<Sha256Digest, V> values_;
  std::deque<Sha256Digest> order_;
};

}  // namespace signers
