// k8s::WatchDecoder on an arbitrary watch body, cut into pieces the way a network delivers it: the
// first byte picks the piece size. Whatever the cuts, the decoder must see the same events, in the
// same order, and refuse the same line as when the body arrives in one piece.
#include <stdexcept>
#include <string>
#include <vector>

#include "k8sclient/WatchStream.h"
#include "tests/fuzz/FuzzSupport.h"

namespace {

struct Outcome {
  std::vector<std::string> events;  // type and object, serialised
  bool refused = false;
};

Outcome decode(std::string_view body, std::size_t pieceSize) {
  Outcome out;
  k8s::WatchDecoder decoder;
  const auto record = [&](k8s::WatchEvent&& ev) { out.events.push_back(std::string(k8s::to_string(ev.type)) + " " + ev.object.dump()); };
  try {
    for (std::size_t at = 0; at < body.size(); at += pieceSize) decoder.feed(body.substr(at, pieceSize), record);
    decoder.finish(record);
  } catch (const std::runtime_error&) {
    out.refused = true;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t pieceSize = 1 + data[0] % 64;
  const std::string_view body = fuzz::view(data + 1, size - 1);
  const Outcome whole = decode(body, body.size() + 1);
  const Outcome pieces = decode(body, pieceSize);
  fuzz::require(whole.refused == pieces.refused, "piece boundaries do not change whether a body is refused");
  fuzz::require(whole.events == pieces.events, "piece boundaries do not change the decoded events");
  return 0;
}
