// Renders charts/csr-operator with helm over the value files in tests/chart/values and asserts
// what the cluster would actually get: the exact RBAC (nothing more than the enabled features
// need), probes, pod security, CA mounts and key file modes, and the configuration file.
// HELM and CHART_DIR come from the environment (tests/chart/chart_test.sh sets them);
// CSR_OPERATOR_BIN, when set, also runs `csr-operator check-config` on every rendered config.
#include "controller/Metrics.h"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <cctype>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace {

struct CommandResult {
  int rc = 0;
  std::string output;
};

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

CommandResult runCommand(const std::string& cmd) {
  CommandResult r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  REQUIRE_MESSAGE(p != nullptr, "cannot run: " << cmd);
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int status = pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string valuesFile(const std::string& name) { return (std::filesystem::path(CHART_VALUES_DIR) / name).string(); }

// `helm template` with the given extra arguments (value files, --set, --api-versions).
CommandResult helmTemplate(const std::string& args) {
  const std::string helm = env("HELM");
  const std::string chart = env("CHART_DIR");
  REQUIRE_MESSAGE(!helm.empty(), "HELM is not set (run through tests/chart/chart_test.sh)");
  REQUIRE_MESSAGE(!chart.empty(), "CHART_DIR is not set (run through tests/chart/chart_test.sh)");
  return runCommand(shellQuote(helm) + " template rel " + shellQuote(chart) + " --namespace csr-ops " + args);
}

struct Rendered {
  std::vector<YAML::Node> docs;

  std::vector<YAML::Node> all(const std::string& kind) const {
    std::vector<YAML::Node> out;
    for (const auto& d : docs)
      if (d["kind"].as<std::string>() == kind) out.push_back(d);
    return out;
  }
  YAML::Node one(const std::string& kind) const {
    auto v = all(kind);
    REQUIRE_MESSAGE(v.size() == 1, "expected exactly one " << kind << ", got " << v.size());
    return v.front();
  }
  bool has(const std::string& kind) const { return !all(kind).empty(); }
  // The object of that kind whose name ends with suffix; exactly one.
  YAML::Node named(const std::string& kind, const std::string& suffix) const {
    std::vector<YAML::Node> out;
    for (const auto& d : all(kind)) {
      const auto name = d["metadata"]["name"].as<std::string>();
      if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) out.push_back(d);
    }
    REQUIRE_MESSAGE(out.size() == 1, "expected exactly one " << kind << " named *" << suffix << ", got " << out.size());
    return out.front();
  }
};

Rendered render(const std::string& args) {
  CommandResult r = helmTemplate(args);
  INFO("helm template " << args << "\n" << r.output);
  REQUIRE(r.rc == 0);
  Rendered out;
  for (const auto& d : YAML::LoadAll(r.output))
    if (d && d.IsMap()) out.docs.push_back(d);
  REQUIRE(!out.docs.empty());
  return out;
}

Rendered renderFile(const std::string& file) { return render("-f " + shellQuote(valuesFile(file))); }

std::set<std::string> stringSet(const YAML::Node& n) {
  std::set<std::string> out;
  if (n)
    for (const auto& e : n) out.insert(e.as<std::string>());
  return out;
}

std::string joined(const std::set<std::string>& s) {
  std::string out;
  for (const auto& e : s) out += (out.empty() ? "" : ",") + e;
  return out;
}

// A policy rule reduced to one comparable line: groups|resources|verbs|resourceNames.
std::string ruleKey(const YAML::Node& rule) {
  return joined(stringSet(rule["apiGroups"])) + "|" + joined(stringSet(rule["resources"])) + "|" + joined(stringSet(rule["verbs"])) + "|" +
         joined(stringSet(rule["resourceNames"]));
}

std::multiset<std::string> ruleKeys(const YAML::Node& role) {
  std::multiset<std::string> out;
  for (const auto& r : role["rules"]) out.insert(ruleKey(r));
  return out;
}

const std::string kCsrRead = "certificates.k8s.io|certificatesigningrequests|get,list,watch|";
const std::string kCsrReadDelete = "certificates.k8s.io|certificatesigningrequests|delete,get,list,watch|";
const std::string kApproval = "certificates.k8s.io|certificatesigningrequests/approval|update|";
const std::string kStatus = "certificates.k8s.io|certificatesigningrequests/status|update|";
const std::string kNodes = "|nodes|get,list,watch|";
const std::string kSar = "authorization.k8s.io|subjectaccessreviews|create|";
const std::string kEvents = "|events|create,patch|";
const std::string kServing = "kubernetes.io/kubelet-serving";
const std::string kClient = "kubernetes.io/kube-apiserver-client-kubelet";

const std::string kPcrRead = "certificates.k8s.io|podcertificaterequests|get,list,watch|";
const std::string kPcrStatus = "certificates.k8s.io|podcertificaterequests/status|update|";
const std::string kCtb = "certificates.k8s.io|clustertrustbundles|create,delete,get,list,update,watch|";
std::string approveRule(std::set<std::string> names) { return "certificates.k8s.io|signers|approve|" + joined(names); }
std::string signRule(std::set<std::string> names) { return "certificates.k8s.io|signers|sign|" + joined(names); }
std::string attestRule(std::set<std::string> names) { return "certificates.k8s.io|signers|attest|" + joined(names); }

void checkClusterRole(const Rendered& r, const std::multiset<std::string>& expected) {
  const YAML::Node role = r.one("ClusterRole");
  const auto got = ruleKeys(role);
  std::string gotText;
  for (const auto& k : got) gotText += "\n  " + k;
  INFO("ClusterRole rules:" << gotText);
  CHECK(got == expected);
  const YAML::Node binding = r.one("ClusterRoleBinding");
  CHECK(binding["roleRef"]["name"].as<std::string>() == role["metadata"]["name"].as<std::string>());
  CHECK(binding["subjects"].size() == 1);
  CHECK(binding["subjects"][0]["kind"].as<std::string>() == "ServiceAccount");
  CHECK(binding["subjects"][0]["namespace"].as<std::string>() == "csr-ops");
}

// The Lease Role: create (unnamed) plus get/update on the one Lease; nothing else, nowhere else.
void checkLeaseRole(const Rendered& r, const std::string& ns, const std::string& lease) {
  const YAML::Node role = r.named("Role", "-leader-election");
  CHECK(role["metadata"]["namespace"].as<std::string>() == ns);
  const std::multiset<std::string> expected = {"coordination.k8s.io|leases|create|", "coordination.k8s.io|leases|get,update|" + lease};
  CHECK(ruleKeys(role) == expected);
  const YAML::Node binding = r.named("RoleBinding", "-leader-election");
  CHECK(binding["metadata"]["namespace"].as<std::string>() == ns);
  CHECK(binding["roleRef"]["kind"].as<std::string>() == "Role");
  CHECK(binding["roleRef"]["name"].as<std::string>() == role["metadata"]["name"].as<std::string>());
}

// Events: create/patch in "default" only (where Events about cluster-scoped CSRs go), through a
// Role bound to the operator's service account; never in the ClusterRole.
void checkEventsRole(const Rendered& r) {
  const YAML::Node role = r.named("Role", "-events");
  CHECK(role["metadata"]["namespace"].as<std::string>() == "default");
  CHECK(ruleKeys(role) == std::multiset<std::string>{kEvents});
  const YAML::Node binding = r.named("RoleBinding", "-events");
  CHECK(binding["metadata"]["namespace"].as<std::string>() == "default");
  CHECK(binding["roleRef"]["kind"].as<std::string>() == "Role");
  CHECK(binding["roleRef"]["name"].as<std::string>() == role["metadata"]["name"].as<std::string>());
  CHECK(binding["subjects"][0]["kind"].as<std::string>() == "ServiceAccount");
  CHECK(binding["subjects"][0]["namespace"].as<std::string>() == "csr-ops");
}

