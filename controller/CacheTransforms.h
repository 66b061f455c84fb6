// What the operator's informer caches keep of CSRs and Nodes (the informers' transform), and how
// the rest of the operator reads what was left out.
#pragma once

#include "controller/CachedCsr.h"

#include <nlohmann/json.hpp>

namespace csrop {

// An undecided CSR is kept in full except for what a requester can use to make it big: labels,
// annotations, ownerReferences and managedFields are dropped, and a spec.request larger than the
// request parser accepts is replaced by signers::kOversizedRequestMarker (refused exactly like the
// request). A decided CSR keeps only its name, uid, resourceVersion, creation time, signer,
// requester and conditions, and records as facts whether it was issued and its certificate's
// NotAfter: the signer re-reads the CSR before writing, and garbage collection needs no more. This
// keeps 10,000 cached CSRs within a few megabytes, and a flood of big CSRs within a few bytes each.
// A pending CSR that lost labels, annotations or ownerReferences is marked for a fresh read (an
// oversized request needs none: the approval subresource never takes spec from the body).
void compactCsr(nlohmann::json& csr);

// The typed view of what compactCsr left, with its facts. Also right for an object compactCsr
// never saw (then the facts are read from the object itself).
CachedCsr readCachedCsr(const nlohmann::json& cached);
// The same from a tree the caller gives up, which becomes the CSR's raw JSON without a copy.
CachedCsr readCachedCsr(nlohmann::json&& cached);

// Name, resourceVersion, deletionTimestamp (a Node being deleted no longer vouches for its names
// and addresses) and status.addresses. Not the uid: nothing reads a cached Node's, and its 36
// characters are a sixth of what a compacted Node costs with 100,000 of them cached.
void compactNode(nlohmann::json& node);

// What the Node cache stores of a compacted Node once the handlers (the address index) have seen
// it whole: no status.addresses, which the index holds (InformerNodeDirectory reads them there).
// With 100,000 Nodes the addresses were most of each cached Node's bytes.
void dropNodeAddresses(nlohmann::json& node);

}  // namespace csrop
