#include "pki/KubeadmConfig.h"

#include <yaml-cpp/yaml.h>

#include <cctype>

#include "signers/FileUtil.h"
#include "signers/IpAddress.h"
#include "signers/Profiles.h"

namespace csrop::pki {
namespace {

using S = signers::Result<std::string>;

std::string scalar(const YAML::Node& map, const char* key) {
  if (!map || !map.IsMap() || !map[key] || !map[key].IsScalar()) return {};
  return map[key].as<std::string>();
}

// The URL host of a host name or an IP address; empty when it is neither.
std::string urlHost(const std::string& host) {
  if (auto ip = signers::IpAddress::parse(host)) return ip->family == 6 ? "[" + ip->toString() + "]" : ip->toString();
  if (host.find('*') == std::string::npos && signers::isWellFormedDnsName(host)) return host;
  return {};
}

bool validPort(const std::string& text, int& port) {
  if (text.empty() || text.size() > 5) return false;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  port = std::stoi(text);
  return port >= 1 && port <= 65535;
}

}  // namespace

signers::Result<std::string> endpointUrl(const std::string& endpoint, int defaultPort) {
  std::string host = endpoint, portText;
  if (endpoint.starts_with("[")) {
    const auto close = endpoint.find(']');
    if (close == std::string::npos) return S::fail("\"" + endpoint + "\" has no closing ]");
    host = endpoint.substr(1, close - 1);
    const std::string rest = endpoint.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return S::fail("\"" + endpoint + "\" has text after ]");
      portText = rest.substr(1);
      if (portText.empty()) return S::fail("\"" + endpoint + "\" ends with ':' but has no port");
    }
  } else if (const auto colon = endpoint.rfind(':'); colon != std::string::npos && endpoint.find(':') == colon) {
    host = endpoint.substr(0, colon);
    portText = endpoint.substr(colon + 1);
    if (portText.empty()) return S::fail("\"" + endpoint + "\" ends with ':' but has no port");
  }
  const std::string h = urlHost(host);
  if (h.empty()) return S::fail("\"" + host + "\" is neither a DNS name nor an IP address");
  int port = defaultPort;
  if (!portText.empty() && !validPort(portText, port)) return S::fail("\"" + portText + "\" is not a port (1-65535)");
  return S::ok("https://" + h + ":" + std::to_string(port));
}

signers::Result<std::string> checkServerUrl(const std::string& url) {
  constexpr std::string_view kScheme = "https://";
  if (url.size() > 512) return S::fail("--server is longer than 512 characters");
  if (!url.starts_with(kScheme)) return S::fail("--server must start with https:// (got \"" + url.substr(0, 64) + "\")");
  std::string hostPort = url.substr(kScheme.size());
  if (!hostPort.empty() && hostPort.back() == '/') hostPort.pop_back();
  if (hostPort.find('/') != std::string::npos) return S::fail("--server must be https://host[:port] without a path");
  auto formatted = endpointUrl(hostPort, 443);
  if (!formatted) return S::fail("--server: " + formatted.error());
  return S::ok(url);
}

signers::Result<KubeadmClusterSettings> readKubeadmConfig(const std::string& path) {
  using R = signers::Result<KubeadmClusterSettings>;
  auto text = signers::readSmallFile(path, 1024 * 1024);
  if (!text) return R::fail("--config: " + text.error());
  KubeadmClusterSettings s;
  std::string controlPlaneEndpoint, advertiseAddress, bindPort;
  bool sawKubeadm = false;
  try {
    for (const auto& doc : YAML::LoadAll(text.value())) {
      if (!doc.IsMap() || !scalar(doc, "apiVersion").starts_with("kubeadm.k8s.io/")) continue;
      const std::string kind = scalar(doc, "kind");
      if (kind == "ClusterConfiguration") {
        sawKubeadm = true;
        if (auto v = scalar(doc, "clusterName"); !v.empty()) s.clusterName = v;
        if (auto v = scalar(doc, "certificatesDir"); !v.empty()) s.certificatesDir = v;
        controlPlaneEndpoint = scalar(doc, "controlPlaneEndpoint");
      } else if (kind == "InitConfiguration") {
        sawKubeadm = true;
        advertiseAddress = scalar(doc["localAPIEndpoint"], "advertiseAddress");
        bindPort = scalar(doc["localAPIEndpoint"], "bindPort");
      }
    }
  } catch (const YAML::Exception& e) {
    return R::fail(path + " is not valid YAML: " + e.what());
  }
  if (!sawKubeadm) return R::fail(path + " has no kubeadm.k8s.io ClusterConfiguration or InitConfiguration document");
  int port = 6443;
  if (!bindPort.empty() && !validPort(bindPort, port)) {
    return R::fail(path + ": localAPIEndpoint.bindPort \"" + bindPort + "\" is not a port (1-65535)");
  }
  const std::string& endpoint = controlPlaneEndpoint.empty() ? advertiseAddress : controlPlaneEndpoint;
  if (endpoint.empty()) {
    return R::fail(path + " sets neither controlPlaneEndpoint nor localAPIEndpoint.advertiseAddress; set one, or pass --server");
  }
  // kubeadm's GetLocalAPIEndpoint takes the advertise address as an IP address only.
  if (controlPlaneEndpoint.empty() && !signers::IpAddress::parse(advertiseAddress)) {
    return R::fail(path + ": localAPIEndpoint.advertiseAddress \"" + advertiseAddress + "\" is not an IP address");
  }
  auto url = endpointUrl(endpoint, port);
  if (!url) return R::fail(path + ": " + (controlPlaneEndpoint.empty() ? "advertiseAddress " : "controlPlaneEndpoint ") + url.error());
  s.server = url.value();
  return R::ok(std::move(s));
}

}  // namespace csrop::pki
