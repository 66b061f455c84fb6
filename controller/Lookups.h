// The outside facts a policy needs, behind small interfaces so that policies are tested
// without an API server or a DNS server.
#pragma once

#include "k8sclient/IdentityObjects.h"
#include "k8sclient/Objects.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace csrop {

template <class T>
struct Lookup {
  enum class State { Found, NotFound, Error } state = State::NotFound;
  std::optional<T> value;
  std::string error;  // set when state == Error: transient, the caller retries

  static Lookup found(T v) { return {State::Found, std::move(v), {}}; }
  static Lookup notFound() { return {State::NotFound, std::nullopt, {}}; }
  static Lookup failed(std::string e) { return {State::Error, std::nullopt, std::move(e)}; }
};

class NodeDirectory {
 public:
  virtual ~NodeDirectory() = default;
  virtual Lookup<k8s::Node> find(const std::string& name) = 0;
};

class AccessReviewer {
 public:
  virtual ~AccessReviewer() = default;
  // NotFound is never returned: Found(true/false) or Error.
  virtual Lookup<bool> allowed(const k8s::SubjectAccessReview& review) = 0;
};

// Live reads, no cache: only requests of a signer with verifyPod ask, once per request.
class PodDirectory {
 public:
  virtual ~PodDirectory() = default;
  virtual Lookup<k8s::Pod> pod(const std::string& ns, const std::string& name) = 0;
  virtual Lookup<k8s::ServiceAccount> serviceAccount(const std::string& ns, const std::string& name) = 0;
};

class HostResolver {
 public:
  virtual ~HostResolver() = default;
  // Found with the addresses as text; NotFound when the name does not resolve; Error on timeout.
  virtual Lookup<std::vector<std::string>> resolve(const std::string& host, std::chrono::milliseconds timeout) = 0;
};

}  // namespace csrop
