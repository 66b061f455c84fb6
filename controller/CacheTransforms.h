// What the operator's informer caches keep of CSRs and Nodes (the informers' transform), and how
// the rest of the operator reads what was left out.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace csrop {

// An undecided CSR is kept in full except for what a requester can use to make it big: labels,
// annotations, ownerReferences and managedFields are dropped, and a spec.request larger than the
// request parser accepts is replaced by signers::kOversizedRequestMarker (refused exactly like the
// request). A decided CSR keeps only its name, uid, resourceVersion, creation time, signer,
// requester, conditions and a short stand-in for its certificate's NotAfter: the signer re-reads
// the CSR before writing, and garbage collection needs no more. This keeps 10,000 cached CSRs
// within a few megabytes, and a flood of big CSRs within a few bytes each.
void compactCsr(nlohmann::json& csr);

// True for a cached undecided CSR that lost labels, annotations or ownerReferences, which an
// approval PUT built from the cache would erase: read it from the API before deciding, so the
// write keeps them. (An oversized request needs no read: the approval subresource never takes spec
// from the body.)
bool needsFreshRead(const nlohmann::json& cachedCsr);

// Name, uid, resourceVersion, deletionTimestamp (a Node being deleted no longer vouches for its
// names and addresses) and status.addresses.
void compactNode(nlohmann::json& node);

// The cached certificate is either the PEM or the stand-in compactCsr left.
bool cachedCertificateExpired(const std::string& cached);

}  // namespace csrop
