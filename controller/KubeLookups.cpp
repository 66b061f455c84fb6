#include "controller/KubeLookups.h"

#include "k8sclient/ApiError.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <future>
#include <memory>
#include <thread>

namespace csrop {

Lookup<k8s::Node> existingNode(k8s::Node node) {
  if (!node.metadata.deletionTimestamp.empty()) return Lookup<k8s::Node>::notFound();
  return Lookup<k8s::Node>::found(std::move(node));
}

namespace {

std::vector<k8s::NodeAddress> addressesOf(const std::vector<std::string>& keys) {
  std::vector<k8s::NodeAddress> out;
  out.reserve(keys.size());
  for (const auto& key : keys) {
    if (key.starts_with("ip:")) out.push_back({"InternalIP", key.substr(3)});
    if (key.starts_with("dns:")) out.push_back({"Hostname", key.substr(4)});
  }
  return out;
}

}  // namespace

Lookup<k8s::Node> InformerNodeDirectory::find(const std::string& name) {
  if (auto node = informer_.get(name)) {
    if (auto keys = index_.listedKeys(name)) {
      node->addresses = addressesOf(*keys);
      return existingNode(std::move(*node));
    }
  }
  try {
    return existingNode(client_.get<k8s::Node>(name));
  } catch (const std::exception& e) {
    if (k8s::isNotFound(e)) return Lookup<k8s::Node>::notFound();
    return Lookup<k8s::Node>::failed(e.what());
  }
}

namespace {

template <class T>
Lookup<T> liveRead(k8s::KubeClient& client, const std::string& ns, const std::string& name) {
  try {
    return Lookup<T>::found(client.get<T>(name, ns));
  } catch (const std::exception& e) {
    if (k8s::isNotFound(e)) return Lookup<T>::notFound();
    return Lookup<T>::failed(e.what());
  }
}

}  // namespace

Lookup<k8s::Pod> ApiPodDirectory::pod(const std::string& ns, const std::string& name) { return liveRead<k8s::Pod>(client_, ns, name); }

Lookup<k8s::ServiceAccount> ApiPodDirectory::serviceAccount(const std::string& ns, const std::string& name) {
  return liveRead<k8s::ServiceAccount>(client_, ns, name);
}

Lookup<bool> ApiAccessReviewer::allowed(const k8s::SubjectAccessReview& review) {
  try {
    auto result = client_.create(review);
    if (!result.status.evaluationError.empty() && !result.status.allowed)
      return Lookup<bool>::failed("authorizer evaluation error: " + result.status.evaluationError);
    return Lookup<bool>::found(result.status.allowed && !result.status.denied);
  } catch (const std::exception& e) {
    return Lookup<bool>::failed(e.what());
  }
}

Lookup<std::vector<std::string>> SystemHostResolver::resolve(const std::string& host, std::chrono::milliseconds timeout) {
  using Result = Lookup<std::vector<std::string>>;
  // getaddrinfo cannot be cancelled, so it runs on a detached thread that owns its promise;
  // on timeout we stop waiting and the thread finishes on its own.
  auto promise = std::make_shared<std::promise<Result>>();
  auto future = promise->get_future();
  std::thread([host, promise] {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
    if (rc != 0) {
      promise->set_value(rc == EAI_NONAME || rc == EAI_NODATA ? Result::notFound() : Result::failed(gai_strerror(rc)));
      return;
    }
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(res, &freeaddrinfo);
    std::vector<std::string> out;
    for (auto* p = res; p; p = p->ai_next) {
      char buf[INET6_ADDRSTRLEN] = {};
      const void* addr = p->ai_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(p->ai_addr)->sin_addr)
                                                 : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(p->ai_addr)->sin6_addr);
      if (inet_ntop(p->ai_family, addr, buf, sizeof buf)) out.emplace_back(buf);
    }
    promise->set_value(Result::found(std::move(out)));
  }).detach();
  if (future.wait_for(timeout) != std::future_status::ready)
    return Result::failed("no answer within " + std::to_string(timeout.count()) + "ms");
  return future.get();
}

}  // namespace csrop
