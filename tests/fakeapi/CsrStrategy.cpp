#include "tests/fakeapi/CsrStrategy.h"

#include "tests/fakeapi/GoPem.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <algorithm>
#include <set>

namespace fakeapi::csr {

const std::vector<std::string> kKnownUsages = {
    "any",           "cert sign",         "client auth",      "code signing",  "content commitment", "crl sign",     "data encipherment",
    "decipher only", "digital signature", "email protection", "encipher only", "ipsec end system",   "ipsec tunnel", "ipsec user",
    "key agreement", "key encipherment",  "microsoft sgc",    "netscape sgc",  "ocsp signing",       "s/mime",       "server auth",
    "signing",       "timestamping"};

namespace {

const char* kApproved = "Approved";
const char* kDenied = "Denied";
const char* kFailed = "Failed";

// Reads PEM blocks in order with Go's pem.Decode, as kube's validation loops over status.certificate.
std::vector<gopem::Block> pemBlocks(const std::string& data) {
  std::vector<gopem::Block> out;
  std::string_view rest = data;
  while (auto block = gopem::decode(rest, &rest)) out.push_back(std::move(*block));
  return out;
}

std::string decodedField(const json& obj, const char* section, const char* field, bool& ok) {
  ok = true;
  auto s = obj.find(section);
  if (s == obj.end() || !s->is_object()) return "";
  auto f = s->find(field);
  if (f == s->end() || !f->is_string()) return "";
  try {
    return base64Decode(f->get<std::string>());
  } catch (const std::exception&) {
    ok = false;
    return "";
  }
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])? without std::regex (GCC 12 warns inside <regex> under sanitizers).
bool isDns1123Label(const std::string& s) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (s.empty() || !alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s)
    if (!alnum(c) && c != '-') return false;
  return true;
}

const char* kLabelMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with "
    "an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const char* kSubdomainMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

std::vector<std::string> splitOn(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return out;
}

json conditionsOf(const json& obj) {
  auto st = obj.find("status");
  if (st == obj.end() || !st->is_object()) return json::array();
  auto c = st->find("conditions");
  if (c == st->end() || !c->is_array()) return json::array();
  return *c;
}

std::vector<json> find(const json& obj, const std::string& type) {
  std::vector<json> out;
  for (const auto& c : conditionsOf(obj))
    if (c.is_object() && c.value("type", "") == type) out.push_back(c);
  return out;
}

std::string str(const json& obj, const char* a, const char* b) {
  auto x = obj.find(a);
  if (x == obj.end() || !x->is_object()) return "";
  auto y = x->find(b);
  return y != x->end() && y->is_string() ? y->get<std::string>() : "";
}

std::string certificateOf(const json& obj) { return str(obj, "status", "certificate"); }

void populateConditionTimestamps(json& obj, const json& old) {
  std::string now = nowRfc3339();
  json conds = conditionsOf(obj);
  json oldConds = conditionsOf(old);
  for (auto& c : conds) {
    if (!c.is_object()) continue;
    if (c.value("lastUpdateTime", json(nullptr)).is_null() || c.value("lastUpdateTime", json("")) == "") c["lastUpdateTime"] = now;
    if (c.value("lastTransitionTime", json(nullptr)).is_null() || c.value("lastTransitionTime", json("")) == "") {
      std::string lt = now;
      for (const auto& o : oldConds)
        if (o.value("type", "") == c.value("type", "") && o.value("status", "") == c.value("status", "") &&
            o.value("lastTransitionTime", json("")).is_string() && !o.value("lastTransitionTime", "").empty()) {
          lt = o.value("lastTransitionTime", "");
          break;
        }
      c["lastTransitionTime"] = lt;
    }
  }
  obj["status"]["conditions"] = conds;
}

std::vector<FieldError> forbidRemoval(const json& obj, const json& old) {
  std::vector<FieldError> errs;
  for (const char* t : {kApproved, kDenied, kFailed})
    if (find(obj, t).size() < find(old, t).size())
      errs.push_back(forbidden("status.conditions", std::string("updates may not remove a condition of type \"") + t + "\""));
  return errs;
}

}  // namespace

