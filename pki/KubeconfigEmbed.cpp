#include "pki/KubeconfigEmbed.h"

#include <yaml-cpp/yaml.h>

#include "signers/Base64.h"
#include "signers/FileUtil.h"

namespace csrop::pki {
namespace {

using R = signers::Result<KubeconfigCredentials>;

// As client-go reads *-data ([]byte in JSON: Go's StdEncoding), plus folded YAML lines.
constexpr signers::Base64Rules kKubeconfigBase64{.skipWhitespace = true, .canonicalBits = false};

struct Located {
  YAML::Node user;     // the "user" map of the chosen users[] entry
  YAML::Node cluster;  // the "cluster" map of the context's cluster; may be undefined
  std::string userName;
};

YAML::Node findNamed(const YAML::Node& list, const std::string& name, const char* field) {
  if (!list || !list.IsSequence()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& item : list) {
    if (item.IsMap() && item["name"] && item["name"].IsScalar() && item["name"].as<std::string>() == name) return item[field];
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

signers::Result<Located> locate(YAML::Node& doc, const std::string& shownAs) {
  using L = signers::Result<Located>;
  if (!doc.IsMap()) return L::fail(shownAs + " is not a kubeconfig (no top-level map)");
  YAML::Node users = doc["users"];
  if (!users || !users.IsSequence() || users.size() == 0) return L::fail(shownAs + " has no users");
  Located out;
  std::string clusterName;
  if (doc["current-context"] && doc["current-context"].IsScalar()) {
    YAML::Node ctx = findNamed(doc["contexts"], doc["current-context"].as<std::string>(), "context");
    if (ctx && ctx.IsMap()) {
      if (ctx["user"] && ctx["user"].IsScalar()) out.userName = ctx["user"].as<std::string>();
      if (ctx["cluster"] && ctx["cluster"].IsScalar()) clusterName = ctx["cluster"].as<std::string>();
    }
  }
  if (out.userName.empty()) {
    if (!users[0].IsMap() || !users[0]["name"] || !users[0]["name"].IsScalar()) return L::fail(shownAs + ": users[0] has no name");
    out.userName = users[0]["name"].as<std::string>();
  }
  out.user = findNamed(users, out.userName, "user");
  if (!out.user || !out.user.IsMap()) return L::fail(shownAs + ": user \"" + out.userName + "\" is missing or has no user map");
  YAML::Node clusters = doc["clusters"];
  if (clusterName.empty() && clusters && clusters.IsSequence() && clusters.size() > 0 && clusters[0].IsMap() && clusters[0]["name"] &&
      clusters[0]["name"].IsScalar()) {
    clusterName = clusters[0]["name"].as<std::string>();
  }
  if (!clusterName.empty()) out.cluster = findNamed(clusters, clusterName, "cluster");
  return L::ok(out);
}

std::string decodedField(const YAML::Node& map, const char* key, const std::string& shownAs, std::string& error) {
  if (!map || !map.IsMap() || !map[key]) return {};
  if (!map[key].IsScalar()) {
    error = shownAs + ": " + key + " is not a string";
    return {};
  }
  std::string decoded;
  if (signers::base64Decode(map[key].as<std::string>(), kKubeconfigBase64, decoded)) {
    error = shownAs + ": " + key + " is not valid base64";
    return {};
  }
  return decoded;
}

}  // namespace

signers::Result<KubeconfigCredentials> readKubeconfig(const std::string& yamlText, const std::string& shownAs) {
  try {
    YAML::Node doc = YAML::Load(yamlText);
    auto located = locate(doc, shownAs);
    if (!located) return R::fail(located.error());
    KubeconfigCredentials c;
    c.userName = located.value().userName;
    std::string error;
    c.clientKeyPem = decodedField(located.value().user, "client-key-data", shownAs, error);
    if (error.empty()) c.clientCertPem = decodedField(located.value().user, "client-certificate-data", shownAs, error);
    if (error.empty()) c.caPem = decodedField(located.value().cluster, "certificate-authority-data", shownAs, error);
    if (!error.empty()) return R::fail(error);
    return R::ok(std::move(c));
  } catch (const YAML::Exception& e) {
    return R::fail(shownAs + " is not valid YAML: " + e.what());
  }
}

signers::Result<KubeconfigCredentials> readKubeconfigFile(const std::filesystem::path& path, const std::string& shownAs) {
  auto text = signers::readSmallFile(path.string());
  if (!text) return R::fail(shownAs + ": " + text.error());
  return readKubeconfig(text.value(), shownAs);
}

signers::Result<std::string> embedClientCertificate(const std::string& yamlText, const std::string& shownAs, const std::string& certPem,
                                                    const std::string& caPem, const std::string& keyPem) {
  using S = signers::Result<std::string>;
  try {
    YAML::Node doc = YAML::Load(yamlText);
    auto located = locate(doc, shownAs);
    if (!located) return S::fail(located.error());
    YAML::Node user = located.value().user;
    user.remove("client-certificate");
    user["client-certificate-data"] = signers::base64Encode(certPem);
    if (!keyPem.empty()) {
      user.remove("client-key");
      user["client-key-data"] = signers::base64Encode(keyPem);
    }
    YAML::Node cluster = located.value().cluster;
    if (cluster && cluster.IsMap() && !cluster["certificate-authority-data"] && !cluster["certificate-authority"] && !caPem.empty()) {
      cluster["certificate-authority-data"] = signers::base64Encode(caPem);
    }
    YAML::Emitter out;
    out << doc;
    if (!out.good()) return S::fail(shownAs + ": cannot write YAML: " + out.GetLastError());
    return S::ok(std::string(out.c_str()) + "\n");
  } catch (const YAML::Exception& e) {
    return S::fail(shownAs + " is not valid YAML: " + e.what());
  }
}

std::string buildClientKubeconfig(const ClientKubeconfig& k) {
  // Keys in the order clientcmd.Write gives them (the JSON form's, sorted), so a diff against a
  // kubeadm-written file shows only the data.
  const std::string context = k.userName + "@" + k.clusterName;
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "v1";
  out << YAML::Key << "clusters" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "cluster" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "certificate-authority-data" << YAML::Value << signers::base64Encode(k.caPem);
  out << YAML::Key << "server" << YAML::Value << k.server;
  out << YAML::EndMap;
  out << YAML::Key << "name" << YAML::Value << k.clusterName;
  out << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "contexts" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "context" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "cluster" << YAML::Value << k.clusterName;
  out << YAML::Key << "user" << YAML::Value << k.userName;
  out << YAML::EndMap;
  out << YAML::Key << "name" << YAML::Value << context;
  out << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "current-context" << YAML::Value << context;
  out << YAML::Key << "kind" << YAML::Value << "Config";
  out << YAML::Key << "preferences" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::EndMap;
  out << YAML::Key << "users" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << k.userName;
  out << YAML::Key << "user" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "client-certificate-data" << YAML::Value << signers::base64Encode(k.certPem);
  out << YAML::Key << "client-key-data" << YAML::Value << signers::base64Encode(k.keyPem);
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace csrop::pki
