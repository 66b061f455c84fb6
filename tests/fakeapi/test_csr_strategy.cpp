#include "tests/fakeapi/CsrStrategy.h"
#include "tests/fakeapi/TestPki.h"

#include <doctest/doctest.h>

using namespace fakeapi;
using fakeapi::testing::csrObject;

namespace {

bool hasError(const std::vector<FieldError>& errs, const std::string& field, const std::string& reason, const std::string& text = "") {
  for (const auto& e : errs)
    if (e.field == field && e.reason == reason && e.detail.find(text) != std::string::npos) return true;
  return false;
}

json valid() { return csrObject("c", "example.com/signer", "alice"); }

json cond(const std::string& type, const std::string& status = "True") {
  return {{"type", type}, {"status", status}, {"reason", "R"}, {"message", "m"}};
}

// Stored conditions always carry both timestamps (the API server fills them).
json stamped(json c) {
  c["lastUpdateTime"] = "2024-01-01T00:00:00Z";
  c["lastTransitionTime"] = "2024-01-01T00:00:00Z";
  return c;
}

json withConditions(json o, json conds) {
  o["status"]["conditions"] = std::move(conds);
  return o;
}

std::string certB64() { return base64Encode(fakeapi::testing::selfSignedCertPem("issued")); }

Authorizer signerAuthz() {
  Authorizer a;
  a.loadYaml(R"(
kind: ClusterRole
metadata: {name: approve-exact}
rules: [{apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve], resourceNames: [example.com/signer]}]
---
kind: ClusterRole
metadata: {name: sign-domain}
rules: [{apiGroups: [certificates.k8s.io], resources: [signers], verbs: [sign], resourceNames: ["other.io/*"]}]
---
kind: ClusterRoleBinding
metadata: {name: b1}
roleRef: {kind: ClusterRole, name: approve-exact}
subjects: [{kind: User, name: approver}]
---
kind: ClusterRoleBinding
metadata: {name: b2}
roleRef: {kind: ClusterRole, name: sign-domain}
subjects: [{kind: User, name: signer}]
)");
  return a;
}

}  // namespace

TEST_CASE("a well-formed CSR validates") { CHECK(csr::validate(valid()).empty()); }

TEST_CASE("spec.request must be a signed CERTIFICATE REQUEST PEM") {
  json o = valid();
  o["spec"]["request"] = base64Encode("not pem");
  CHECK(hasError(csr::validate(o), "spec.request", "FieldValueInvalid", "PEM block type must be CERTIFICATE REQUEST"));
  o["spec"]["request"] = base64Encode(fakeapi::testing::selfSignedCertPem("x"));
  CHECK(hasError(csr::validate(o), "spec.request", "FieldValueInvalid", "PEM block type must be CERTIFICATE REQUEST"));
  o["spec"]["request"] = base64Encode(fakeapi::testing::csrPem("alice", {}, true));
  CHECK(hasError(csr::validate(o), "spec.request", "FieldValueInvalid", "verification"));
  o["spec"].erase("request");
  CHECK(hasError(csr::validate(o), "spec.request", "FieldValueInvalid"));
}

TEST_CASE("spec.usages: required, known, no duplicates") {
  CHECK(csr::kKnownUsages.size() == 23);
  json o = valid();
  o["spec"]["usages"] = csr::kKnownUsages;
  CHECK(csr::validate(o).empty());
  o["spec"]["usages"] = json::array();
  CHECK(hasError(csr::validate(o), "spec.usages", "FieldValueRequired"));
  o["spec"].erase("usages");
  CHECK(hasError(csr::validate(o), "spec.usages", "FieldValueRequired"));
  o["spec"]["usages"] = {"client auth", "flying"};
  CHECK(hasError(csr::validate(o), "spec.usages[1]", "FieldValueNotSupported", "Unsupported value: \"flying\""));
  o["spec"]["usages"] = {"client auth", "client auth"};
  CHECK(hasError(csr::validate(o), "spec.usages[1]", "FieldValueDuplicate", "Duplicate value: \"client auth\""));
}