X509ReqPtr parseRequest(const json& csr, std::string& error) {
  bool ok = true;
  std::string pem = decodedField(csr, "spec", "request", ok);
  if (!ok) {
    error = "illegal base64 data";
    return nullptr;
  }
  // k8s.io/kubernetes/pkg/apis/certificates/helpers.go ParseCSR: the first block pem.Decode finds
  // (malformed ones skipped, anything after it ignored) must be a CERTIFICATE REQUEST.
  auto block = gopem::decode(pem);
  if (!block || block->type != "CERTIFICATE REQUEST") {
    error = "PEM block type must be CERTIFICATE REQUEST";
    return nullptr;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(block->bytes.data());
  X509ReqPtr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(block->bytes.size())));
  // x509.ParseCertificateRequest refuses trailing data after the request.
  if (!req || p != reinterpret_cast<const unsigned char*>(block->bytes.data()) + block->bytes.size()) {
    ERR_clear_error();
    error = req ? "asn1: syntax error: trailing data" : "asn1: structure error: malformed certificate request";
    return nullptr;
  }
  EVP_PKEY* pub = X509_REQ_get0_pubkey(req.get());
  if (!pub || X509_REQ_verify(req.get(), pub) != 1) {
    ERR_clear_error();
    error = "x509: ECDSA verification failure";
    if (pub && EVP_PKEY_base_id(pub) == EVP_PKEY_RSA) error = "crypto/rsa: verification error";
    return nullptr;
  }
  return req;
}

std::vector<FieldError> validateSignerName(const std::string& signerName, const std::string& field) {
  std::vector<FieldError> el;
  if (signerName.empty()) {
    el.push_back(required(field));
    return el;
  }
  auto segments = splitOn(signerName, '/');
  if (segments.size() != 2) {
    el.push_back(invalid(field, signerName, "must be a fully qualified domain and path of the form 'example.com/signer-name'"));
    return el;
  }
  if (segments[0].size() > 253) el.push_back(tooLong(field, 253));
  auto domainLabels = splitOn(segments[0], '.');
  for (const auto& lbl : domainLabels) {
    std::string err;
    if (lbl.size() > 63)
      err = "must be no more than 63 characters";
    else if (!isDns1123Label(lbl))
      err = kLabelMsg;
    if (!err.empty()) {
      el.push_back(invalid(field, segments[0], "validating label \"" + lbl + "\": " + err));
      break;
    }
  }
  if (domainLabels.size() < 2) el.push_back(invalid(field, segments[0], "should be a domain with at least two segments separated by dots"));
  for (const auto& lbl : splitOn(segments[1], '.')) {
    std::string err;
    if (lbl.size() > 253)
      err = "must be no more than 253 characters";
    else if (!isDns1123Label(lbl))
      err = kSubdomainMsg;
    if (!err.empty()) {
      el.push_back(invalid(field, segments[1], "validating component \"" + lbl + "\": " + err));
      break;
    }
  }
  if (signerName.size() > 253 + 317 + 1) el.push_back(tooLong(field, 571));
  return el;
}

std::vector<FieldError> validateConditions(const json& csr) {
  static const std::vector<std::string> trueOnly = {"True"};
  static const std::vector<std::string> allStatus = {"False", "True", "Unknown"};
  std::vector<FieldError> errs;
  std::set<std::string> seen;
  bool hasApproved = false, hasDenied = false;
  json conds = conditionsOf(csr);
  for (size_t i = 0; i < conds.size(); ++i) {
    const json& c = conds[i];
    std::string base = "status.conditions[" + std::to_string(i) + "]";
    std::string type = c.is_object() ? c.value("type", "") : "";
    std::string status = c.is_object() ? c.value("status", "") : "";
    if (type.empty()) errs.push_back(required(base + ".type"));
    bool special = type == kApproved || type == kDenied || type == kFailed;
    const auto& allowed = special ? trueOnly : allStatus;
    if (status.empty())
      errs.push_back(required(base + ".status"));
    else if (std::find(allowed.begin(), allowed.end(), status) == allowed.end())
      errs.push_back(notSupported(base + ".status", status, allowed));
    if (type == kApproved) {
      hasApproved = true;
      if (hasDenied) errs.push_back(invalid(base + ".type", type, "Approved and Denied conditions are mutually exclusive"));
    } else if (type == kDenied) {
      hasDenied = true;
      if (hasApproved) errs.push_back(invalid(base + ".type", type, "Approved and Denied conditions are mutually exclusive"));
    }
    if (seen.count(type)) errs.push_back(duplicate(base + ".type", type));
    seen.insert(type);
  }
  return errs;
}

