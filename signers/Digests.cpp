#include "signers/Digests.h"

#include <openssl/evp.h>
#include <openssl/objects.h>

#include "signers/OpenSslError.h"
#include "signers/OpenSslPtr.h"

namespace signers {

const EVP_MD* fetchedDigest(int nid) {
  static const EvpMdPtr sha256(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  static const EvpMdPtr sha384(EVP_MD_fetch(nullptr, "SHA384", nullptr));
  static const EvpMdPtr sha512(EVP_MD_fetch(nullptr, "SHA512", nullptr));
  switch (nid) {
    case NID_sha256: return sha256.get();
    case NID_sha384: return sha384.get();
    case NID_sha512: return sha512.get();
    default: return nullptr;
  }
}

std::optional<Sha256Digest> sha256Of(std::initializer_list<std::span<const unsigned char>> parts) {
  Sha256Digest d{};
  unsigned int len = 0;
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok = ctx && EVP_DigestInit_ex(ctx.get(), fetchedDigest(NID_sha256), nullptr) == 1;
  for (const auto& part : parts) ok = ok && EVP_DigestUpdate(ctx.get(), part.data(), part.size()) == 1;
  ok = ok && EVP_DigestFinal_ex(ctx.get(), d.data(), &len) == 1 && len == d.size();
  drainOpenSslErrors();
  if (!ok) return std::nullopt;
  return d;
}

}  // namespace signers