// Node identity: list/watch of Services and EndpointSlices in "default" only (the API server's own
// Service and slices), through a Role; never in the ClusterRole.
void checkNodeIdentityRole(const Rendered& r) {
  const YAML::Node role = r.named("Role", "-node-identity");
  CHECK(role["metadata"]["namespace"].as<std::string>() == "default");
  CHECK(ruleKeys(role) == std::multiset<std::string>{"|services|list,watch|", "discovery.k8s.io|endpointslices|list,watch|"});
  const YAML::Node binding = r.named("RoleBinding", "-node-identity");
  CHECK(binding["metadata"]["namespace"].as<std::string>() == "default");
  CHECK(binding["roleRef"]["name"].as<std::string>() == role["metadata"]["name"].as<std::string>());
  CHECK(binding["subjects"][0]["namespace"].as<std::string>() == "csr-ops");
}

YAML::Node podSpec(const Rendered& r) { return r.one("Deployment")["spec"]["template"]["spec"]; }
YAML::Node container(const Rendered& r) {
  const YAML::Node c = podSpec(r)["containers"];
  REQUIRE(c.size() == 1);
  return c[0];
}

YAML::Node configFile(const Rendered& r) { return YAML::Load(r.one("ConfigMap")["data"]["config.yaml"].as<std::string>()); }

// The YAML text of a node, "" for a key that is not there (comparing optional fields of two objects).
std::string dumped(const YAML::Node& n) { return n ? YAML::Dump(n) : ""; }

std::vector<std::string> mountPaths(const YAML::Node& c) {
  std::vector<std::string> out;
  for (const auto& m : c["volumeMounts"]) out.push_back(m["name"].as<std::string>() + ":" + m["mountPath"].as<std::string>());
  return out;
}

// check-config runs as the init container and as the `helm test` Pod, on the operator's own
// configuration and CA mounts, with its security context, placement and image.
void checkCheckConfigContainers(const Rendered& r) {
  const YAML::Node pod = podSpec(r);
  const YAML::Node main = pod["containers"][0];
  REQUIRE(pod["initContainers"].size() == 1);
  const YAML::Node init = pod["initContainers"][0];
  CHECK(init["name"].as<std::string>() == "check-config");
  CHECK(init["image"].as<std::string>() == main["image"].as<std::string>());
  REQUIRE(init["args"].size() == 3);
  CHECK(init["args"][0].as<std::string>() == "check-config");
  CHECK(init["args"][1].as<std::string>() == "--config");
  CHECK(init["args"][2].as<std::string>() == main["args"][2].as<std::string>());
  CHECK(mountPaths(init) == mountPaths(main));
  CHECK(dumped(init["securityContext"]) == dumped(main["securityContext"]));

  std::vector<YAML::Node> tests;
  for (const auto& p : r.all("Pod"))
    if (p["metadata"]["annotations"] && p["metadata"]["annotations"]["helm.sh/hook"].as<std::string>("") == "test") tests.push_back(p);
  REQUIRE(tests.size() == 1);
  const YAML::Node test = tests[0];
  CHECK(test["spec"]["restartPolicy"].as<std::string>() == "Never");
  CHECK(test["spec"]["automountServiceAccountToken"].as<bool>() == false);
  REQUIRE(test["spec"]["containers"].size() == 1);
  const YAML::Node tc = test["spec"]["containers"][0];
  CHECK(tc["args"][0].as<std::string>() == "check-config");
  CHECK(mountPaths(tc) == mountPaths(main));
  CHECK(dumped(test["spec"]["volumes"]) == dumped(pod["volumes"]));
  CHECK(dumped(test["spec"]["nodeSelector"]) == dumped(pod["nodeSelector"]));
  CHECK(dumped(test["spec"]["securityContext"]) == dumped(pod["securityContext"]));
}

// Probes, ports, env and the restricted security context that every mode shares.
void checkCommonPod(const Rendered& r, bool root) {
  const YAML::Node pod = podSpec(r);
  const YAML::Node c = container(r);
  CHECK(c["livenessProbe"]["httpGet"]["path"].as<std::string>() == "/healthz");
  CHECK(c["livenessProbe"]["httpGet"]["port"].as<std::string>() == "http");
  CHECK(c["readinessProbe"]["httpGet"]["path"].as<std::string>() == "/readyz");
  CHECK(c["readinessProbe"]["httpGet"]["port"].as<std::string>() == "http");
  CHECK(c["ports"][0]["name"].as<std::string>() == "http");
  CHECK(c["args"][0].as<std::string>() == "run");
  CHECK(c["args"][1].as<std::string>() == "--config");
  CHECK(c["args"][2].as<std::string>() == "/etc/csr-operator/config/config.yaml");

  std::map<std::string, std::string> fieldRefs;
  for (const auto& e : c["env"])
    if (e["valueFrom"]) fieldRefs[e["name"].as<std::string>()] = e["valueFrom"]["fieldRef"]["fieldPath"].as<std::string>();
  CHECK(fieldRefs["POD_NAME"] == "metadata.name");
  CHECK(fieldRefs["POD_NAMESPACE"] == "metadata.namespace");

  const YAML::Node sc = c["securityContext"];
  CHECK(sc["allowPrivilegeEscalation"].as<bool>() == false);
  CHECK(sc["readOnlyRootFilesystem"].as<bool>() == true);
  CHECK(stringSet(sc["capabilities"]["drop"]) == std::set<std::string>{"ALL"});
  CHECK(!sc["capabilities"]["add"]);
  CHECK(!sc["privileged"]);
  CHECK(sc["seccompProfile"]["type"].as<std::string>() == "RuntimeDefault");
  const YAML::Node psc = pod["securityContext"];
  CHECK(psc["seccompProfile"]["type"].as<std::string>() == "RuntimeDefault");
  if (root) {
    CHECK(sc["runAsUser"].as<int>() == 0);
    CHECK(sc["runAsNonRoot"].as<bool>() == false);
    CHECK(psc["runAsUser"].as<int>() == 0);
  } else {
    CHECK(sc["runAsUser"].as<int>() == 65532);
    CHECK(sc["runAsNonRoot"].as<bool>() == true);
    CHECK(psc["runAsUser"].as<int>() == 65532);
    CHECK(psc["runAsNonRoot"].as<bool>() == true);
    CHECK(psc["fsGroup"].as<int>() == 65532);
  }
  CHECK(!pod["hostNetwork"]);
  CHECK(!pod["hostPID"]);

  CHECK(c["resources"]["requests"]["cpu"].as<std::string>() == "10m");
  CHECK(c["resources"]["requests"]["memory"].as<std::string>() == "24Mi");
  CHECK(c["resources"]["limits"]["cpu"].as<std::string>() == "500m");
  CHECK(c["resources"]["limits"]["memory"].as<std::string>() == "64Mi");
  CHECK(pod["priorityClassName"].as<std::string>() == "system-cluster-critical");

  bool controlPlaneToleration = false;
  for (const auto& t : pod["tolerations"])
    if (t["key"].as<std::string>() == "node-role.kubernetes.io/control-plane" && t["effect"].as<std::string>() == "NoSchedule")
      controlPlaneToleration = true;
  CHECK(controlPlaneToleration);

  checkCheckConfigContainers(r);

  // The config checksum rolls the pods when the ConfigMap changes.
  CHECK(r.one("Deployment")["spec"]["template"]["metadata"]["annotations"]["checksum/config"]);
}

