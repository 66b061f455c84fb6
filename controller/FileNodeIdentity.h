// What the policies consult in `explain --file` mode: the Nodes given in files and nothing else.
// They vouch as the node address source would with exactly those Nodes in the cluster (each the
// first to list its addresses). Not consulted: Machines, the default/kubernetes Service and its
// EndpointSlices (the configured cluster domain and CIDRs still apply), DNS, SubjectAccessReviews
// and the certificate a kubelet serves; the checks that need them retry, saying so, and notes()
// lists them for the output.
#pragma once

#include "controller/AddressIndex.h"
#include "controller/Config.h"
#include "controller/KubeletServingPolicy.h"
#include "controller/Lookups.h"
#include "controller/ReservedIdentities.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace csrop {

class FileNodeIdentity {
 public:
  FileNodeIdentity(const KubeletServingConfig& config, const std::vector<k8s::Node>& nodes);

  NodeDirectory& nodes() { return nodes_; }
  NodeIdentity identity() { return {reserved_, *authority_}; }
  HostResolver& resolver() { return resolver_; }
  AccessReviewer& reviewer() { return reviewer_; }
  // One sentence per source this configuration would consult in a cluster and file mode does not.
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  struct Nodes : NodeDirectory {
    std::map<std::string, k8s::Node> byName;
    Lookup<k8s::Node> find(const std::string& name) override;
  };
  struct NoResolver : HostResolver {
    Lookup<std::vector<std::string>> resolve(const std::string& host, std::chrono::milliseconds timeout) override;
  };
  struct NoReviewer : AccessReviewer {
    Lookup<bool> allowed(const k8s::SubjectAccessReview& review) override;
  };

  Nodes nodes_;
  ReservedIdentities reserved_;
  AddressIndex index_;
  std::unique_ptr<AddressAuthority> authority_;
  NoResolver resolver_;
  NoReviewer reviewer_;
  std::vector<std::string> notes_;
};

}  // namespace csrop
