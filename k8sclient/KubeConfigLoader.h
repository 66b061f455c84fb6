#pragma once
// kubeconfig and in-cluster loading. Every problem is a ConfigError naming file, field, problem and fix.
#include <optional>
#include <stdexcept>
#include <string>

#include "k8sclient/RestConfig.h"

namespace k8s {

class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, std::string field, std::string problem, std::string fix);
  const std::string& file() const { return file_; }
  const std::string& field() const { return field_; }
  const std::string& problem() const { return problem_; }
  const std::string& fix() const { return fix_; }

 private:
  std::string file_, field_, problem_, fix_;
};

// context empty: the file's current-context.
RestConfig loadKubeConfig(const std::string& path, const std::string& context = "");

RestConfig loadInClusterConfig(const std::string& saDir = "/var/run/secrets/kubernetes.io/serviceaccount");

// The --kubeconfig flag, then the first entry of $KUBECONFIG, then in-cluster when
// KUBERNETES_SERVICE_HOST is set, then $HOME/.kube/config (the order controller-runtime uses).
RestConfig loadDefaultConfig(std::optional<std::string> kubeconfigFlag, const std::string& context = "");

}  // namespace k8s
