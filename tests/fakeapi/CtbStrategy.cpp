#include "tests/fakeapi/CtbStrategy.h"

#include "tests/fakeapi/CsrStrategy.h"
#include "tests/fakeapi/GoPem.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <map>

namespace fakeapi::ctb {
namespace {

const ResourceInfo& resource() { return *findResource("certificates.k8s.io", "v1", "clustertrustbundles"); }

std::string str(const json& obj, const char* a, const char* b) {
  auto x = obj.find(a);
  if (x == obj.end() || !x->is_object()) return "";
  auto y = x->find(b);
  return y != x->end() && y->is_string() ? y->get<std::string>() : "";
}

FieldError invalidOmitted(const std::string& detail) { return invalid("spec.trustBundle", "<value omitted>", detail); }

// validateTrustBundle: every block a header-less CERTIFICATE that parses as an X.509 CA with valid
// basic constraints; then at least one, and no duplicates.
std::vector<FieldError> validateTrustBundle(const std::string& in) {
  if (in.size() > kMaxTrustBundleSize) return {tooLong("spec.trustBundle", kMaxTrustBundleSize)};
  std::vector<FieldError> errs;
  std::map<std::string, std::vector<int>> seen;
  std::string_view rest = in;
  int i = -1;
  while (auto b = gopem::decode(rest, &rest)) {
    ++i;
    if (b->type != "CERTIFICATE") {
      errs.push_back(invalidOmitted("entry " + std::to_string(i) + " has bad block type: " + b->type));
      continue;
    }
    if (!b->headers.empty()) {
      errs.push_back(invalidOmitted("entry " + std::to_string(i) + " has PEM block headers"));
      continue;
    }
    const auto* p = reinterpret_cast<const unsigned char*>(b->bytes.data());
    X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(b->bytes.size())));
    if (!cert || p != reinterpret_cast<const unsigned char*>(b->bytes.data()) + b->bytes.size()) {
      ERR_clear_error();
      errs.push_back(invalidOmitted("entry " + std::to_string(i) + " does not parse as X.509"));
      continue;
    }
    int critical = 0;
    auto* bc = static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(cert.get(), NID_basic_constraints, &critical, nullptr));
    const bool isCa = bc && bc->ca;
    if (bc) BASIC_CONSTRAINTS_free(bc);
    ERR_clear_error();
    if (!isCa) {
      // Go sets IsCA only from a valid basicConstraints extension, so a missing one reads as "no CA bit".
      errs.push_back(invalidOmitted("entry " + std::to_string(i) + " does not have the CA bit set"));
      continue;
    }
    seen[b->bytes].push_back(i);
  }
  if (!errs.empty()) return errs;
  if (seen.empty()) errs.push_back(invalidOmitted("at least one trust anchor must be provided"));
  for (const auto& [der, indices] : seen) {
    if (indices.size() < 2) continue;
    std::string list;
    for (int idx : indices) list += (list.empty() ? "" : " ") + std::to_string(idx);
    errs.push_back(invalidOmitted("duplicate trust anchor (indices [" + list + "])"));
  }
  return errs;
}

// ValidateClusterTrustBundleName: a signer-linked bundle is named <signerName with '/' -> ':'>:<suffix>;
// an unlinked one may not contain ':' (so it cannot pose as a linked one).
std::vector<FieldError> validateName(const std::string& name, const std::string& signerName) {
  if (name.empty()) return {};
  if (signerName.empty()) {
    if (name.find(':') != std::string::npos)
      return {invalid("metadata.name", name, "ClusterTrustBundle without signer name must not have \":\" in its name")};
    return {};
  }
  std::string prefix = signerName;
  std::replace(prefix.begin(), prefix.end(), '/', ':');
  prefix += ":";
  if (name.rfind(prefix, 0) != 0)
    return {invalid("metadata.name", name, "ClusterTrustBundle for signerName " + signerName + " must be named with prefix " + prefix)};
  return {};
}

std::vector<FieldError> validateWith(const json& bundle, bool parseBundle) {
  std::vector<FieldError> errs;
  const std::string signer = str(bundle, "spec", "signerName");
  auto n = validateName(str(bundle, "metadata", "name"), signer);
  errs.insert(errs.end(), n.begin(), n.end());
  if (!signer.empty()) {
    auto s = csr::validateSignerName(signer);
    errs.insert(errs.end(), s.begin(), s.end());
  }
  if (parseBundle) {
    auto t = validateTrustBundle(str(bundle, "spec", "trustBundle"));
    errs.insert(errs.end(), t.begin(), t.end());
  }
  return errs;
}

}  // namespace

std::vector<FieldError> validate(const json& bundle) { return validateWith(bundle, true); }

std::vector<FieldError> validateUpdate(const json& bundle, const json& old) {
  // Kube skips parsing an unchanged bundle, so changes in Go's PEM or X.509 parsers never strand
  // an object that was valid when it was written.
  auto errs = validateWith(bundle, str(bundle, "spec", "trustBundle") != str(old, "spec", "trustBundle"));
  if (str(bundle, "spec", "signerName") != str(old, "spec", "signerName"))
    errs.push_back(invalid("spec.signerName", str(bundle, "spec", "signerName"), "field is immutable"));
  return errs;
}

void admitAttest(const Authorizer& authz, const UserInfo& user, const json& bundle, const json* old) {
  const std::string signer = str(bundle, "spec", "signerName");
  if (signer.empty()) return;
  if (old && str(*old, "spec", "signerName") == signer && str(*old, "spec", "trustBundle") == str(bundle, "spec", "trustBundle")) return;
  if (!csr::authorizedForSigner(authz, user, "attest", signer))
    throw forbiddenObject(resource(), str(bundle, "metadata", "name"),
                          "user not permitted to attest for signerName " + json(signer).dump());
}

}  // namespace fakeapi::ctb
