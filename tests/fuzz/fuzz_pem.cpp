// signers::decodeSinglePemBlock on arbitrary text, checked on every input against Go's pem.Decode
// (tests/fakeapi/GoPem.h, a byte-for-byte copy of encoding/pem/pem.go): whatever we accept, Go
// reads as the same single block, with the same label and bytes, and nothing after it.
#include <string>

#include "signers/Pem.h"
#include "tests/fakeapi/GoPem.h"
#include "tests/fuzz/FuzzSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::view(data, size);
  const auto ours = signers::decodeSinglePemBlock(text);
  if (!ours) {
    fuzz::require(!ours.error().empty(), "a refused PEM block has a reason");
    return 0;
  }
  std::string_view rest;
  const auto go = fakeapi::gopem::decode(text, &rest);
  fuzz::require(go.has_value(), "Go's pem.Decode finds the block decodeSinglePemBlock accepted");
  fuzz::require(go->type == ours.value().label, "Go reads the same PEM label");
  fuzz::require(go->headers.empty(), "Go sees no PEM headers in an accepted block");
  const auto& der = ours.value().der;
  fuzz::require(go->bytes == std::string(der.begin(), der.end()), "Go decodes the same bytes");
  fuzz::require(rest.find_first_not_of(" \t\r\n") == std::string_view::npos, "only white space follows the accepted block");
  fuzz::require(!fakeapi::gopem::decode(rest).has_value(), "Go finds no second block after the accepted one");
  return 0;
}