TEST_CASE("spec.signerName rules") {
  CHECK(csr::validateSignerName("example.com/signer").empty());
  CHECK(csr::validateSignerName("kubernetes.io/kube-apiserver-client").empty());
  CHECK(csr::validateSignerName("a.b.c/x.y-z").empty());
  CHECK(hasError(csr::validateSignerName(""), "spec.signerName", "FieldValueRequired"));
  CHECK(hasError(csr::validateSignerName("example.com"), "spec.signerName", "FieldValueInvalid", "fully qualified domain and path"));
  CHECK(hasError(csr::validateSignerName("example.com/a/b"), "spec.signerName", "FieldValueInvalid", "fully qualified domain and path"));
  CHECK(hasError(csr::validateSignerName("example/signer"), "spec.signerName", "FieldValueInvalid", "at least two segments"));
  CHECK(hasError(csr::validateSignerName("Example.com/signer"), "spec.signerName", "FieldValueInvalid", "validating label \"Example\""));
  CHECK(hasError(csr::validateSignerName("example.com/Bad_Path"), "spec.signerName", "FieldValueInvalid", "validating component"));
  CHECK(hasError(csr::validateSignerName("example.com/"), "spec.signerName", "FieldValueInvalid", "validating component"));
  CHECK(hasError(csr::validateSignerName(std::string(64, 'a') + ".com/x"), "spec.signerName", "FieldValueInvalid", "63 characters"));
  json o = valid();
  o["spec"]["signerName"] = "kubernetes.io/legacy-unknown";
  CHECK(hasError(csr::validate(o), "spec.signerName", "FieldValueInvalid", "the legacy signerName is not allowed via this API version"));
}

TEST_CASE("spec.expirationSeconds must be at least 600") {
  json o = valid();
  o["spec"]["expirationSeconds"] = 600;
  CHECK(csr::validate(o).empty());
  o["spec"]["expirationSeconds"] = 599;
  CHECK(hasError(csr::validate(o), "spec.expirationSeconds", "FieldValueInvalid", "may not specify a duration less than 600 seconds"));
  o["spec"]["expirationSeconds"] = 10 * 365 * 86400;
  CHECK(csr::validate(o).empty());
}

TEST_CASE("create overwrites the requester identity and resets status") {
  json o = valid();
  o["spec"]["username"] = "mallory";
  o["spec"]["uid"] = "evil";
  o["spec"]["groups"] = {"system:masters"};
  o["spec"]["extra"] = {{"x", {"y"}}};
  o["status"] = {{"certificate", certB64()}, {"conditions", {cond("Approved")}}};
  UserInfo u = fakeapi::testing::user("system:node:n1", {"system:nodes"});
  u.extra = {{"scopes", {"a"}}};
  json p = csr::prepareForCreate(o, u);
  CHECK(p["spec"]["username"] == "system:node:n1");
  CHECK(p["spec"]["uid"] == "uid-system:node:n1");
  CHECK(p["spec"]["groups"] == json({"system:nodes", "system:authenticated"}));
  CHECK(p["spec"]["extra"] == json({{"scopes", {"a"}}}));
  CHECK(p["status"] == json::object());
  UserInfo plain{"bob", "", {"system:authenticated"}, json::object()};
  json q = csr::prepareForCreate(o, plain);
  CHECK_FALSE(q["spec"].contains("uid"));
  CHECK_FALSE(q["spec"].contains("extra"));
}

