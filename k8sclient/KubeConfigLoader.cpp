#include "k8sclient/KubeConfigLoader.h"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "k8sclient/Base64.h"

namespace fs = std::filesystem;

namespace k8s {

ConfigError::ConfigError(std::string file, std::string field, std::string problem, std::string fix)
    : std::runtime_error(file + ": " + field + ": " + problem + " (fix: " + fix + ")"),
      file_(std::move(file)),
      field_(std::move(field)),
      problem_(std::move(problem)),
      fix_(std::move(fix)) {}

namespace {

std::optional<std::string> readWholeFile(const fs::path& p) {
  std::error_code ec;
  if (fs::is_directory(p, ec)) return std::nullopt;
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return ss.str();
}

// A kubeconfig being parsed: errors carry its path.
class Doc {
 public:
  explicit Doc(std::string path) : path_(std::move(path)), dir_(fs::path(path_).parent_path()) {}

  [[noreturn]] void fail(const std::string& field, const std::string& problem, const std::string& fix) const {
    throw ConfigError(path_, field, problem, fix);
  }

  std::string str(const YAML::Node& parent, const char* key, const std::string& field) const {
    YAML::Node n = parent[key];
    if (!n || n.IsNull()) return {};
    if (!n.IsScalar()) fail(field + "." + key, "must be a string", "write it as a plain scalar value");
    return n.as<std::string>();
  }

  bool boolean(const YAML::Node& parent, const char* key, const std::string& field) const {
    YAML::Node n = parent[key];
    if (!n || n.IsNull()) return false;
    try {
      return n.as<bool>();
    } catch (const YAML::Exception&) {
      fail(field + "." + key, "is not a boolean: '" + (n.IsScalar() ? n.Scalar() : std::string("<non-scalar>")) + "'", "use true or false");
    }
  }

  // Finds {name: X, <kind>: {...}} in a named list such as clusters or contexts.
  YAML::Node named(const YAML::Node& root, const char* list, const char* kind, const std::string& name) const {
    YAML::Node l = root[list];
    if (l && !l.IsNull() && !l.IsSequence()) fail(list, "must be a list", "write it as a YAML sequence of entries");
    if (l && l.IsSequence()) {
      for (size_t i = 0; i < l.size(); ++i) {
        YAML::Node e = l[i];
        if (!e.IsMap())
          fail(std::string(list) + "[" + std::to_string(i) + "]", "must be a mapping", "give it name and " + std::string(kind));
        if (str(e, "name", std::string(list) + "[" + std::to_string(i) + "]") == name) {
          YAML::Node body = e[kind];
          std::string field = std::string(list) + "[name=" + name + "]." + kind;
          if (!body || !body.IsMap())
            fail(field, "is missing or not a mapping", "add the " + std::string(kind) + " fields under this entry");
          return body;
        }
      }
    }
    fail(list, "has no entry named '" + name + "'", "add it or fix the reference to it");
  }

  fs::path resolve(const std::string& p) const {
    fs::path path(p);
    if (path.is_relative()) path = dir_ / path;
    return path.lexically_normal();
  }

  // The value of `key`-data (base64) or the content of the file named by `key`, empty when neither is set.
  std::string dataOrFile(const YAML::Node& parent, const std::string& key, const std::string& field) const {
    std::string data = str(parent, (key + "-data").c_str(), field);
    if (!data.empty()) {
      auto decoded = base64Decode(data);
      if (!decoded) fail(field + "." + key + "-data", "is not valid base64", "re-encode the PEM with `base64 -w0`");
      return *decoded;
    }
    std::string file = str(parent, key.c_str(), field);
    if (file.empty()) return {};
    fs::path p = resolve(file);
    auto content = readWholeFile(p);
    if (!content) {
      std::error_code ec;
      std::string why = fs::exists(p, ec) ? "cannot be read" : "does not exist";
      fail(field + "." + key, "file " + p.string() + " " + why,
           "fix the path (relative paths start at the kubeconfig's folder) or its permissions");
    }
    return *content;
  }

  const std::string& path() const { return path_; }
  fs::path resolvePath(const std::string& p) const { return resolve(p); }

