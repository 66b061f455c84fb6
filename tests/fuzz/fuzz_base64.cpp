// k8s::base64Decode (kubeconfig *-data, []byte fields): arbitrary text decodes or is refused, and
// whatever decodes re-encodes to text that decodes to the same bytes.
#include "k8sclient/Base64.h"
#include "tests/fuzz/FuzzSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = fuzz::view(data, size);
  const auto decoded = k8s::base64Decode(input);
  if (decoded) {
    fuzz::require(decoded->size() <= size / 4 * 3 + 3, "decoded bytes fit in three quarters of the text");
    const auto again = k8s::base64Decode(k8s::base64Encode(*decoded));
    fuzz::require(again && *again == *decoded, "decode(encode(decode(x))) == decode(x)");
  }
  const auto encoded = k8s::base64Encode(input);
  const auto back = k8s::base64Decode(encoded);
  fuzz::require(back && *back == input, "decode(encode(x)) == x");
  return 0;
}