TEST_CASE("NodeRestriction: a node may only request its own CN for kubelet signers") {
  UserInfo node = fakeapi::testing::user("system:node:n1", {"system:nodes"});
  CHECK_NOTHROW(csr::admitNodeRestriction(csrObject("a", "kubernetes.io/kube-apiserver-client-kubelet", "system:node:n1"), node));
  try {
    csr::admitNodeRestriction(csrObject("a", "kubernetes.io/kubelet-serving", "system:node:n2"), node);
    FAIL("expected Forbidden");
  } catch (const ApiError& e) {
    CHECK(e.code() == 403);
    CHECK(std::string(e.what()) ==
          "certificatesigningrequests.certificates.k8s.io \"a\" is forbidden: can only create a node CSR with CN=system:node:n1");
  }
  json broken = csrObject("a", "kubernetes.io/kubelet-serving", "system:node:n1");
  broken["spec"]["request"] = base64Encode("garbage");
  CHECK_THROWS_WITH_AS(csr::admitNodeRestriction(broken, node), doctest::Contains("unable to parse csr"), ApiError);
  // Other signers and non-node users are not restricted.
  CHECK_NOTHROW(csr::admitNodeRestriction(csrObject("a", "example.com/x", "system:node:n2"), node));
  UserInfo noGroup = fakeapi::testing::user("system:node:n1");
  CHECK_NOTHROW(csr::admitNodeRestriction(csrObject("a", "kubernetes.io/kubelet-serving", "system:node:n2"), noGroup));
}

TEST_CASE("CertificateSubjectRestriction: no system:masters via kube-apiserver-client") {
  CHECK_THROWS_WITH_AS(csr::admitSubjectRestriction(csrObject("a", "kubernetes.io/kube-apiserver-client", "x", {"system:masters"})),
                       doctest::Contains("use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed"),
                       ApiError);
  CHECK_NOTHROW(csr::admitSubjectRestriction(csrObject("a", "kubernetes.io/kube-apiserver-client", "x", {"dev"})));
  CHECK_NOTHROW(csr::admitSubjectRestriction(csrObject("a", "example.com/x", "x", {"system:masters"})));
}

TEST_CASE("PUT on the main resource keeps the stored spec and status") {
  json old = withConditions(valid(), {cond("Approved")});
  json in = valid();
  in["spec"]["signerName"] = "other.io/x";
  in["status"] = json::object();
  in["metadata"]["labels"] = {{"a", "b"}};
  json p = csr::prepareForUpdate(in, old);
  CHECK(p["spec"] == old["spec"]);
  CHECK(p["status"] == old["status"]);
  CHECK(p["metadata"]["labels"]["a"] == "b");
}

