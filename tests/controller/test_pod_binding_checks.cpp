// The optional PodCertificateRequest checks (verifyPod, accessReview): every way the pod or its
// service account can differ from what the request says, and the review's subject and attributes.
#include "controller/PodBindingChecks.h"
#include "k8sclient/PodCertificateObjects.h"

#include <doctest/doctest.h>

#include <map>

namespace {

using csrop::Lookup;
using csrop::PodCheckOutcome;

class MapPods : public csrop::PodDirectory {
 public:
  Lookup<k8s::Pod> pod(const std::string& ns, const std::string& name) override {
    const auto it = pods.find(ns + "/" + name);
    return it == pods.end() ? Lookup<k8s::Pod>::notFound() : Lookup<k8s::Pod>::found(it->second);
  }
  Lookup<k8s::ServiceAccount> serviceAccount(const std::string& ns, const std::string& name) override {
    if (saError) return Lookup<k8s::ServiceAccount>::failed("503 Service Unavailable");
    const auto it = accounts.find(ns + "/" + name);
    return it == accounts.end() ? Lookup<k8s::ServiceAccount>::notFound() : Lookup<k8s::ServiceAccount>::found(it->second);
  }
  std::map<std::string, k8s::Pod> pods;
  std::map<std::string, k8s::ServiceAccount> accounts;
  bool saError = false;
};

k8s::PodCertificateRequest request() {
  k8s::PodCertificateRequest p;
  p.metadata.namespace_ = "shop";
  p.metadata.name = "req-1";
  p.spec.signerName = "example.com/pods";
  p.spec.podName = "web-0";
  p.spec.podUID = "pod-uid";
  p.spec.serviceAccountName = "web";
  p.spec.serviceAccountUID = "sa-uid";
  p.spec.nodeName = "node-a";
  return p;
}

MapPods cluster() {
  MapPods c;
  k8s::Pod pod;
  pod.metadata.name = "web-0";
  pod.metadata.uid = "pod-uid";
  pod.nodeName = "node-a";
  pod.serviceAccountName = "web";
  c.pods["shop/web-0"] = pod;
  k8s::ServiceAccount sa;
  sa.metadata.uid = "sa-uid";
  c.accounts["shop/web"] = sa;
  return c;
}

void checkDenied(const PodCheckOutcome& o, const std::string& reason, const std::string& inMessage) {
  CHECK(o.kind == PodCheckOutcome::Kind::Denied);
  CHECK(o.reason == reason);
  CHECK_MESSAGE(o.message.find(inMessage) != std::string::npos, o.message);
}

class FixedReviewer : public csrop::AccessReviewer {
 public:
  explicit FixedReviewer(Lookup<bool> answer) : answer_(std::move(answer)) {}
  Lookup<bool> allowed(const k8s::SubjectAccessReview& review) override {
    last = review;
    return answer_;
  }
  k8s::SubjectAccessReview last;

 private:
  Lookup<bool> answer_;
};

}  // namespace

TEST_CASE("verifyPod: the pod and service account as the request names them pass") {
  auto c = cluster();
  CHECK(csrop::checkPodBinding(request(), c).kind == PodCheckOutcome::Kind::Passed);
}

TEST_CASE("verifyPod: a pod gone, terminating, replaced, moved or running as another account is denied with its reason") {
  {
    auto c = cluster();
    c.pods.clear();
    checkDenied(csrop::checkPodBinding(request(), c), "PodNotFound", "pod shop/web-0 does not exist");
  }
  {
    auto c = cluster();
    c.pods["shop/web-0"].metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
    checkDenied(csrop::checkPodBinding(request(), c), "PodNotFound", "is being deleted");
  }
  {
    auto c = cluster();
    c.pods["shop/web-0"].metadata.uid = "new-uid";
    checkDenied(csrop::checkPodBinding(request(), c), "PodMismatch", "\"new-uid\"");
  }
  {
    auto c = cluster();
    c.pods["shop/web-0"].nodeName = "node-b";
    checkDenied(csrop::checkPodBinding(request(), c), "PodMismatch", "runs on node \"node-b\"");
  }
  {
    auto c = cluster();
    c.pods["shop/web-0"].serviceAccountName = "admin";
    checkDenied(csrop::checkPodBinding(request(), c), "PodMismatch", "service account \"admin\"");
  }
  {
    auto c = cluster();
    c.accounts.clear();
    checkDenied(csrop::checkPodBinding(request(), c), "ServiceAccountMismatch", "shop/web does not exist");
  }
  {
    auto c = cluster();
    c.accounts["shop/web"].metadata.uid = "other-sa";
    checkDenied(csrop::checkPodBinding(request(), c), "ServiceAccountMismatch", "deleted and made again");
  }
}

TEST_CASE("verifyPod: a failed read is a retry, never a denial") {
  auto c = cluster();
  c.saError = true;
  const auto o = csrop::checkPodBinding(request(), c);
  CHECK(o.kind == PodCheckOutcome::Kind::Retry);
  CHECK(o.message.find("503") != std::string::npos);
}

TEST_CASE("accessReview: asks for the pod's service account, in its namespace, the signer name by default") {
  FixedReviewer yes(Lookup<bool>::found(true));
  const csrop::PodAccessReviewConfig review{"request", "certificates.k8s.io", "signers", ""};
  CHECK(csrop::reviewServiceAccountAccess(request(), review, yes).kind == PodCheckOutcome::Kind::Passed);
  CHECK(yes.last.spec.user == "system:serviceaccount:shop:web");
  CHECK(yes.last.spec.uid == "sa-uid");
  CHECK(yes.last.spec.groups == std::vector<std::string>{"system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"});
  const auto& a = yes.last.spec.resourceAttributes;
  CHECK(a.namespace_ == "shop");
  CHECK(a.verb == "request");
  CHECK(a.group == "certificates.k8s.io");
  CHECK(a.resource == "signers");
  CHECK(a.name == "example.com/pods");

  FixedReviewer named(Lookup<bool>::found(true));
  (void)csrop::reviewServiceAccountAccess(request(), {"use", "example.com", "identities", "mesh"}, named);
  CHECK(named.last.spec.resourceAttributes.name == "mesh");
}

TEST_CASE("accessReview: not allowed is Denied NotAuthorized with what to grant, an error retries") {
  const csrop::PodAccessReviewConfig review{"request", "certificates.k8s.io", "signers", ""};
  FixedReviewer no(Lookup<bool>::found(false));
  checkDenied(csrop::reviewServiceAccountAccess(request(), review, no), "NotAuthorized",
              "service account shop/web is not allowed verb \"request\" on certificates.k8s.io/signers \"example.com/pods\"");
  FixedReviewer broken(Lookup<bool>::failed("authorizer evaluation error: webhook down"));
  const auto o = csrop::reviewServiceAccountAccess(request(), review, broken);
  CHECK(o.kind == PodCheckOutcome::Kind::Retry);
  CHECK(o.message.find("webhook down") != std::string::npos);
}
