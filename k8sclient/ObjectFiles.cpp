#include "k8sclient/ObjectFiles.h"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <limits>
#include <regex>

namespace k8s {
namespace {

// A hand-written object is never this deep; the bound keeps a hostile file from exhausting the stack.
constexpr int kMaxDepth = 64;

// kubectl quotes every string scalar that would read as another type, so an unquoted scalar is
// typed by its YAML 1.2 core schema spelling; a quoted one (tag "!") is always a string.
nlohmann::json scalarJson(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (text == "null" || text == "Null" || text == "NULL" || text == "~") return nullptr;
  static const std::regex integer("[-+]?[0-9]+");
  if (std::regex_match(text, integer)) try {
      return std::stoll(text);
    } catch (const std::out_of_range&) {
      return text;
    }
  return text;
}

nlohmann::json toJson(const YAML::Node& node, const std::string& origin, int depth) {
  if (depth > kMaxDepth)
    throw ObjectFileError(origin + ": nested more than " + std::to_string(kMaxDepth) + " levels deep; is it an object?");
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: return nullptr;
    case YAML::NodeType::Scalar: return scalarJson(node);
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& item : node) array.push_back(toJson(item, origin, depth + 1));
      return array;
    }
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& kv : node) object[kv.first.as<std::string>()] = toJson(kv.second, origin, depth + 1);
      return object;
    }
  }
  return nullptr;
}

nlohmann::json parse(std::string_view text, const std::string& origin) {
  try {
    const nlohmann::json j = toJson(YAML::Load(std::string(text)), origin, 0);
    if (!j.is_object())
      throw ObjectFileError(origin + ": not a Kubernetes object (no mapping at the top); write what kubectl get -o yaml prints");
    return j;
  } catch (const YAML::Exception& e) {
    throw ObjectFileError(origin + ":" + std::to_string(e.mark.line + 1) + ": not YAML or JSON: " + e.msg);
  }
}

std::string kindOf(const nlohmann::json& j) {
  const auto kind = j.find("kind");
  return kind != j.end() && kind->is_string() ? kind->get<std::string>() : std::string();
}

template <class T>
T objectOf(const nlohmann::json& j, const std::string& origin) {
  try {
    return j.get<T>();
  } catch (const std::exception& e) {
    throw ObjectFileError(origin + ": " + e.what());
  }
}

}  // namespace

CertificateSigningRequest csrFromText(std::string_view text, const std::string& origin) {
  const auto j = parse(text, origin);
  if (kindOf(j) != "CertificateSigningRequest")
    throw ObjectFileError(origin + ": kind is '" + kindOf(j) +
                          "', not CertificateSigningRequest; write what kubectl get csr NAME -o yaml prints");
  return objectOf<CertificateSigningRequest>(j, origin);
}

std::vector<Node> nodesFromText(std::string_view text, const std::string& origin) {
  const auto j = parse(text, origin);
  const std::string kind = kindOf(j);
  if (kind == "Node") return {objectOf<Node>(j, origin)};
  if (kind != "NodeList" && kind != "List")
    throw ObjectFileError(origin + ": kind is '" + kind + "', not Node, NodeList or List; write what kubectl get nodes -o yaml prints");
  std::vector<Node> nodes;
  const auto items = j.find("items");
  if (items == j.end() || !items->is_array()) return nodes;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const auto& item = (*items)[i];
    const std::string where = origin + ": items[" + std::to_string(i) + "]";
    // A List's items say their kind; a NodeList's, as the API server serves it, need not.
    const bool isNode = item.is_object() && (kindOf(item) == "Node" || (kind == "NodeList" && kindOf(item).empty()));
    if (!isNode) throw ObjectFileError(where + " is not a Node (kind '" + (item.is_object() ? kindOf(item) : "") + "')");
    nodes.push_back(objectOf<Node>(item, where));
  }
  return nodes;
}

}  // namespace k8s