TEST_CASE("/approval conditions") {
  json old = valid();
  SUBCASE("Approved=True is accepted and timestamps are populated") {
    json p = csr::prepareForApproval(withConditions(valid(), {cond("Approved")}), old);
    CHECK(csr::validateApprovalUpdate(p, old).empty());
    CHECK(p["status"]["conditions"][0]["lastUpdateTime"].is_string());
    CHECK(p["status"]["conditions"][0]["lastTransitionTime"].is_string());
  }
  SUBCASE("Approved, Denied and Failed may only be True") {
    for (const char* t : {"Approved", "Denied", "Failed"}) {
      json p = csr::prepareForApproval(withConditions(valid(), {cond(t, "False")}), old);
      CHECK(hasError(csr::validateApprovalUpdate(p, old), "status.conditions[0].status", "FieldValueNotSupported"));
    }
    json p = csr::prepareForApproval(withConditions(valid(), {cond("Custom", "False")}), old);
    CHECK(csr::validateApprovalUpdate(p, old).empty());
    p = csr::prepareForApproval(withConditions(valid(), {cond("Custom", "Maybe")}), old);
    CHECK(hasError(csr::validateApprovalUpdate(p, old), "status.conditions[0].status", "FieldValueNotSupported"));
  }
  SUBCASE("Approved and Denied are mutually exclusive") {
    json p = csr::prepareForApproval(withConditions(valid(), {cond("Approved"), cond("Denied")}), old);
    CHECK(hasError(csr::validateApprovalUpdate(p, old), "status.conditions[1].type", "FieldValueInvalid", "mutually exclusive"));
  }
  SUBCASE("duplicates are rejected") {
    json p = csr::prepareForApproval(withConditions(valid(), {cond("Approved"), cond("Approved")}), old);
    CHECK(hasError(csr::validateApprovalUpdate(p, old), "status.conditions[1].type", "FieldValueDuplicate"));
  }
  SUBCASE("type and status are required") {
    json p = csr::prepareForApproval(withConditions(valid(), {json{{"status", "True"}}, json{{"type", "X"}}}), old);
    auto errs = csr::validateApprovalUpdate(p, old);
    CHECK(hasError(errs, "status.conditions[0].type", "FieldValueRequired"));
    CHECK(hasError(errs, "status.conditions[1].status", "FieldValueRequired"));
  }
  SUBCASE("an existing Approved/Denied/Failed condition cannot be removed") {
    for (const char* t : {"Approved", "Denied", "Failed"}) {
      json stored = withConditions(valid(), {cond(t)});
      json p = csr::prepareForApproval(withConditions(valid(), json::array()), stored);
      CHECK(hasError(csr::validateApprovalUpdate(p, stored), "status.conditions", "FieldValueForbidden",
                     std::string("updates may not remove a condition of type \"") + t + "\""));
    }
  }
  SUBCASE("Approved to Denied is final: cannot swap") {
    json stored = withConditions(valid(), {cond("Approved")});
    json p = csr::prepareForApproval(withConditions(valid(), {cond("Denied")}), stored);
    CHECK(hasError(csr::validateApprovalUpdate(p, stored), "status.conditions", "FieldValueForbidden", "remove"));
  }
  SUBCASE("lastTransitionTime is kept from the stored condition with the same type and status") {
    json c = cond("Custom");
    c["lastTransitionTime"] = "2020-01-01T00:00:00Z";
    json stored = withConditions(valid(), {c});
    json p = csr::prepareForApproval(withConditions(valid(), {cond("Custom")}), stored);
    CHECK(p["status"]["conditions"][0]["lastTransitionTime"] == "2020-01-01T00:00:00Z");
  }
  SUBCASE("spec and certificate come from the stored object") {
    json stored = valid();
    stored["status"]["certificate"] = certB64();
    json in = withConditions(valid(), {cond("Approved")});
    in["spec"]["signerName"] = "other.io/x";
    in["status"]["certificate"] = base64Encode("junk");
    json p = csr::prepareForApproval(in, stored);
    CHECK(p["spec"] == stored["spec"]);
    CHECK(p["status"]["certificate"] == stored["status"]["certificate"]);
  }
}