 private:
  std::string path_;
  fs::path dir_;
};

void requirePem(const Doc& doc, const std::string& pem, const std::string& field, const char* what) {
  if (pem.find("-----BEGIN") == std::string::npos)
    doc.fail(field, std::string("does not contain a PEM ") + what, "point it at a PEM file (or base64 of one for -data)");
}

std::string normalizeServer(const Doc& doc, std::string server, const std::string& field) {
  if (server.empty()) doc.fail(field, "is missing", "set it to the API server URL, e.g. https://10.0.0.1:6443");
  if (server.rfind("https://", 0) != 0 && server.rfind("http://", 0) != 0)
    doc.fail(field, "'" + server + "' is not an http(s) URL", "use https://host:port");
  while (server.size() > 8 && server.back() == '/') server.pop_back();
  if (server.rfind("http://", 0) == 0) spdlog::warn("API server {} is plain http: traffic and credentials are not protected", server);
  return server;
}

}  // namespace

RestConfig loadKubeConfig(const std::string& path, const std::string& context) {
  Doc doc(path);
  auto text = readWholeFile(path);
  if (!text) {
    std::error_code ec;
    doc.fail("(file)", fs::exists(path, ec) ? "cannot be read" : "does not exist",
             "pass an existing, readable kubeconfig with --kubeconfig or KUBECONFIG");
  }
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    doc.fail("(yaml)", "line " + std::to_string(e.mark.line + 1) + ": " + e.msg, "fix the YAML syntax");
  }
  if (!root.IsMap()) doc.fail("(document)", "is not a YAML mapping", "a kubeconfig has apiVersion, clusters, contexts, users");

  std::string ctxName = context.empty() ? doc.str(root, "current-context", "") : context;
  if (ctxName.empty()) doc.fail("current-context", "is not set and no context was given", "set current-context or pass a context name");
  YAML::Node ctx = doc.named(root, "contexts", "context", ctxName);
  std::string ctxField = "contexts[name=" + ctxName + "].context";
  std::string clusterName = doc.str(ctx, "cluster", ctxField);
  if (clusterName.empty()) doc.fail(ctxField + ".cluster", "is missing", "name the cluster this context uses");
  std::string userName = doc.str(ctx, "user", ctxField);

  RestConfig cfg;
  cfg.namespace_ = doc.str(ctx, "namespace", ctxField);
  cfg.source = "kubeconfig " + path + " (context " + ctxName + ")";

  YAML::Node cluster = doc.named(root, "clusters", "cluster", clusterName);
  std::string cf = "clusters[name=" + clusterName + "].cluster";
  cfg.server = normalizeServer(doc, doc.str(cluster, "server", cf), cf + ".server");
  cfg.tlsServerName = doc.str(cluster, "tls-server-name", cf);
  cfg.caPem = doc.dataOrFile(cluster, "certificate-authority", cf);
  if (!cfg.caPem.empty()) requirePem(doc, cfg.caPem, cf + ".certificate-authority", "certificate");
  cfg.insecureSkipTlsVerify = doc.boolean(cluster, "insecure-skip-tls-verify", cf);
  if (cfg.insecureSkipTlsVerify && !cfg.caPem.empty())
    doc.fail(cf + ".insecure-skip-tls-verify", "is set together with a certificate authority",
             "remove one of them (client-go refuses this combination too)");
  if (cfg.insecureSkipTlsVerify)
    spdlog::warn(
        "!!! {}: insecure-skip-tls-verify is set: the API server's certificate will NOT be verified; "
        "anyone on the network path can impersonate it !!!",
        path);