std::vector<FieldError> validateCertificate(const json& csr) {
  bool ok = true;
  std::string data = decodedField(csr, "status", "certificate", ok);
  if (!ok) return {invalid("status.certificate", "<certificate data>", "illegal base64 data")};
  if (data.empty()) return {};
  auto fail = [](const std::string& why) { return std::vector<FieldError>{invalid("status.certificate", "<certificate data>", why)}; };
  auto blocks = pemBlocks(data);
  for (const auto& b : blocks) {
    if (b.type != "CERTIFICATE") return fail("only CERTIFICATE PEM blocks are allowed, found \"" + b.type + "\"");
    if (!b.headers.empty()) return fail("no PEM block headers are permitted");
    if (b.bytes.empty()) return fail("found CERTIFICATE PEM block containing 0 certificates");
    const auto* p = reinterpret_cast<const unsigned char*>(b.bytes.data());
    X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(b.bytes.size())));
    if (!cert) {
      ERR_clear_error();
      return fail("x509: malformed certificate");
    }
  }
  if (blocks.empty()) return fail("must contain at least one CERTIFICATE PEM block");
  return {};
}

std::vector<FieldError> validate(const json& csr) {
  std::vector<FieldError> errs;
  std::string why;
  bool hasRequest = csr.contains("spec") && csr["spec"].is_object() && csr["spec"].contains("request") &&
                    csr["spec"]["request"].is_string() && !csr["spec"]["request"].get<std::string>().empty();
  if (!parseRequest(csr, why))
    errs.push_back(
        {"FieldValueInvalid", "spec.request", std::string("Invalid value: ") + (hasRequest ? "[]byte{...}" : "[]byte(nil)") + ": " + why});
  json spec = csr.value("spec", json::object());
  json usages = spec.value("usages", json::array());
  if (!usages.is_array() || usages.empty()) errs.push_back(required("spec.usages", "usages must be provided"));
  std::set<std::string> seen;
  for (size_t i = 0; usages.is_array() && i < usages.size(); ++i) {
    std::string u = usages[i].is_string() ? usages[i].get<std::string>() : "";
    std::string f = "spec.usages[" + std::to_string(i) + "]";
    if (std::find(kKnownUsages.begin(), kKnownUsages.end(), u) == kKnownUsages.end()) errs.push_back(notSupported(f, u, kKnownUsages));
    if (seen.count(u)) errs.push_back(duplicate(f, u));
    seen.insert(u);
  }
  std::string signer = spec.value("signerName", "");
  if (signer == "kubernetes.io/legacy-unknown") {
    errs.push_back(invalid("spec.signerName", signer, "the legacy signerName is not allowed via this API version"));
  } else {
    auto s = validateSignerName(signer);
    errs.insert(errs.end(), s.begin(), s.end());
  }
  if (spec.contains("expirationSeconds") && !spec["expirationSeconds"].is_null()) {
    const json& e = spec["expirationSeconds"];
    if (!e.is_number_integer() || e.get<int64_t>() < 600)
      errs.push_back({"FieldValueInvalid", "spec.expirationSeconds",
                      "Invalid value: " + e.dump() + ": may not specify a duration less than 600 seconds (10 minutes)"});
  }
  auto c = validateConditions(csr);
  errs.insert(errs.end(), c.begin(), c.end());
  auto cert = validateCertificate(csr);
  errs.insert(errs.end(), cert.begin(), cert.end());
  return errs;
}

json prepareForCreate(json obj, const UserInfo& user) {
  json& spec = obj["spec"];
  if (!spec.is_object()) spec = json::object();
  spec["username"] = user.name;
  if (user.uid.empty())
    spec.erase("uid");
  else
    spec["uid"] = user.uid;
  spec["groups"] = user.groups;
  if (user.extra.is_object() && !user.extra.empty())
    spec["extra"] = user.extra;
  else
    spec.erase("extra");
  obj["status"] = json::object();
  return obj;
}

void admitNodeRestriction(const json& csr, const UserInfo& user) {
  static const std::string prefix = "system:node:";
  bool isNode = user.name.size() > prefix.size() && user.name.compare(0, prefix.size(), prefix) == 0 && user.inGroup("system:nodes");
  if (!isNode) return;
  std::string signer = str(csr, "spec", "signerName");
  if (signer != "kubernetes.io/kubelet-serving" && signer != "kubernetes.io/kube-apiserver-client-kubelet") return;
  std::string name = str(csr, "metadata", "name");
  std::string why;
  auto req = parseRequest(csr, why);
  if (!req) throw forbiddenObject(csrResource(), name, "unable to parse csr: " + why);
  // Go's pkix.Name.CommonName is the last CN of the subject (FillFromRDNSequence).
  auto cn = nameEntries(X509_REQ_get_subject_name(req.get()), NID_commonName);
  if (cn.empty() || cn.back() != user.name) throw forbiddenObject(csrResource(), name, "can only create a node CSR with CN=" + user.name);
}

