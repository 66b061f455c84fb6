#include "k8sclient/KeyedHash.h"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>

// The reference vectors of the SipHash paper (key 00..0f, messages 00, 00 01, ...; Appendix A
// and the reference implementation's vectors.h).
TEST_CASE("sipHash24 matches the SipHash-2-4 reference vectors") {
  const k8s::SipKey key{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
  std::array<std::uint8_t, 15> message{};
  for (std::size_t i = 0; i < message.size(); ++i) message[i] = static_cast<std::uint8_t>(i);
  CHECK(k8s::sipHash24(key, message.data(), 0) == 0x726fdb47dd0e0e31ULL);
  CHECK(k8s::sipHash24(key, message.data(), 15) == 0xa129ca6149be45e5ULL);
}

TEST_CASE("KeyedHash: one key per process, so equal inputs hash equally and the key is not zero") {
  const auto& key = k8s::processHashKey();
  CHECK(&key == &k8s::processHashKey());
  CHECK((key[0] | key[1]) != 0);
  CHECK(k8s::KeyedHash{}(std::string_view("worker-1")) == k8s::KeyedHash{}(std::string_view("worker-1")));
  CHECK(k8s::KeyedHash{}(std::uint64_t{42}) == k8s::KeyedHash{}(std::uint64_t{42}));
}
