// Shared vocabulary of the fake kube-apiserver: users, API errors (metav1.Status), resource table.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdexcept>
#include <string>
#include <vector>

namespace fakeapi {

using json = nlohmann::json;

struct UserInfo {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;
  json extra = json::object();
  bool inGroup(const std::string& g) const;
};

// One field error, rendered the way k8s.io/apimachinery/pkg/util/validation/field does.
struct FieldError {
  std::string reason;  // FieldValueRequired, FieldValueInvalid, ...
  std::string field;
  std::string detail;  // message after the field path, e.g. "Required value"
};
FieldError required(const std::string& field, const std::string& detail = "");
FieldError invalid(const std::string& field, const std::string& value, const std::string& detail);
FieldError notSupported(const std::string& field, const std::string& value, const std::vector<std::string>& supported);
FieldError duplicate(const std::string& field, const std::string& value);
FieldError forbidden(const std::string& field, const std::string& detail);
FieldError tooLong(const std::string& field, size_t max);

// A failed request: carries what becomes the metav1.Status body.
class ApiError : public std::runtime_error {
 public:
  ApiError(int code, std::string reason, const std::string& message, json details = nullptr);
  int code() const { return code_; }
  const std::string& reason() const { return reason_; }
  const json& details() const { return details_; }
  json status() const;
  int retryAfter = 0;

 private:
  int code_;
  std::string reason_;
  json details_;
};

struct ResourceInfo {
  std::string group;  // "" for core
  std::string version;
  std::string resource;  // plural
  std::string kind;
  bool namespaced = false;
  std::vector<std::string> verbs;
  std::vector<std::string> subresources;
  std::vector<std::string> shortNames;
  std::string apiVersion() const { return group.empty() ? version : group + "/" + version; }
  // "certificatesigningrequests.certificates.k8s.io" or "nodes" (core), as kube writes it in messages.
  std::string qualified() const { return group.empty() ? resource : resource + "." + group; }
};

const std::vector<ResourceInfo>& resources();
const ResourceInfo* findResource(const std::string& group, const std::string& version, const std::string& resource);
const ResourceInfo& csrResource();

ApiError notFound(const ResourceInfo& r, const std::string& name);
ApiError alreadyExists(const ResourceInfo& r, const std::string& name);
ApiError conflict(const ResourceInfo& r, const std::string& name, const std::string& why);
ApiError invalidObject(const ResourceInfo& r, const std::string& name, const std::vector<FieldError>& errs);
ApiError forbiddenObject(const ResourceInfo& r, const std::string& name, const std::string& why);
ApiError badRequest(const std::string& message);
ApiError expired(const std::string& message);

std::string nowRfc3339();
std::string formatRfc3339(int64_t unixSeconds);
int64_t parseRfc3339(const std::string& s);  // -1 when malformed
// The fake's wall clock: system time plus an offset a test moves forward (POST /fake/clock), so
// time-driven behaviour (the PodCertificateRequest cleaner, the notBefore window) runs without sleeps.
int64_t unixNow();
void advanceClock(int64_t seconds);
int64_t clockOffset();
std::string newUid();
std::string base64Encode(const std::string& in);
std::string base64Decode(const std::string& in);  // throws std::invalid_argument

// OpenSSL ownership helpers local to this test double (signers/ is owned by another area).
struct OsslFree {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_REQ* p) const { X509_REQ_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using X509Ptr = std::unique_ptr<X509, OsslFree>;
using X509ReqPtr = std::unique_ptr<X509_REQ, OsslFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, OsslFree>;
using BioPtr = std::unique_ptr<BIO, OsslFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OsslFree>;

// Subject name entries of one NID (e.g. NID_commonName) as UTF-8 strings.
std::vector<std::string> nameEntries(X509_NAME* name, int nid);

}  // namespace fakeapi