std::map<std::string, YAML::Node> volumesByName(const Rendered& r) {
  std::map<std::string, YAML::Node> out;
  for (const auto& v : podSpec(r)["volumes"]) out.emplace(v["name"].as<std::string>(), YAML::Node(v));
  return out;
}

// The volume mount that holds `path` (the longest mount path that is the file or a parent).
YAML::Node mountFor(const Rendered& r, const std::string& path) {
  YAML::Node best;
  std::size_t bestLen = 0;
  for (const auto& m : container(r)["volumeMounts"]) {
    const std::string mp = m["mountPath"].as<std::string>();
    const bool holds = path == mp || (path.size() > mp.size() && path.compare(0, mp.size(), mp) == 0 && path[mp.size()] == '/');
    if (holds && mp.size() > bestLen) {
      best.reset(m);  // rebind; operator= would overwrite the node best already refers to
      bestLen = mp.size();
    }
  }
  return best;
}

// Every configured signer's CA files are mounted read-only from the expected source.
void checkSignerMounts(const Rendered& r, const std::string& mode) {
  const YAML::Node cfg = configFile(r);
  REQUIRE(cfg["signers"]);
  const auto volumes = volumesByName(r);
  for (const auto& s : cfg["signers"]["list"]) {
    for (const char* key : {"caCertFile", "caKeyFile"}) {
      const std::string file = s[key].as<std::string>();
      INFO(s["signerName"].as<std::string>() << " " << key << " = " << file);
      const YAML::Node m = mountFor(r, file);
      REQUIRE(m);
      CHECK(m["readOnly"].as<bool>() == true);
      const YAML::Node v = volumes.at(m["name"].as<std::string>());
      if (mode == "secret") {
        REQUIRE(v["secret"]);
        CHECK(v["secret"]["defaultMode"].as<int>() == 0400);
        std::set<std::string> keys;
        for (const auto& item : v["secret"]["items"]) {
          CHECK(item["key"].as<std::string>() == item["path"].as<std::string>());
          keys.insert(item["key"].as<std::string>());
        }
        CHECK(keys == std::set<std::string>{"tls.crt", "tls.key"});
        const std::string base = std::filesystem::path(file).filename().string();
        CHECK(keys.count(base) == 1);
      } else {
        REQUIRE(v["hostPath"]);
        CHECK(v["hostPath"]["type"].as<std::string>() == "File");
        CHECK(m["mountPath"].as<std::string>() == file);
      }
    }
  }
}

std::set<std::string> signerNames(const YAML::Node& cfg) {
  std::set<std::string> out;
  if (cfg["signers"])
    for (const auto& s : cfg["signers"]["list"]) out.insert(s["signerName"].as<std::string>());
  return out;
}

void checkConfigTextAccepted(const std::string& text) {
  const std::string bin = env("CSR_OPERATOR_BIN");
  if (bin.empty() || !std::filesystem::exists(bin)) return;
  const auto file = std::filesystem::temp_directory_path() / ("chart-config-" + std::to_string(::getpid()) + ".yaml");
  {
    std::ofstream out(file);
    out << text;
  }
  const CommandResult res = runCommand(shellQuote(bin) + " check-config --config-only --config " + shellQuote(file.string()));
  std::filesystem::remove(file);
  INFO("csr-operator check-config:\n" << res.output);
  CHECK(res.rc == 0);
}

void checkConfigAccepted(const Rendered& r) { checkConfigTextAccepted(r.one("ConfigMap")["data"]["config.yaml"].as<std::string>()); }

void expectFailure(const std::string& args, const std::string& messagePart) {
  const CommandResult r = helmTemplate(args);
  INFO("helm template " << args << "\n" << r.output);
  CHECK(r.rc != 0);
  CHECK(r.output.find(messagePart) != std::string::npos);
}

// Every metric name the binary exports: the families Metrics declares up front (controller/Metrics.h),
// with a histogram's _bucket, _sum and _count series.
std::set<std::string> exportedMetricNames() {
  std::set<std::string> out;
  std::istringstream lines(csrop::Metrics().render());
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE ", 0) != 0) continue;
    std::istringstream fields(line.substr(7));
    std::string name, type;
    fields >> name >> type;
    out.insert(name);
    if (type == "histogram")
      for (const char* suffix : {"_bucket", "_sum", "_count"}) out.insert(name + suffix);
  }
  return out;
}

// The metric names a PromQL expression selects: identifiers outside strings, label matchers {...},
// ranges [...] and grouping lists (by/without/on/ignoring/group_left/group_right (...)), that are
// neither functions (followed by "("), aggregation operators, keywords nor number/duration literals.
std::set<std::string> metricNamesIn(const std::string& expr) {
  static const std::set<std::string> grouping = {"by", "without", "on", "ignoring", "group_left", "group_right"};
  static const std::set<std::string> notMetrics = {"and",      "or",           "unless", "bool",   "offset", "sum",  "min",
                                                   "max",      "avg",          "count",  "stddev", "stdvar", "topk", "bottomk",
                                                   "quantile", "count_values", "group",  "inf",    "nan",    "Inf",  "NaN"};
  const auto closing = [&](std::size_t i, char open, char close) {
    int depth = 0;
    for (; i < expr.size(); ++i) {
      if (expr[i] == '"' || expr[i] == '\'') {
        const char q = expr[i];
        for (++i; i < expr.size() && expr[i] != q; ++i)
          if (expr[i] == '\\') ++i;
      } else if (expr[i] == open) {
        ++depth;
      } else if (expr[i] == close && --depth == 0) {
        return i + 1;
      }
    }
    return i;
  };
  const auto identChar = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':'; };
  std::set<std::string> out;
  std::size_t i = 0;
  while (i < expr.size()) {
    const char c = expr[i];
    if (c == '"' || c == '\'') {
      i = closing(i, '\0', '\0');  // no brackets: runs to the end of the string
      continue;
    }
    if (c == '{') {
      i = closing(i, '{', '}');
      continue;
    }
    if (c == '[') {
      i = closing(i, '[', ']');
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      while (i < expr.size() && (identChar(expr[i]) || expr[i] == '.')) ++i;  // 3600, 1e3, 5m
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':') {
      const std::size_t start = i;
      while (i < expr.size() && identChar(expr[i])) ++i;
      const std::string id = expr.substr(start, i - start);
      std::size_t next = i;
      while (next < expr.size() && std::isspace(static_cast<unsigned char>(expr[next]))) ++next;
      const bool call = next < expr.size() && expr[next] == '(';
      if (grouping.count(id)) {
        if (call) i = closing(next, '(', ')');
      } else if (!call && !notMetrics.count(id)) {
        out.insert(id);
      }
      continue;
    }
    ++i;
  }
  return out;
}

void checkExportedNames(const std::string& where, const std::string& expr, const std::set<std::string>& exported) {
  const auto names = metricNamesIn(expr);
  INFO(where << ": " << expr);
  CHECK(!names.empty());
  for (const auto& n : names) {
    INFO("metric " << n);
    CHECK(exported.count(n) == 1);
  }
}

}  // namespace

