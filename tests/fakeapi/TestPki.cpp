#include "tests/fakeapi/TestPki.h"

#include "tests/support/TestPki.h"

namespace fakeapi::testing {

std::string csrPem(const std::string& cn, const std::vector<std::string>& orgs, bool breakSignature) {
  testpki::CsrOptions options;
  for (const auto& o : orgs) options.subject.emplace_back("O", o);
  options.subject.emplace_back("CN", cn);
  // Signed by a key other than the request's own: well-formed, but the signature does not verify.
  auto otherKey = testpki::sharedKey(testpki::KeyKind::P256, "fakeapi-other");
  if (breakSignature) options.signWith = otherKey.get();
  return testpki::makeCsr(options);
}

std::string selfSignedCertPem(const std::string& cn) {
  testpki::CaOptions options;
  options.commonName = cn;
  options.keyRole = "fakeapi-self-signed";
  return testpki::makeCa(options).certPem();
}

json csrObject(const std::string& name, const std::string& signer, const std::string& cn, const std::vector<std::string>& orgs,
               std::vector<std::string> usages) {
  return {{"apiVersion", "certificates.k8s.io/v1"},
          {"kind", "CertificateSigningRequest"},
          {"metadata", {{"name", name}}},
          {"spec", {{"request", base64Encode(csrPem(cn, orgs))}, {"signerName", signer}, {"usages", usages}}}};
}

UserInfo user(const std::string& name, std::vector<std::string> groups) {
  groups.push_back("system:authenticated");
  return UserInfo{name, "uid-" + name, groups, json::object()};
}

}  // namespace fakeapi::testing
