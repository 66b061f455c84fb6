#pragma once
// Standard base64 (RFC 4648, padded) as used by Kubernetes for []byte fields and kubeconfig *-data.
// signers/Base64.h is the same codec for signers/ and pki/; k8sclient keeps this one because it
// must not depend on signers/ (the layering the build checks), and it needs no PEM-only rules.
#include <optional>
#include <string>
#include <string_view>

namespace k8s {

std::string base64Encode(std::string_view bytes);
// nullopt on any character outside the alphabet or bad padding; ASCII whitespace is ignored.
std::optional<std::string> base64Decode(std::string_view text);

}  // namespace k8s
