// Minimal decoder for kube's protobuf wire format ("k8s\0" + runtime.Unknown envelope) of a
// certificates.k8s.io/v1 CertificateSigningRequest: enough for `kubectl certificate approve|deny`,
// which send the /approval update as protobuf and do not fall back to JSON.
#pragma once

#include "tests/fakeapi/Api.h"

namespace fakeapi::pb {

constexpr const char* kContentType = "application/vnd.kubernetes.protobuf";

// Decodes metadata (name, generateName, namespace, uid, resourceVersion, labels, annotations,
// finalizers), spec and status. Throws ApiError(400) on a malformed body or another kind.
json decodeCsr(const std::string& body);

// Encoder helpers, used by the unit tests to build bodies the way client-go does.
std::string varint(uint64_t v);
std::string field(int number, const std::string& bytes);  // length-delimited
std::string fieldVarint(int number, uint64_t v);
std::string envelope(const std::string& apiVersion, const std::string& kind, const std::string& raw);

}  // namespace fakeapi::pb
