// Go's encoding/pem Decode, byte for byte (Go 1.19, /usr/lib/go/src/encoding/pem/pem.go), so that
// the fake API server reads spec.request as kube-apiserver does: the first block that decodes wins,
// a malformed block is skipped and the search goes on. tests/goparity checks it against Go itself.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace fakeapi::gopem {

struct Block {
  std::string type;
  std::map<std::string, std::string> headers;
  std::string bytes;
};

// pem.Decode(data): the next block, and in *rest what follows it (data itself when none is found).
std::optional<Block> decode(std::string_view data, std::string_view* rest = nullptr);

}  // namespace fakeapi::gopem