TEST_CASE("/status rules") {
  json approved = withConditions(valid(), {stamped(cond("Approved"))});
  SUBCASE("adding Approved or Denied is forbidden") {
    for (const char* t : {"Approved", "Denied"}) {
      json p = csr::prepareForStatus(withConditions(valid(), {cond(t)}), valid());
      CHECK(hasError(csr::validateStatusUpdate(p, valid()), "status.conditions", "FieldValueForbidden",
                     std::string("updates may not add a condition of type \"") + t + "\""));
    }
  }
  SUBCASE("modified Approved instances are restored from the stored object") {
    json in = withConditions(valid(), {cond("Approved")});
    in["status"]["conditions"][0]["message"] = "changed";
    json p = csr::prepareForStatus(in, approved);
    CHECK(p["status"]["conditions"][0]["message"] == "m");
    CHECK(csr::validateStatusUpdate(p, approved).empty());
  }
  SUBCASE("removing Approved is forbidden") {
    json p = csr::prepareForStatus(withConditions(valid(), json::array()), approved);
    CHECK(hasError(csr::validateStatusUpdate(p, approved), "status.conditions", "FieldValueForbidden", "remove"));
  }
  SUBCASE("Failed and custom conditions may be added") {
    json p = csr::prepareForStatus(withConditions(valid(), {cond("Approved"), cond("Failed"), cond("Other", "Unknown")}), approved);
    CHECK(csr::validateStatusUpdate(p, approved).empty());
  }
  SUBCASE("certificate must be CERTIFICATE PEM blocks") {
    json in = approved;
    in["status"]["certificate"] = certB64();
    CHECK(csr::validateStatusUpdate(csr::prepareForStatus(in, approved), approved).empty());
    in["status"]["certificate"] = base64Encode(fakeapi::testing::selfSignedCertPem("a") + fakeapi::testing::selfSignedCertPem("b"));
    CHECK(csr::validateStatusUpdate(csr::prepareForStatus(in, approved), approved).empty());
    in["status"]["certificate"] = base64Encode("hello");
    CHECK(hasError(csr::validateStatusUpdate(csr::prepareForStatus(in, approved), approved), "status.certificate", "FieldValueInvalid",
                   "must contain at least one CERTIFICATE PEM block"));
    in["status"]["certificate"] = base64Encode(fakeapi::testing::csrPem("x"));
    CHECK(hasError(csr::validateStatusUpdate(csr::prepareForStatus(in, approved), approved), "status.certificate", "FieldValueInvalid",
                   "only CERTIFICATE PEM blocks are allowed, found \"CERTIFICATE REQUEST\""));
    std::string pem = fakeapi::testing::selfSignedCertPem("a");
    pem.insert(pem.find('\n') + 1, "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\n");
    in["status"]["certificate"] = base64Encode(pem);
    CHECK(hasError(csr::validateStatusUpdate(csr::prepareForStatus(in, approved), approved), "status.certificate", "FieldValueInvalid",
                   "no PEM block headers are permitted"));
    in["status"]["certificate"] = base64Encode("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    CHECK(hasError(csr::validateStatusUpdate(csr::prepareForStatus(in, approved), approved), "status.certificate", "FieldValueInvalid"));
  }
  SUBCASE("the certificate is immutable once set") {
    json issued = approved;
    issued["status"]["certificate"] = certB64();
    json in = issued;
    CHECK(csr::validateStatusUpdate(csr::prepareForStatus(in, issued), issued).empty());
    in["status"]["certificate"] = certB64();
    CHECK(hasError(csr::validateStatusUpdate(csr::prepareForStatus(in, issued), issued), "status.certificate", "FieldValueForbidden",
                   "updates may not modify existing certificate content"));
  }
  SUBCASE("statusChanged sees certificate and condition changes only") {
    json in = approved;
    CHECK_FALSE(csr::statusChanged(in, approved));
    in["status"]["certificate"] = certB64();
    CHECK(csr::statusChanged(in, approved));
    json f = withConditions(valid(), {cond("Approved"), cond("Failed")});
    CHECK(csr::statusChanged(f, approved));
  }
}

TEST_CASE("approve and sign need the verb on signers/<name> or signers/<domain>/*") {
  Authorizer a = signerAuthz();
  auto approver = fakeapi::testing::user("approver");
  auto signer = fakeapi::testing::user("signer");
  CHECK(csr::authorizedForSigner(a, approver, "approve", "example.com/signer"));
  CHECK_FALSE(csr::authorizedForSigner(a, approver, "approve", "example.com/other"));
  CHECK_FALSE(csr::authorizedForSigner(a, approver, "sign", "example.com/signer"));
  CHECK(csr::authorizedForSigner(a, signer, "sign", "other.io/anything"));
  CHECK_FALSE(csr::authorizedForSigner(a, signer, "sign", "sub.other.io/anything"));
  CHECK(csr::authorizedForSigner(a, fakeapi::testing::user("root", {"system:masters"}), "sign", "x.io/y"));
}

TEST_CASE("condition summary as kubectl shows it") {
  CHECK(csr::conditionSummary(valid()) == "Pending");
  CHECK(csr::conditionSummary(withConditions(valid(), {cond("Approved")})) == "Approved");
  json issued = withConditions(valid(), {cond("Approved")});
  issued["status"]["certificate"] = certB64();
  CHECK(csr::conditionSummary(issued) == "Approved,Issued");
  CHECK(csr::conditionSummary(withConditions(valid(), {cond("Denied")})) == "Denied");
  CHECK(csr::conditionSummary(withConditions(valid(), {cond("Approved"), cond("Failed")})) == "Approved,Failed");
}