  if (!userName.empty()) {
    YAML::Node user = doc.named(root, "users", "user", userName);
    std::string uf = "users[name=" + userName + "].user";
    cfg.clientCertPem = doc.dataOrFile(user, "client-certificate", uf);
    cfg.clientKeyPem = doc.dataOrFile(user, "client-key", uf);
    if (!cfg.clientCertPem.empty()) requirePem(doc, cfg.clientCertPem, uf + ".client-certificate", "certificate");
    if (!cfg.clientKeyPem.empty()) requirePem(doc, cfg.clientKeyPem, uf + ".client-key", "private key");
    if (cfg.clientCertPem.empty() != cfg.clientKeyPem.empty())
      doc.fail(uf + (cfg.clientKeyPem.empty() ? ".client-key" : ".client-certificate"), "is missing while its pair is set",
               "give both client-certificate and client-key (or their -data forms)");
    cfg.token = doc.str(user, "token", uf);
    std::string tokenFile = doc.str(user, "tokenFile", uf);
    if (!tokenFile.empty()) {
      fs::path p = doc.resolvePath(tokenFile);
      if (!readWholeFile(p)) doc.fail(uf + ".tokenFile", "file " + p.string() + " cannot be read", "fix the path or its permissions");
      cfg.tokenFile = p.string();
    }
    bool hasCred = !cfg.clientCertPem.empty() || !cfg.token.empty() || !cfg.tokenFile.empty();
    if (!hasCred && (user["exec"] || user["auth-provider"]))
      doc.fail(uf + (user["exec"] ? ".exec" : ".auth-provider"), "credential plugins are not supported",
               "use a client certificate, a token or a tokenFile (e.g. a service account token)");
    if (!hasCred && (user["username"] || user["password"]))
      doc.fail(uf + ".username", "basic authentication is not supported", "use a client certificate or a token");
  }
  return cfg;
}

RestConfig loadInClusterConfig(const std::string& saDir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  const std::string env = "environment";
  const std::string fix = "run inside a pod, or pass --kubeconfig / set KUBECONFIG";
  if (!host || !*host) throw ConfigError(env, "KUBERNETES_SERVICE_HOST", "is not set", fix);
  if (!port || !*port) throw ConfigError(env, "KUBERNETES_SERVICE_PORT", "is not set", fix);
  std::string h = host;
  if (h.find(':') != std::string::npos && h.front() != '[') h = "[" + h + "]";

  fs::path dir(saDir);
  RestConfig cfg;
  cfg.server = "https://" + h + ":" + port;
  cfg.source = "in-cluster (" + saDir + ")";
  fs::path tokenPath = dir / "token";
  auto token = readWholeFile(tokenPath);
  if (!token)
    throw ConfigError(tokenPath.string(), "token", "cannot be read", "mount the service account token (automountServiceAccountToken)");
  if (token->find_first_not_of(" \r\n\t") == std::string::npos)
    throw ConfigError(tokenPath.string(), "token", "is empty", "mount a valid service account token");
  cfg.tokenFile = tokenPath.string();
  fs::path caPath = dir / "ca.crt";
  auto ca = readWholeFile(caPath);
  if (!ca) throw ConfigError(caPath.string(), "ca.crt", "cannot be read", "mount the service account's ca.crt");
  if (ca->find("-----BEGIN") == std::string::npos)
    throw ConfigError(caPath.string(), "ca.crt", "does not contain a PEM certificate", "mount the cluster CA bundle");
  cfg.caPem = *ca;
  if (auto ns = readWholeFile(dir / "namespace")) {
    std::string n = *ns;
    while (!n.empty() && (n.back() == '\n' || n.back() == '\r' || n.back() == ' ')) n.pop_back();
    cfg.namespace_ = n;
  }
  return cfg;
}

RestConfig loadDefaultConfig(std::optional<std::string> kubeconfigFlag, const std::string& context) {
  if (kubeconfigFlag && !kubeconfigFlag->empty()) return loadKubeConfig(*kubeconfigFlag, context);
  if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
    std::string list = env;
    std::string first = list.substr(0, list.find(':'));
    if (!first.empty()) return loadKubeConfig(first, context);
  }
  if (const char* host = std::getenv("KUBERNETES_SERVICE_HOST"); host && *host) return loadInClusterConfig();
  if (const char* home = std::getenv("HOME"); home && *home) {
    fs::path p = fs::path(home) / ".kube" / "config";
    std::error_code ec;
    if (fs::exists(p, ec)) return loadKubeConfig(p.string(), context);
  }
  throw ConfigError("(none)", "kubeconfig", "no kubeconfig given, KUBECONFIG unset, not in a pod and no ~/.kube/config",
                    "pass --kubeconfig FILE or set KUBECONFIG");
}

}  // namespace k8s
