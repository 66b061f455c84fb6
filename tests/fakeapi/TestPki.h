// Test helpers: PKCS#10 requests and certificates (tests/support/TestPki), API objects and users.
#pragma once

#include "tests/fakeapi/Api.h"

namespace fakeapi::testing {

// PEM CSR with CN and O entries and the shared P-256 test key; `breakSignature` signs it with another key.
std::string csrPem(const std::string& cn, const std::vector<std::string>& orgs = {}, bool breakSignature = false);
std::string selfSignedCertPem(const std::string& cn);
json csrObject(const std::string& name, const std::string& signer, const std::string& cn, const std::vector<std::string>& orgs = {},
               std::vector<std::string> usages = {"digital signature", "client auth"});
UserInfo user(const std::string& name, std::vector<std::string> groups = {});

}  // namespace fakeapi::testing
