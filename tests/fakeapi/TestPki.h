// Test helpers: PKCS#10 requests and certificates made with OpenSSL, base64 the way the API sends them.
#pragma once

#include "tests/fakeapi/Api.h"

namespace fakeapi::testing {

// PEM CSR with CN and O entries, signed by a fresh P-256 key; `breakSignature` flips a signature byte.
std::string csrPem(const std::string& cn, const std::vector<std::string>& orgs = {}, bool breakSignature = false);
std::string selfSignedCertPem(const std::string& cn);
json csrObject(const std::string& name, const std::string& signer, const std::string& cn,
               const std::vector<std::string>& orgs = {}, std::vector<std::string> usages = {"digital signature", "client auth"});
UserInfo user(const std::string& name, std::vector<std::string> groups = {});

}  // namespace fakeapi::testing
