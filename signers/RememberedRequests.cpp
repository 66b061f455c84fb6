#include "signers/RememberedRequests.h"

#include <openssl/evp.h>

#include "signers/OpenSslError.h"
#include "signers/OpenSslPtr.h"

namespace signers {
namespace {

// Fetched once: EVP_sha256() looks the implementation up in the provider store on every use.
const EVP_MD* sha256() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

void appendSize(EVP_MD_CTX* ctx, std::size_t n, bool& ok) {
  std::array<unsigned char, 8> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(n >> (8 * i));
  ok = ok && EVP_DigestUpdate(ctx, bytes.data(), bytes.size()) == 1;
}

}  // namespace

std::optional<RememberedRequests::Digest> RememberedRequests::digestOf(std::string_view text, const RequestLimits& limits) {
  Digest d{};
  unsigned int len = 0;
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok = ctx && sha256() && EVP_DigestInit_ex(ctx.get(), sha256(), nullptr) == 1;
  // The limits first, at a fixed width: a text cannot pass for another text under other limits.
  appendSize(ctx.get(), limits.maxPemBytes, ok);
  appendSize(ctx.get(), limits.maxSans, ok);
  ok = ok && EVP_DigestUpdate(ctx.get(), text.data(), text.size()) == 1 && EVP_DigestFinal_ex(ctx.get(), d.data(), &len) == 1 &&
       len == d.size();
  drainOpenSslErrors();
  if (!ok) return std::nullopt;
  return d;
}

std::shared_ptr<const ParsedRequest> RememberedRequests::find(const Digest& digest) const {
  std::lock_guard lock(mu_);
  const auto it = byDigest_.find(digest);
  return it == byDigest_.end() ? nullptr : it->second;
}

void RememberedRequests::remember(const Digest& digest, std::shared_ptr<const ParsedRequest> parsed) {
  std::lock_guard lock(mu_);
  if (capacity_ == 0 || !byDigest_.emplace(digest, std::move(parsed)).second) return;
  order_.push_back(digest);
  if (order_.size() > capacity_) {
    byDigest_.erase(order_.front());
    order_.pop_front();
  }
}

std::size_t RememberedRequests::size() const {
  std::lock_guard lock(mu_);
  return byDigest_.size();
}

}  // namespace signers
