#pragma once
// Strict decoding of a text that must be exactly one PEM block.
//
// Kubernetes reads spec.request with Go's pem.Decode, which skips a malformed block and decodes
// the next one (encoding/pem/pem.go). A lenient reader here would then see a different request
// than kube-apiserver, kubectl and kube-controller-manager, so anything a Go reader could read in
// another way is refused instead of repaired. Later Go releases changed how Decode searches
// (go.dev/cl/709858, golang/go#75950); the one form accepted here is read alike by all of them.
#include <string>
#include <string_view>
#include <vector>

#include "signers/Result.h"

namespace signers {

struct PemBlock {
  std::string label;  // e.g. "CERTIFICATE REQUEST"
  std::vector<unsigned char> der;
};

// Accepted: "-----BEGIN L-----" at byte 0, then "\n" (or "\r\n"); non-empty lines of the base64
// alphabet only (no headers, no spaces); "-----END L-----" on its own line; after it nothing but
// spaces, tabs and line breaks. Padding must be canonical ('=' only at the end, unused bits zero).
Result<PemBlock> decodeSinglePemBlock(std::string_view text);

}  // namespace signers
