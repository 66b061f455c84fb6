// Kubernetes objects written to files as `kubectl get -o yaml` or `-o json` prints them (JSON is
// read as the YAML it also is), for `csr-operator explain --file`. Errors name the file (origin)
// and what it must hold instead.
#pragma once

#include "k8sclient/Objects.h"

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace k8s {

class ObjectFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One CertificateSigningRequest (kind CertificateSigningRequest, spec.request base64 as stored).
CertificateSigningRequest csrFromText(std::string_view text, const std::string& origin);

// A Node, a NodeList, or a List of Nodes (what `kubectl get nodes -o yaml` prints).
std::vector<Node> nodesFromText(std::string_view text, const std::string& origin);

}  // namespace k8s
