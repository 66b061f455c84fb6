#include "controller/PodBindingChecks.h"

#include "k8sclient/PodCertificateObjects.h"
#include "signers/LogText.h"

namespace csrop {

namespace {

std::string quoted(const std::string& s) { return "\"" + signers::escapeForLog(s) + "\""; }

}  // namespace

PodCheckOutcome checkPodBinding(const k8s::PodCertificateRequest& pcr, PodDirectory& pods) {
  const auto& spec = pcr.spec;
  const std::string& ns = pcr.metadata.namespace_;
  const std::string podRef = "pod " + ns + "/" + signers::escapeForLog(spec.podName);
  const auto pod = pods.pod(ns, spec.podName);
  if (pod.state == Lookup<k8s::Pod>::State::Error) return PodCheckOutcome::retry("reading " + podRef + " failed: " + pod.error);
  if (pod.state == Lookup<k8s::Pod>::State::NotFound)
    return PodCheckOutcome::denied("PodNotFound", podRef + " does not exist any more; the kubelet asks again for a pod that runs");
  const auto& p = *pod.value;
  if (!p.metadata.deletionTimestamp.empty())
    return PodCheckOutcome::denied("PodNotFound", podRef + " is being deleted; the kubelet asks again for a pod that runs");
  if (p.metadata.uid != spec.podUID)
    return PodCheckOutcome::denied("PodMismatch", podRef + " has UID " + quoted(p.metadata.uid) + ", the request names " +
                                                      quoted(spec.podUID) + ": the pod it was made for is gone");
  if (p.nodeName != spec.nodeName)
    return PodCheckOutcome::denied("PodMismatch",
                                   podRef + " runs on node " + quoted(p.nodeName) + ", the request names node " + quoted(spec.nodeName));
  if (p.serviceAccountName != spec.serviceAccountName)
    return PodCheckOutcome::denied("PodMismatch", podRef + " runs as service account " + quoted(p.serviceAccountName) +
                                                      ", the request names " + quoted(spec.serviceAccountName));

  const std::string saRef = "service account " + ns + "/" + signers::escapeForLog(spec.serviceAccountName);
  const auto sa = pods.serviceAccount(ns, spec.serviceAccountName);
  if (sa.state == Lookup<k8s::ServiceAccount>::State::Error) return PodCheckOutcome::retry("reading " + saRef + " failed: " + sa.error);
  if (sa.state == Lookup<k8s::ServiceAccount>::State::NotFound)
    return PodCheckOutcome::denied("ServiceAccountMismatch", saRef + " does not exist any more");
  if (sa.value->metadata.uid != spec.serviceAccountUID)
    return PodCheckOutcome::denied("ServiceAccountMismatch", saRef + " has UID " + quoted(sa.value->metadata.uid) + ", the request names " +
                                                                 quoted(spec.serviceAccountUID) +
                                                                 ": it was deleted and made again since the request");
  return PodCheckOutcome::passed();
}

PodCheckOutcome reviewServiceAccountAccess(const k8s::PodCertificateRequest& pcr, const PodAccessReviewConfig& review,
                                           AccessReviewer& reviewer) {
  const std::string& ns = pcr.metadata.namespace_;
  k8s::SubjectAccessReview sar;
  sar.spec.user = "system:serviceaccount:" + ns + ":" + pcr.spec.serviceAccountName;
  sar.spec.uid = pcr.spec.serviceAccountUID;
  sar.spec.groups = {"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"};
  auto& a = sar.spec.resourceAttributes;
  a.namespace_ = ns;
  a.verb = review.verb;
  a.group = review.group;
  a.resource = review.resource;
  a.name = review.name.empty() ? pcr.spec.signerName : review.name;
  const auto allowed = reviewer.allowed(sar);
  if (allowed.state != Lookup<bool>::State::Found)
    return PodCheckOutcome::retry("the SubjectAccessReview for " + sar.spec.user + " failed: " + allowed.error);
  if (*allowed.value) return PodCheckOutcome::passed();
  const std::string what = "verb " + quoted(a.verb) + " on " + (a.group.empty() ? "" : a.group + "/") + a.resource + " " + quoted(a.name) +
                           " in namespace " + ns;
  return PodCheckOutcome::denied("NotAuthorized", "service account " + ns + "/" + signers::escapeForLog(pcr.spec.serviceAccountName) +
                                                      " is not allowed " + what +
                                                      "; grant it with RBAC to let its pods obtain certificates");
}

}  // namespace csrop