void admitSubjectRestriction(const json& csr) {
  if (str(csr, "spec", "signerName") != "kubernetes.io/kube-apiserver-client") return;
  std::string why;
  auto req = parseRequest(csr, why);
  if (!req) return;
  for (const auto& o : nameEntries(X509_REQ_get_subject_name(req.get()), NID_organizationName))
    if (o == "system:masters")
      throw forbiddenObject(csrResource(), str(csr, "metadata", "name"),
                            "use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed");
}

json prepareForUpdate(json obj, const json& old) {
  obj["spec"] = old.value("spec", json::object());
  obj["status"] = old.value("status", json::object());
  return obj;
}

json prepareForApproval(json obj, const json& old) {
  obj["spec"] = old.value("spec", json::object());
  json conds = conditionsOf(obj);
  json status = json::object();
  status["conditions"] = conds;
  std::string cert = certificateOf(old);
  if (!cert.empty()) status["certificate"] = cert;
  obj["status"] = status;
  populateConditionTimestamps(obj, old);
  return obj;
}

std::vector<FieldError> validateApprovalUpdate(const json& obj, const json& old) {
  auto errs = validate(obj);
  auto r = forbidRemoval(obj, old);
  errs.insert(errs.end(), r.begin(), r.end());
  return errs;
}

json prepareForStatus(json obj, const json& old) {
  obj["spec"] = old.value("spec", json::object());
  if (!obj["status"].is_object()) obj["status"] = json::object();
  json conds = conditionsOf(obj);
  for (const char* t : {kApproved, kDenied}) {
    auto oldOnes = find(old, t);
    if (oldOnes.size() != find(obj, t).size()) continue;
    size_t k = 0;
    for (auto& c : conds)
      if (c.is_object() && c.value("type", "") == t) c = oldOnes[k++];
  }
  obj["status"]["conditions"] = conds;
  populateConditionTimestamps(obj, old);
  return obj;
}

std::vector<FieldError> validateStatusUpdate(const json& obj, const json& old) {
  auto errs = validate(obj);
  auto r = forbidRemoval(obj, old);
  errs.insert(errs.end(), r.begin(), r.end());
  for (const char* t : {kApproved, kDenied}) {
    auto o = find(old, t), n = find(obj, t);
    if (n.size() > o.size())
      errs.push_back(forbidden("status.conditions", std::string("updates may not add a condition of type \"") + t + "\""));
    else if (n.size() == o.size() && n != o)
      errs.push_back(forbidden("status.conditions", std::string("updates may not modify a condition of type \"") + t + "\""));
  }
  std::string oldCert = certificateOf(old);
  if (!oldCert.empty() && certificateOf(obj) != oldCert)
    errs.push_back(forbidden("status.certificate", "updates may not modify existing certificate content"));
  return errs;
}

bool statusChanged(const json& obj, const json& old) {
  return certificateOf(obj) != certificateOf(old) || conditionsOf(obj) != conditionsOf(old);
}

bool authorizedForSigner(const Authorizer& authz, const UserInfo& user, const std::string& verb, const std::string& signerName) {
  Attributes a;
  a.user = user;
  a.verb = verb;
  a.group = "certificates.k8s.io";
  a.resource = "signers";
  a.name = signerName;
  if (authz.authorize(a)) return true;
  auto slash = signerName.find('/');
  if (slash == std::string::npos) return false;
  a.name = signerName.substr(0, slash) + "/*";
  return authz.authorize(a);
}

std::string conditionSummary(const json& csr) {
  bool approved = false, denied = false, failed = false;
  for (const auto& c : conditionsOf(csr)) {
    std::string t = c.is_object() ? c.value("type", "") : "";
    approved |= t == kApproved;
    denied |= t == kDenied;
    failed |= t == kFailed;
  }
  std::string s = denied ? "Denied" : approved ? "Approved" : "Pending";
  if (failed) s += ",Failed";
  if (!certificateOf(csr).empty()) s += ",Issued";
  return s;
}

}  // namespace fakeapi::csr
