// The Kubernetes- and DNS-backed implementations of the policy lookups.
#pragma once

#include "controller/AddressIndex.h"
#include "controller/Lookups.h"
#include "k8sclient/Informer.h"
#include "k8sclient/KubeClient.h"

namespace csrop {

// A Node being deleted (metadata.deletionTimestamp set) does not count as existing: its name and
// addresses are about to be free for another machine. The Node cache must keep that field.
Lookup<k8s::Node> existingNode(k8s::Node node);

// Reads Nodes from the informer cache, which keeps no addresses (dropNodeAddresses), with the
// addresses the address index has for them: an IP as InternalIP, a name as Hostname, which map
// to the same keys (AddressIndex::keysOf). A node missing from either (just created, cache
// behind) is fetched live so that a new node's first CSR is not denied by a race.
class InformerNodeDirectory : public NodeDirectory {
 public:
  InformerNodeDirectory(k8s::Informer<k8s::Node>& informer, const AddressIndex& index, k8s::KubeClient& client)
      : informer_(informer), index_(index), client_(client) {}
  Lookup<k8s::Node> find(const std::string& name) override;

 private:
  k8s::Informer<k8s::Node>& informer_;
  const AddressIndex& index_;
  k8s::KubeClient& client_;
};

class ApiAccessReviewer : public AccessReviewer {
 public:
  explicit ApiAccessReviewer(k8s::KubeClient& client) : client_(client) {}
  Lookup<bool> allowed(const k8s::SubjectAccessReview& review) override;

 private:
  k8s::KubeClient& client_;
};

class ApiPodDirectory : public PodDirectory {
 public:
  explicit ApiPodDirectory(k8s::KubeClient& client) : client_(client) {}
  Lookup<k8s::Pod> pod(const std::string& ns, const std::string& name) override;
  Lookup<k8s::ServiceAccount> serviceAccount(const std::string& ns, const std::string& name) override;

 private:
  k8s::KubeClient& client_;
};

class SystemHostResolver : public HostResolver {
 public:
  Lookup<std::vector<std::string>> resolve(const std::string& host, std::chrono::milliseconds timeout) override;
};

}  // namespace csrop