TEST_CASE("approver-only install (the default): approve kubelet-serving, no signing, no CA, kubelet client CSRs left to KCM") {
  const Rendered r = renderFile("approver-only.yaml");
  checkClusterRole(r, {kCsrRead, kApproval, approveRule({kServing}), kNodes});
  checkEventsRole(r);
  checkNodeIdentityRole(r);
  checkLeaseRole(r, "csr-ops", "csr-operator");
  checkCommonPod(r, false);
  const YAML::Node cfg = configFile(r);
  CHECK(!cfg["signers"]);
  CHECK(cfg["approver"]["enabled"].as<bool>());
  CHECK(cfg["approver"]["kubeletClient"]["enabled"].as<bool>() == false);
  for (const auto& m : container(r)["volumeMounts"]) CHECK(m["mountPath"].as<std::string>().rfind("/etc/csr-operator/ca", 0) != 0);
  CHECK(!podSpec(r)["nodeSelector"]);

  // Two replicas, spread where possible: a single-node cluster still runs both.
  CHECK(r.one("Deployment")["spec"]["replicas"].as<int>() == 2);
  CHECK(!podSpec(r)["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]);
  const YAML::Node anti = podSpec(r)["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"];
  REQUIRE(anti.size() == 1);
  CHECK(anti[0]["podAffinityTerm"]["topologyKey"].as<std::string>() == "kubernetes.io/hostname");
  CHECK(r.one("PodDisruptionBudget")["spec"]["maxUnavailable"].as<int>() == 1);
  const YAML::Node svc = r.one("Service");
  CHECK(svc["spec"]["ports"][0]["targetPort"].as<std::string>() == "http");
  CHECK(!r.has("ServiceMonitor"));
  CHECK(r.one("ServiceAccount")["metadata"]["name"].as<std::string>() == podSpec(r)["serviceAccountName"].as<std::string>());
  checkConfigAccepted(r);
}

TEST_CASE("signer with one CA Secret for every signer") {
  const Rendered r = renderFile("signer-secret.yaml");
  checkClusterRole(r, {kCsrRead, kApproval, approveRule({kServing}), kStatus, signRule({kServing, kClient}), kNodes});
  checkEventsRole(r);
  checkCommonPod(r, false);
  checkSignerMounts(r, "secret");
  const YAML::Node cfg = configFile(r);
  CHECK(signerNames(cfg) == std::set<std::string>{kServing, kClient});
  for (const auto& s : cfg["signers"]["list"]) {
    CHECK(s["caCertFile"].as<std::string>() == "/etc/csr-operator/ca/cluster-ca/tls.crt");
    CHECK(s["caKeyFile"].as<std::string>() == "/etc/csr-operator/ca/cluster-ca/tls.key");
  }
  // One Secret, one volume.
  int secretVolumes = 0;
  for (const auto& [name, v] : volumesByName(r))
    if (v["secret"]) ++secretVolumes;
  CHECK(secretVolumes == 1);
  checkConfigAccepted(r);
}

TEST_CASE("signer with one CA Secret per signer") {
  const Rendered r = renderFile("signer-per-secret.yaml");
  checkSignerMounts(r, "secret");
  std::map<std::string, std::string> keyBySigner;
  for (const auto& s : configFile(r)["signers"]["list"]) keyBySigner[s["signerName"].as<std::string>()] = s["caKeyFile"].as<std::string>();
  CHECK(keyBySigner[kServing] == "/etc/csr-operator/ca/serving-ca/tls.key");
  CHECK(keyBySigner[kClient] == "/etc/csr-operator/ca/client-ca/tls.key");
  std::set<std::string> secrets;
  for (const auto& [name, v] : volumesByName(r))
    if (v["secret"]) secrets.insert(v["secret"]["secretName"].as<std::string>());
  CHECK(secrets == std::set<std::string>{"serving-ca", "client-ca"});
}

TEST_CASE("hostPath CA: control-plane nodes, single read-only files, non-root by default") {
  const Rendered r = renderFile("hostpath.yaml");
  checkCommonPod(r, false);
  checkSignerMounts(r, "hostPath");
  const auto volumes = volumesByName(r);
  CHECK(volumes.at("ca-cert")["hostPath"]["path"].as<std::string>() == "/etc/kubernetes/pki/ca.crt");
  CHECK(volumes.at("ca-key")["hostPath"]["path"].as<std::string>() == "/etc/csr-operator/pki/ca.key");
  // Never the whole pki directory: it also holds the etcd, front-proxy and service-account keys.
  for (const auto& [name, v] : volumes)
    if (v["hostPath"]) CHECK(v["hostPath"]["type"].as<std::string>() == "File");
  CHECK(podSpec(r)["nodeSelector"]["node-role.kubernetes.io/control-plane"].as<std::string>() == "");
  checkClusterRole(r, {kCsrRead, kApproval, approveRule({kServing}), kStatus, signRule({kServing, kClient}), kNodes});
  checkEventsRole(r);
  checkConfigAccepted(r);
}

TEST_CASE("hostPath CA with runAsRoot: uid 0 but still no capabilities") {
  const Rendered r = renderFile("hostpath-root.yaml");
  checkCommonPod(r, true);
  checkSignerMounts(r, "hostPath");
  CHECK(volumesByName(r).at("ca-key")["hostPath"]["path"].as<std::string>() == "/etc/kubernetes/pki/ca.key");
  checkClusterRole(r, {kCsrRead, kApproval, approveRule({kServing}), kStatus, signRule({kServing}), kNodes});
  checkEventsRole(r);
}

TEST_CASE("pkcs11 CA: the key stays on the token, certificate, PIN Secret and module mounted read-only") {
  const Rendered r = renderFile("pkcs11.yaml");
  checkCommonPod(r, false);
  const YAML::Node cfg = configFile(r);
  for (const auto& s : cfg["signers"]["list"]) {
    CHECK(s["caCertFile"].as<std::string>() == "/etc/csr-operator/ca/ca.crt");
    CHECK(s["caKeyFile"].as<std::string>() == "pkcs11:token=k8s-ca;object=kubernetes-ca;type=private");
    CHECK(s["caKeyPinFile"].as<std::string>() == "/etc/csr-operator/pin/pin");
    CHECK(s["pkcs11Module"].as<std::string>() == "/opt/pkcs11/lib/libsofthsm2.so");
    for (const char* file : {"/etc/csr-operator/ca/ca.crt", "/etc/csr-operator/pin/pin", "/opt/pkcs11/lib/libsofthsm2.so"}) {
      INFO(file);
      const YAML::Node m = mountFor(r, file);
      REQUIRE(m);
      CHECK(m["readOnly"].as<bool>() == true);
    }
  }
  const auto volumes = volumesByName(r);
  CHECK(volumes.at("ca-cert")["configMap"]["name"].as<std::string>() == "cluster-ca-cert");
  CHECK(volumes.at("ca-pin")["secret"]["secretName"].as<std::string>() == "ca-token-pin");
  CHECK(volumes.at("ca-pin")["secret"]["defaultMode"].as<int>() == 0400);
  CHECK(volumes.at("pkcs11-module")["hostPath"]["type"].as<std::string>() == "Directory");
  // No key file anywhere: nothing mounts a tls.key or ca.key.
  for (const auto& [name, v] : volumes)
    if (v["secret"])
      for (const auto& item : v["secret"]["items"]) CHECK(item["key"].as<std::string>() != "tls.key");
  bool moduleEnv = false;
  for (const auto& e : container(r)["env"])
    if (e["name"].as<std::string>() == "SOFTHSM2_CONF") moduleEnv = true;
  CHECK(moduleEnv);
  // The kubelet-client approver is off by default (KCM's csrapproving approves those): no SubjectAccessReview.
  checkClusterRole(r, {kCsrRead, kApproval, approveRule({kServing}), kStatus, signRule({kServing, kClient}), kNodes});
  checkConfigAccepted(r);
}

TEST_CASE("pkcs11 CA: a pod-certificate signer's key on the same token, with the mounted PIN and module") {
  const Rendered r =
      render("-f " + shellQuote(valuesFile("pkcs11.yaml")) + " -f " + shellQuote(valuesFile("pod-certificates-pkcs11.yaml")));
  const YAML::Node pod = configFile(r)["podCertificates"]["signers"][0];
  CHECK(pod["caKeyFile"].as<std::string>() == "pkcs11:token=k8s-ca;object=pod-ca;type=private");
  CHECK(pod["pkcs11Sessions"].as<int>() == 2);
  for (const char* file : {"/etc/csr-operator/pin/pin", "/opt/pkcs11/lib/libsofthsm2.so"}) {
    INFO(file);
    CHECK(mountFor(r, file));
  }
  checkConfigAccepted(r);
  expectFailure(
      "-f " + shellQuote(valuesFile("pod-certificates-pkcs11.yaml")) + " --set config.podCertificates.signers[0].pkcs11Sessions=999",
      "pkcs11Sessions");
}

TEST_CASE("pkcs11 CA: mistakes are refused with what to set") {
  const std::string f = "-f " + shellQuote(valuesFile("pkcs11.yaml"));
  expectFailure(f + " --set ca.pkcs11.keyUri=", "needs ca.pkcs11.keyUri");
  expectFailure(f + " --set-string 'ca.pkcs11.keyUri=pkcs11:object=ca?pin-value=1234'", "must not carry a PIN");
  expectFailure(f + " --set ca.pkcs11.certSecret=also", "set one of ca.pkcs11.certConfigMap and ca.pkcs11.certSecret");
  expectFailure(f + " --set ca.pkcs11.module.path=", "set ca.pkcs11.module.path");
}

TEST_CASE("runAsRoot has no effect outside hostPath mode") {
  const Rendered r = render("-f " + shellQuote(valuesFile("signer-secret.yaml")) + " --set ca.hostPath.runAsRoot=true");
  checkCommonPod(r, false);
}

TEST_CASE("custom signer rule only: no kubelet grants, no nodes, no SubjectAccessReview") {
  const Rendered r = renderFile("custom-rule.yaml");
  const std::string custom = "example.com/my-signer";
  checkClusterRole(r, {kCsrRead, kApproval, approveRule({custom}), kStatus, signRule({custom})});
  checkEventsRole(r);
  checkSignerMounts(r, "secret");
  const YAML::Node cfg = configFile(r);
  CHECK(cfg["approver"]["rules"][0]["signerName"].as<std::string>() == custom);
  CHECK(cfg["signers"]["list"][0]["commonNameRegex"].as<std::string>() == "^[a-z]+$");
  checkConfigAccepted(r);
}

TEST_CASE("addressSource machine: get/list/watch on the chosen group's machines, none when they live elsewhere") {
  const std::string base =
      "-f " + shellQuote(valuesFile("approver-only.yaml")) + " --set config.approver.kubeletServing.addressSource=machine";
  const Rendered capi = render(base);
  checkClusterRole(capi, {kCsrRead, kApproval, approveRule({kServing}), kNodes, "cluster.x-k8s.io|machines|get,list,watch|"});
  checkNodeIdentityRole(capi);
  checkConfigAccepted(capi);
  const Rendered openshift = render(base + " --set config.approver.kubeletServing.machineApiGroup=machine.openshift.io");
  checkClusterRole(openshift, {kCsrRead, kApproval, approveRule({kServing}), kNodes, "machine.openshift.io|machines|get,list,watch|"});
  // A management cluster's Machines: that cluster grants the read, not this chart.
  const Rendered remote = render(base + " --set config.approver.kubeletServing.machineKubeconfig=/etc/mgmt/kubeconfig");
  checkClusterRole(remote, {kCsrRead, kApproval, approveRule({kServing}), kNodes});
}

TEST_CASE("signer only: approver off removes every approval grant") {
  const Rendered r = renderFile("signer-only.yaml");
  checkClusterRole(r, {kCsrRead, kStatus, signRule({kServing})});
  checkEventsRole(r);
  CHECK(r.all("Role").size() == r.all("RoleBinding").size());
  for (const auto& role : r.all("Role")) CHECK(role["metadata"]["name"].as<std::string>().find("node-identity") == std::string::npos);
  CHECK(configFile(r)["approver"]["enabled"].as<bool>() == false);
}

TEST_CASE("pod certificates: PodCertificateRequests, sign and attest on exactly the configured signers, Events anywhere, no CSR grant") {
  const Rendered r = renderFile("pod-certificates.yaml");
  const std::string pods = "example.com/pod-identity", batch = "example.com/batch";
  checkClusterRole(r, {kPcrRead, kPcrStatus, signRule({pods, batch}), kEvents, kCtb, attestRule({pods})});
  const YAML::Node cfg = configFile(r);
  REQUIRE(cfg["podCertificates"]["signers"].size() == 2);
  CHECK(cfg["podCertificates"]["signers"][0]["trustBundle"]["publish"].as<bool>());
  CHECK(cfg["trustBundles"]["nameSuffix"].as<std::string>() == "csr-operator");
  CHECK(!cfg["signers"]);
  checkConfigAccepted(r);
}

TEST_CASE("pod certificates with verifyPod and an accessReview: get on pods and service accounts, SubjectAccessReview create") {
  const Rendered r = renderFile("pod-certificates-checks.yaml");
  const std::string pods = "example.com/pod-identity";
  checkClusterRole(r, {kPcrRead, kPcrStatus, signRule({pods}), kEvents, "|pods,serviceaccounts|get|", kSar});
  const YAML::Node cfg = configFile(r);
  REQUIRE(cfg["podCertificates"]["signers"].size() == 1);
  CHECK(cfg["podCertificates"]["signers"][0]["verifyPod"].as<bool>());
  CHECK(cfg["podCertificates"]["signers"][0]["accessReview"]["verb"].as<std::string>() == "request");
  checkConfigAccepted(r);
}

TEST_CASE("trust bundle of a CSR signer: clustertrustbundles and attest for that signer only") {
  const Rendered r = renderFile("signer-trust-bundle.yaml");
  checkClusterRole(
      r, {kCsrRead, kApproval, approveRule({kServing}), kStatus, signRule({kServing, kClient}), kNodes, kCtb, attestRule({kServing})});
  checkConfigAccepted(r);
}

TEST_CASE("garbage collection adds delete on CSRs and nothing else") {
  const Rendered r = renderFile("gc.yaml");
  checkClusterRole(r, {kCsrReadDelete, kApproval, approveRule({kServing}), kNodes});
  checkEventsRole(r);
  CHECK(configFile(r)["gc"]["enabled"].as<bool>());
  CHECK(configFile(r)["gc"]["interval"].as<std::string>() == "30m");
}

TEST_CASE("leader election off with one replica: no Lease Role, no PDB, no anti-affinity") {
  const Rendered r = renderFile("single-no-le.yaml");
  CHECK(r.all("Role").size() == 2);  // the Events and node-identity Roles only
  CHECK(r.all("RoleBinding").size() == 2);
  checkEventsRole(r);
  checkNodeIdentityRole(r);
  CHECK(!r.has("PodDisruptionBudget"));
  CHECK(!podSpec(r)["affinity"]);
  CHECK(r.one("Deployment")["spec"]["replicas"].as<int>() == 1);
  CHECK(configFile(r)["leaderElection"]["enabled"].as<bool>() == false);
  checkCommonPod(r, false);
}

TEST_CASE("non-default knobs: lease namespace, port, extras, ServiceMonitor only with its API") {
  const std::string full = "-f " + shellQuote(valuesFile("full.yaml"));
  const Rendered without = render(full);
  CHECK(!without.has("ServiceMonitor"));
  const Rendered r = render(full + " --api-versions monitoring.coreos.com/v1");
  const YAML::Node sm = r.one("ServiceMonitor");
  CHECK(sm["spec"]["endpoints"][0]["port"].as<std::string>() == "http-metrics");
  CHECK(sm["spec"]["endpoints"][0]["path"].as<std::string>() == "/metrics");
  CHECK(sm["metadata"]["labels"]["release"].as<std::string>() == "prometheus");
  checkLeaseRole(r, "kube-system", "csr-operator-lease");
  CHECK(container(r)["ports"][0]["containerPort"].as<int>() == 9090);
  CHECK(container(r)["image"].as<std::string>().find("@sha256:") != std::string::npos);
  CHECK(podSpec(r)["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]);
  CHECK(podSpec(r)["imagePullSecrets"][0]["name"].as<std::string>() == "regcred");
  bool extraEnv = false;
  for (const auto& e : container(r)["env"])
    if (e["name"].as<std::string>() == "CSR_OPERATOR_LOG_LEVEL") extraEnv = true;
  CHECK(extraEnv);
  bool extraObject = false;
  for (const auto& cm : r.all("ConfigMap"))
    if (cm["metadata"]["name"].as<std::string>() == "rel-extra") extraObject = true;
  CHECK(extraObject);
}

TEST_CASE("kubelet client approver: only when asked for, then SubjectAccessReview and approve on its signer") {
  const Rendered r = render("--set config.approver.kubeletClient.enabled=true");
  checkClusterRole(r, {kCsrRead, kApproval, approveRule({kServing, kClient}), kNodes, kSar});
  CHECK(configFile(r)["approver"]["kubeletClient"]["enabled"].as<bool>());
  checkConfigAccepted(r);
}

TEST_CASE("hostPath placement: a user's selector replaces the control-plane default, never merged with it") {
  const std::string hostPath = "-f " + shellQuote(valuesFile("hostpath.yaml"));
  const auto selector = [](const Rendered& r) {
    std::map<std::string, std::string> out;
    for (const auto& kv : podSpec(r)["nodeSelector"]) out[kv.first.as<std::string>()] = kv.second.as<std::string>();
    return out;
  };
  using Selector = std::map<std::string, std::string>;
  CHECK(selector(render(hostPath)) == Selector{{"node-role.kubernetes.io/control-plane", ""}});
  // docs/external-ca.md, option B: dedicated labelled nodes, which need not be control-plane nodes.
  const Rendered dedicated = render(hostPath + " -f " + shellQuote(valuesFile("hostpath-dedicated.yaml")));
  CHECK(selector(dedicated) == Selector{{"csr-operator.io/ca", "true"}});
  checkCheckConfigContainers(dedicated);
  const Rendered user = render(hostPath + " --set nodeSelector.pool=pki");
  CHECK(selector(user) == Selector{{"pool", "pki"}});
  // Outside hostPath mode there is no default placement.
  CHECK(!podSpec(render("--set nodeSelector.pool=pki"))["nodeSelector"]["node-role.kubernetes.io/control-plane"]);
}

TEST_CASE("check-config init container can be turned off, the helm test stays") {
  const Rendered r = render("--set checkConfig.initContainer=false");
  CHECK(!podSpec(r)["initContainers"]);
  CHECK(r.all("Pod").size() == 1);
}

TEST_CASE("External CA profile: both kubelet signers from a Secret, KCM approves client CSRs, host network for the bootstrap") {
  const Rendered r = render("-f " + shellQuote(std::string(CHART_PROFILE_DIR) + "/values-external-ca.yaml"));
  checkClusterRole(r, {kCsrRead, kApproval, approveRule({kServing}), kStatus, signRule({kServing, kClient}), kNodes});
  checkSignerMounts(r, "secret");
  const YAML::Node cfg = configFile(r);
  CHECK(signerNames(cfg) == std::set<std::string>{kServing, kClient});
  CHECK(cfg["approver"]["kubeletClient"]["enabled"].as<bool>() == false);
  const YAML::Node pod = podSpec(r);
  CHECK(pod["hostNetwork"].as<bool>());
  CHECK(pod["dnsPolicy"].as<std::string>() == "ClusterFirstWithHostNet");
  CHECK(container(r)["ports"][0]["containerPort"].as<int>() == 10271);
  bool notReady = false;
  for (const auto& tol : pod["tolerations"])
    if (tol["key"].as<std::string>() == "node.kubernetes.io/not-ready") notReady = true;
  CHECK(notReady);
  checkCheckConfigContainers(r);
  std::vector<YAML::Node> tests = r.all("Pod");
  REQUIRE(tests.size() == 1);
  CHECK(tests[0]["spec"]["hostNetwork"].as<bool>());
  checkConfigAccepted(r);
}

TEST_CASE("External CA bootstrap static pod: host network, the operator's files only, probe on the configured port") {
  const YAML::Node pod = YAML::LoadFile(std::string(DEPLOY_DIR) + "/static-pod/csr-operator.yaml");
  const YAML::Node cfg = YAML::LoadFile(std::string(DEPLOY_DIR) + "/static-pod/config.yaml");
  CHECK(pod["kind"].as<std::string>() == "Pod");
  CHECK(pod["spec"]["hostNetwork"].as<bool>());
  CHECK(!pod["spec"]["serviceAccountName"]);
  const YAML::Node c = pod["spec"]["containers"][0];
  CHECK(c["securityContext"]["runAsNonRoot"].as<bool>());
  CHECK(c["securityContext"]["readOnlyRootFilesystem"].as<bool>());
  CHECK(stringSet(c["securityContext"]["capabilities"]["drop"]) == std::set<std::string>{"ALL"});
  const std::string bind = cfg["http"]["bindAddress"].as<std::string>();
  CHECK(bind == "127.0.0.1:" + std::to_string(c["livenessProbe"]["httpGet"]["port"].as<int>()));
  CHECK(c["livenessProbe"]["httpGet"]["host"].as<std::string>() == "127.0.0.1");
  std::vector<std::string> args;
  for (const auto& a : c["args"]) args.push_back(a.as<std::string>());
  CHECK(args == std::vector<std::string>{"run", "--config", "/etc/csr-operator/config.yaml", "--kubeconfig",
                                         "/etc/csr-operator/csr-operator.conf"});
  // Every file the configuration names is inside a read-only hostPath mount, and no mount is the whole pki directory.
  std::map<std::string, std::string> hostPathOf;
  for (const auto& v : pod["spec"]["volumes"])
    if (v["hostPath"]) hostPathOf[v["name"].as<std::string>()] = v["hostPath"]["path"].as<std::string>();
  for (const auto& [name, path] : hostPathOf) CHECK(path != "/etc/kubernetes/pki");
  const auto mounted = [&](const std::string& file) {
    for (const auto& m : c["volumeMounts"]) {
      const std::string mp = m["mountPath"].as<std::string>();
      if (hostPathOf.count(m["name"].as<std::string>()) && m["readOnly"].as<bool>() && (file == mp || file.rfind(mp + "/", 0) == 0))
        return true;
    }
    return false;
  };
  CHECK(mounted("/etc/csr-operator/config.yaml"));
  CHECK(mounted("/etc/csr-operator/csr-operator.conf"));
  CHECK(signerNames(cfg) == std::set<std::string>{kServing, kClient});
  for (const auto& s : cfg["signers"]["list"]) {
    CHECK(mounted(s["caCertFile"].as<std::string>()));
    CHECK(mounted(s["caKeyFile"].as<std::string>()));
  }
  CHECK(cfg["approver"]["kubeletClient"]["enabled"].as<bool>() == false);
  std::ifstream in(std::string(DEPLOY_DIR) + "/static-pod/config.yaml");
  checkConfigTextAccepted(std::string(std::istreambuf_iterator<char>(in), {}));
}

TEST_CASE("plain manifests in deploy/ install an approver only: no signer, no CA, no sign grant") {
  const YAML::Node cm = YAML::LoadFile(std::string(DEPLOY_DIR) + "/configmap.yaml");
  const YAML::Node cfg = YAML::Load(cm["data"]["config.yaml"].as<std::string>());
  CHECK(!cfg["signers"]);
  CHECK(cfg["approver"]["kubeletClient"]["enabled"].as<bool>() == false);
  for (const auto& doc : YAML::LoadAllFromFile(std::string(DEPLOY_DIR) + "/rbac.yaml"))
    if (doc && doc["kind"].as<std::string>() == "ClusterRole")
      for (const auto& rule : doc["rules"]) CHECK(ruleKey(rule).find("|sign|") == std::string::npos);
}

TEST_CASE("rbac.extraSubjects are bound by every binding next to the ServiceAccount") {
  const Rendered r = render(
      "--set rbac.extraSubjects[0].kind=User --set rbac.extraSubjects[0].name=system:csr-operator"
      " --set rbac.extraSubjects[0].apiGroup=rbac.authorization.k8s.io");
  std::vector<YAML::Node> bindings = r.all("RoleBinding");
  bindings.push_back(r.one("ClusterRoleBinding"));
  CHECK(bindings.size() == 4);
  for (const auto& b : bindings) {
    INFO(b["metadata"]["name"].as<std::string>());
    REQUIRE(b["subjects"].size() == 2);
    CHECK(b["subjects"][0]["kind"].as<std::string>() == "ServiceAccount");
    CHECK(b["subjects"][1]["kind"].as<std::string>() == "User");
    CHECK(b["subjects"][1]["name"].as<std::string>() == "system:csr-operator");
  }
}

TEST_CASE("the PromQL name scanner finds metric names and skips functions, labels, ranges and grouping") {
  CHECK(metricNamesIn("sum by (signer, reason) (increase(a_total{x=\"y}\",decision=\"deny\"}[10m])) > 20") ==
        std::set<std::string>{"a_total"});
  CHECK(metricNamesIn("(sum(b{j=\"k\"}) or vector(0)) < 1 unless on (pod) c offset 5m") == std::set<std::string>{"b", "c"});
  CHECK(metricNamesIn("histogram_quantile(0.99, sum by (le) (rate(d_bucket[$__rate_interval]))) - time() < 7 * 24 * 3600") ==
        std::set<std::string>{"d_bucket"});
}

TEST_CASE("PrometheusRule: only with its API, every alert on exported metrics, promtool-valid, each with a runbook section") {
  const std::string on = "--set metrics.prometheusRule.enabled=true";
  CHECK(!render(on).has("PrometheusRule"));
  CHECK(!render("--api-versions monitoring.coreos.com/v1").has("PrometheusRule"));
  const Rendered r = render(on + " --api-versions monitoring.coreos.com/v1 --set metrics.prometheusRule.labels.release=prometheus");
  const YAML::Node rule = r.one("PrometheusRule");
  CHECK(rule["metadata"]["labels"]["release"].as<std::string>() == "prometheus");
  const auto exported = exportedMetricNames();
  std::set<std::string> alerts;
  std::ifstream runbookFile(std::string(DOCS_DIR) + "/runbook.md");
  const std::string runbook((std::istreambuf_iterator<char>(runbookFile)), {});
  REQUIRE(!runbook.empty());
  for (const auto& group : rule["spec"]["groups"])
    for (const auto& a : group["rules"]) {
      const std::string alert = a["alert"].as<std::string>();
      alerts.insert(alert);
      const std::string expr = a["expr"].as<std::string>();
      checkExportedNames(alert, expr, exported);
      // This release's series only: the ServiceMonitor's job in the release namespace.
      CHECK(expr.find("job=\"rel-csr-operator-metrics\",namespace=\"csr-ops\"") != std::string::npos);
      const std::string severity = a["labels"]["severity"].as<std::string>();
      CHECK((severity == "warning" || severity == "critical"));
      CHECK(!a["annotations"]["summary"].as<std::string>().empty());
      std::string anchor = alert;
      for (auto& ch : anchor) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      CHECK(a["annotations"]["runbook_url"].as<std::string>().find("/docs/runbook.md#" + anchor) != std::string::npos);
      CHECK(runbook.find("\n## " + alert + "\n") != std::string::npos);
    }
  CHECK(alerts == std::set<std::string>{"CsrOperatorCAExpiresIn30Days", "CsrOperatorCAExpiresIn7Days", "CsrOperatorNoLeader",
                                        "CsrOperatorTwoLeaders", "CsrOperatorDenialSpike", "CsrOperatorApiForbidden",
                                        "CsrOperatorApprovedNotIssued", "CsrOperatorPendingTooLong"});

  // promtool parses every expression and template the way Prometheus will.
  REQUIRE_MESSAGE(runCommand("command -v promtool").rc == 0,
                  "promtool is missing: run scripts/install-deps.sh (Debian package prometheus)");
  const auto file = std::filesystem::temp_directory_path() / ("chart-rules-" + std::to_string(::getpid()) + ".yaml");
  {
    YAML::Emitter out;
    out << rule["spec"];
    std::ofstream(file) << out.c_str();
  }
  const CommandResult check = runCommand("promtool check rules " + shellQuote(file.string()));
  std::filesystem::remove(file);
  INFO(check.output);
  CHECK(check.rc == 0);
  CHECK(check.output.find("SUCCESS: 8 rules found") != std::string::npos);

  const Rendered custom =
      render(on + " --api-versions monitoring.coreos.com/v1 --set-string " + shellQuote("metrics.prometheusRule.selector=job=\"csr\""));
  CHECK(custom.one("PrometheusRule")["spec"]["groups"][0]["rules"][0]["expr"].as<std::string>().find("{job=\"csr\"}") != std::string::npos);
}

TEST_CASE("Grafana dashboard: a labelled ConfigMap whose every query uses exported metrics") {
  for (const auto& cm : render("").all("ConfigMap")) CHECK(cm["metadata"]["name"].as<std::string>() == "rel-csr-operator");
  const Rendered r = render("--set metrics.grafanaDashboard.enabled=true --set metrics.grafanaDashboard.namespace=monitoring");
  const YAML::Node cm = r.named("ConfigMap", "-dashboard");
  CHECK(cm["metadata"]["labels"]["grafana_dashboard"].as<std::string>() == "1");
  CHECK(cm["metadata"]["namespace"].as<std::string>() == "monitoring");
  const YAML::Node dash = YAML::Load(cm["data"]["csr-operator.json"].as<std::string>());  // JSON is YAML
  CHECK(dash["uid"].as<std::string>() == "csr-operator");
  const auto exported = exportedMetricNames();
  std::set<std::string> titles;
  int queries = 0;
  for (const auto& p : dash["panels"]) {
    if (p["type"].as<std::string>() == "row") continue;
    const std::string title = p["title"].as<std::string>();
    titles.insert(title);
    REQUIRE_MESSAGE(p["targets"].size() > 0, title);
    for (const auto& target : p["targets"]) {
      checkExportedNames(title, target["expr"].as<std::string>(), exported);
      ++queries;
    }
  }
  // The variables list label values of the build info series (label_values(METRIC, LABEL)).
  for (const auto& v : dash["templating"]["list"])
    if (v["type"].as<std::string>() == "query") {
      INFO("variable " << v["name"].as<std::string>());
      CHECK(v["definition"].as<std::string>().rfind("label_values(csr_operator_build_info", 0) == 0);
    }
  CHECK(exported.count("csr_operator_build_info") == 1);
  CHECK(queries >= 10);
  for (const char* needed : {"Decisions by reason", "Certificates issued", "CSR creation to certificate", "Work queue depth",
                             "CA expires in", "API requests that failed"})
    CHECK_MESSAGE(titles.count(needed) == 1, needed);
}

TEST_CASE("NetworkPolicy: off by default, when on only the scraper reaches the metrics port, egress only to the API server and DNS") {
  CHECK(!render("").has("NetworkPolicy"));
  const Rendered r = render("--set networkPolicy.enabled=true");
  const YAML::Node np = r.one("NetworkPolicy")["spec"];
  const YAML::Node podLabels = r.one("Deployment")["spec"]["template"]["metadata"]["labels"];
  for (const auto& kv : np["podSelector"]["matchLabels"])
    CHECK(podLabels[kv.first.as<std::string>()].as<std::string>() == kv.second.as<std::string>());
  CHECK(stringSet(np["policyTypes"]) == std::set<std::string>{"Ingress", "Egress"});
  REQUIRE(np["ingress"].size() == 1);
  const YAML::Node in = np["ingress"][0];
  REQUIRE(in["ports"].size() == 1);
  CHECK(in["ports"][0]["port"].as<std::string>() == "http");  // the container's metrics port, whatever its number
  REQUIRE(in["from"].size() == 1);
  CHECK(in["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"].as<std::string>() == "monitoring");
  CHECK(in["from"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"].as<std::string>() == "prometheus");
  REQUIRE(np["egress"].size() == 2);
  const YAML::Node api = np["egress"][0];
  CHECK(!api["to"]);  // no CIDRs given: any address, on the API server ports only
  std::set<std::string> apiPorts;
  for (const auto& p : api["ports"]) apiPorts.insert(p["port"].as<std::string>() + "/" + p["protocol"].as<std::string>());
  CHECK(apiPorts == std::set<std::string>{"6443/TCP", "443/TCP"});
  const YAML::Node dns = np["egress"][1];
  CHECK(dns["to"][0]["podSelector"]["matchLabels"]["k8s-app"].as<std::string>() == "kube-dns");
  CHECK(dns["to"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"].as<std::string>() == "kube-system");
  std::set<std::string> dnsPorts;
  for (const auto& p : dns["ports"]) dnsPorts.insert(p["port"].as<std::string>() + "/" + p["protocol"].as<std::string>());
  CHECK(dnsPorts == std::set<std::string>{"53/UDP", "53/TCP"});

  // A configured scraper, API server addresses, and extra egress (renewalContinuity's kubelet port).
  const Rendered tight = render(
      "--set networkPolicy.enabled=true --set networkPolicy.apiServer.cidrs[0]=10.0.0.10/32 --set networkPolicy.apiServer.ports[0]=6443"
      " --set networkPolicy.metricsFrom[0].podSelector.matchLabels.app=vmagent"
      " --set networkPolicy.extraEgress[0].ports[0].port=10250");
  const YAML::Node t2 = tight.one("NetworkPolicy")["spec"];
  CHECK(t2["ingress"][0]["from"][0]["podSelector"]["matchLabels"]["app"].as<std::string>() == "vmagent");
  CHECK(!t2["ingress"][0]["from"][0]["namespaceSelector"]);
  CHECK(t2["egress"][0]["to"][0]["ipBlock"]["cidr"].as<std::string>() == "10.0.0.10/32");
  CHECK(t2["egress"][0]["ports"].size() == 1);
  REQUIRE(t2["egress"].size() == 3);
  CHECK(t2["egress"][2]["ports"][0]["port"].as<int>() == 10250);

  // No scraper: no ingress at all.
  const Rendered closed = render("--set networkPolicy.enabled=true --set networkPolicy.metricsFrom=null");
  CHECK(closed.one("NetworkPolicy")["spec"]["ingress"].size() == 0);
  expectFailure("--set networkPolicy.enabled=true --set networkPolicy.apiServer.cidrs[0]=10.0.0.10", "cidrs");
}

TEST_CASE("every Deployment label selector matches the pod labels and the Service selects the pods") {
  const Rendered r = renderFile("signer-secret.yaml");
  const YAML::Node d = r.one("Deployment");
  const YAML::Node podLabels = d["spec"]["template"]["metadata"]["labels"];
  for (const auto& kv : d["spec"]["selector"]["matchLabels"])
    CHECK(podLabels[kv.first.as<std::string>()].as<std::string>() == kv.second.as<std::string>());
  for (const auto& kv : r.one("Service")["spec"]["selector"])
    CHECK(podLabels[kv.first.as<std::string>()].as<std::string>() == kv.second.as<std::string>());
}

TEST_CASE("impossible combinations fail rendering with a message that says what to change") {
  expectFailure("--set config.leaderElection.enabled=false", "config.leaderElection.enabled is false");
  expectFailure("--set replicaCount=3 --set config.leaderElection.enabled=false", "replicaCount is 3");
  expectFailure("--set ca.mode=secret --set config.signers.list[0].signerName=kubernetes.io/kubelet-serving", "has no CA Secret");
  expectFailure("--set ca.mode=hostPath", "config.signers.list is empty");
  expectFailure("--set config.signers.list[0].signerName=kubernetes.io/kubelet-serving", "with ca.mode none");
  expectFailure("--set config.approver.enabled=false", "the operator would do nothing");
  expectFailure("-f " + shellQuote(valuesFile("signer-secret.yaml")) + " --set config.signers.list[0].caKeyFile=/x.key",
                "sets caCertFile/caKeyFile");
  expectFailure(
      "-f " + shellQuote(valuesFile("signer-secret.yaml")) + " --set-string " + shellQuote("ca.secret.perSigner.example\\.com/other=x"),
      "not in config.signers.list");
}

TEST_CASE("values.schema.json rejects wrong values at install time") {
  expectFailure("--set ca.mode=file", "/ca/mode");
  expectFailure("--set config.workers=0", "/config/workers");
  expectFailure("--set config.logLevel=verbose", "/config/logLevel");
  expectFailure("--set config.approver.denyMode=maybe", "/config/approver/denyMode");
  expectFailure("--set config.approver.kubeletServing.maxDNSNames=0", "maxDNSNames");
  expectFailure("--set config.approver.kubeletServing.maxExpirationSeconds=60", "maxExpirationSeconds");
  expectFailure("--set config.approver.kubeletServing.dnsNamePatterns[0]=node.example.com", "dnsNamePatterns");
  expectFailure("--set config.gc.interval=soon", "/config/gc/interval");
  expectFailure("--set config.approver.unknownKey=true", "unknownKey");
  expectFailure("--set config.signers.list[0].signerName=not-a-signer", "signerName");
  expectFailure("--set ca.secret.defaultMode=0644", "defaultMode");
  expectFailure("--set replicaCount=0", "/replicaCount");
  expectFailure("--set antiAffinity=sometimes", "/antiAffinity");
  expectFailure("--set-string config.approver.kubeletServing.enabled=yes", "/config/approver/kubeletServing/enabled");
}
