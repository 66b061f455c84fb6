#include "controller/ExplainCommand.h"

#include "controller/ApprovalPolicies.h"
#include "controller/CsrApprover.h"
#include "controller/CsrPhase.h"
#include "controller/FileNodeIdentity.h"
#include "controller/KubeLookups.h"
#include "controller/QueueWorkers.h"
#include "k8sclient/ApiError.h"
#include "k8sclient/KubeConfigLoader.h"
#include "k8sclient/ObjectFiles.h"
#include "signers/FileUtil.h"
#include "signers/LogText.h"
#include "signers/SignerSet.h"

#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace csrop {
namespace {

constexpr std::size_t kMaxCsrFileBytes = 4 * 1024 * 1024;
// `kubectl get nodes -o yaml` of a few thousand Nodes.
constexpr std::size_t kMaxNodeFileBytes = 64 * 1024 * 1024;

// Anything that stops explain before a verdict: configuration, files, the API server.
class ExplainError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Explained {
  std::string mode;  // file | cluster
  k8s::CertificateSigningRequest csr;
  std::vector<std::string> notes;
  std::optional<Explanation> explanation;  // none when no policy handles the signer
  Verdict verdict;                         // what run would do with the CSR
};

// CsrApprover::sync's steps without its write.
void decide(Explained& e, const std::vector<std::unique_ptr<ApprovalPolicy>>& policies, const Config& config) {
  ApprovalPolicy* policy = policyFor(policies, e.csr.spec.signerName);
  if (!policy) {
    e.verdict = Verdict::skip("NoApprovalPolicy", "no approval policy of this configuration handles signer \"" + e.csr.spec.signerName +
                                                      "\": run leaves the CSR to another approver");
    return;
  }
  e.explanation = policy->explain(e.csr);
  e.verdict = withDenyMode(e.explanation->verdict, config.approver.denyMode);
  if (const auto phase = phaseOf(e.csr); phase != CsrPhase::Pending)
    e.verdict =
        Verdict::skip("NotPending", "the CSR is " + std::string(phaseName(phase)) +
                                        " already and run decides only pending CSRs; the checks above are what the policy finds now");
}

signers::SignerSet loadSigners(const Config& config) {
  auto set = signers::SignerSet::load(config.signers, config.caReloadInterval);
  if (!set)
    throw ExplainError("explain loads the signers of signers.list as run does (their profiles decide signerProfile): " + set.error());
  return std::move(set.value());
}

std::string readBounded(const std::string& path, std::size_t maxBytes, const std::string& flag) {
  auto text = signers::readSmallFile(path, maxBytes);
  if (!text) throw ExplainError(flag + " " + path + ": " + text.error());
  return std::move(text.value());
}

Explained explainFile(const CommandLine& cli, const Config& config) {
  Explained e;
  e.mode = "file";
  e.csr = k8s::csrFromText(readBounded(cli.explain.csrFile, kMaxCsrFileBytes, "--file"), cli.explain.csrFile);
  std::vector<k8s::Node> nodes;
  for (const auto& file : cli.explain.nodeFiles)
    for (auto& node : k8s::nodesFromText(readBounded(file, kMaxNodeFileBytes, "--node"), file)) nodes.push_back(std::move(node));
  auto signerSet = loadSigners(config);
  FileNodeIdentity files(config.approver.kubeletServing, nodes);
  const NodeIdentity identity = files.identity();
  const auto policies = buildPolicies(config, signerSet, {&files.nodes(), &identity, files.resolver(), files.reviewer()});
  e.notes = files.notes();
  decide(e, policies, config);
  return e;
}

// A stop_source that is requested after `timeout` unless the waiter is destroyed first.
class Deadline {
 public:
  explicit Deadline(std::chrono::milliseconds timeout)
      : timer_([this, timeout](std::stop_token cancelled) {
          std::mutex m;
          std::condition_variable_any cv;
          std::unique_lock lock(m);
          if (!cv.wait_for(lock, cancelled, timeout, [] { return false; }) && !cancelled.stop_requested()) passed_.request_stop();
        }) {}
  std::stop_token token() const { return passed_.get_token(); }

 private:
  std::stop_source passed_;
  std::jthread timer_;
};

std::string unsynced(const std::vector<CacheSync>& caches) {
  std::string names;
  for (const auto& c : caches)
    if (!c.hasSynced()) names += (names.empty() ? "" : ", ") + c.name;
  return names;
}

Explained explainInCluster(const CommandLine& cli, const Config& config) {
  Explained e;
  e.mode = "cluster";
  k8s::RestConfig rest = k8s::loadDefaultConfig(cli.kubeconfig, cli.context);
  rest.httpClient = config.httpClient;
  std::stop_source stop;
  k8s::ClientOptions options;
  options.qps = config.qps;
  options.burst = config.burst;
  options.stop = stop.get_token();
  k8s::KubeClient client(k8s::makeTransport(rest), options);
  try {
    e.csr = client.get<k8s::CertificateSigningRequest>(cli.explain.csrName);
  } catch (const std::exception& error) {
    if (k8s::isNotFound(error))
      throw ExplainError("certificatesigningrequest \"" + cli.explain.csrName + "\" not found on " + rest.server + " (kubeconfig " +
                         rest.source + "); check the name with kubectl get csr");
    throw ExplainError("reading certificatesigningrequest \"" + cli.explain.csrName + "\" from " + rest.server +
                       " failed: " + error.what());
  }
  auto signerSet = loadSigners(config);
  Metrics metrics;  // the informers count into it; nothing serves it
  std::unique_ptr<NodeView> nodeView;
  if (config.approver.enabled && config.approver.kubeletServing.enabled)
    nodeView = std::make_unique<NodeView>(config, client, options, signerSet, metrics);
  std::vector<CacheSync> caches;
  std::vector<std::jthread> threads;
  // However this function ends, the informers stop before their threads are joined.
  const struct StopFirst {
    std::stop_source& stop;
    ~StopFirst() { stop.request_stop(); }
  } stopFirst{stop};
  if (nodeView) {
    nodeView->addCaches(caches);
    nodeView->startInformers(threads, stop.get_token());
  }
  const Deadline deadline(cli.explain.timeout);
  const auto clock = k8s::steadyClock();
  if (!waitForCacheSync(caches, *clock, deadline.token()))
    throw ExplainError("the caches did not sync within --timeout " + std::to_string(cli.explain.timeout.count()) +
                       "ms: " + unsynced(caches) +
                       "; check that the kubeconfig may list and watch them (deploy/rbac.yaml) or give a longer --timeout");
  std::optional<NodeIdentity> identity;
  if (nodeView) {
    if (config.approver.kubeletServing.addressSource == AddressSource::Node)
      e.notes.push_back(
          "the address index starts from the Nodes as they are now, as a restarted run's does: an address that a Node held "
          "before (approver.kubeletServing.historyWindow) and dropped is not remembered");
    nodeView->identity->nodesSynced();
    identity.emplace(nodeView->identity->identity());
  }
  ApiAccessReviewer reviewer(client);
  SystemHostResolver resolver;
  const auto policies =
      buildPolicies(config, signerSet, {nodeView ? &nodeView->directory : nullptr, identity ? &*identity : nullptr, resolver, reviewer});
  decide(e, policies, config);
  return e;
}

// stdout is the explanation alone: while explain runs, what the signers and informers log goes to
// stderr, and only warnings unless logLevel asks for debug. The process's logger is put back after.
class LogsToStderr {
 public:
  LogsToStderr() : previous_(spdlog::default_logger()), previousLevel_(previous_->level()) {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("explain", std::make_shared<spdlog::sinks::stderr_sink_mt>()));
    spdlog::set_level(spdlog::level::warn);
  }
  void follow(const Config& config) {
    if (const auto level = spdlog::level::from_str(config.logLevel); level < spdlog::level::info) spdlog::set_level(level);
  }
  ~LogsToStderr() {
    spdlog::set_default_logger(previous_);
    spdlog::set_level(previousLevel_);
  }
  LogsToStderr(const LogsToStderr&) = delete;
  LogsToStderr& operator=(const LogsToStderr&) = delete;

 private:
  std::shared_ptr<spdlog::logger> previous_;
  spdlog::level::level_enum previousLevel_;
};

int exitCodeOf(Decision decision) {
  switch (decision) {
    case Decision::Approve: return 0;
    case Decision::Deny: return 1;
    case Decision::Skip:
    case Decision::Retry: return kExplainUndecided;
  }
  return kExplainUndecided;
}

std::string quoted(const std::string& text) { return "\"" + signers::escapeForLog(text) + "\""; }

void printText(const Explained& e, std::ostream& out) {
  out << "csr: " << signers::escapeForLog(e.csr.metadata.name) << " signer=" << quoted(e.csr.spec.signerName)
      << " requester=" << quoted(e.csr.spec.username) << " mode=" << e.mode << "\n";
  for (const auto& note : e.notes) out << "note: " << note << "\n";
  if (e.explanation)
    for (const auto& row : e.explanation->checks)
      out << e.explanation->policy << " " << row.check << " " << checkResultName(row.result, e.explanation->verdict.decision) << ": "
          << signers::escapeForLog(row.message) << "\n";
  out << "verdict: " << decisionName(e.verdict.decision) << " reason=" << e.verdict.reason << " message=" << quoted(e.verdict.message)
      << "\n";
}

void printJson(const Explained& e, std::ostream& out) {
  nlohmann::ordered_json j;
  j["csr"] = {{"name", e.csr.metadata.name}, {"signerName", e.csr.spec.signerName}, {"username", e.csr.spec.username}};
  j["mode"] = e.mode;
  j["notes"] = e.notes;
  j["policy"] = e.explanation ? nlohmann::ordered_json(e.explanation->policy) : nlohmann::ordered_json();
  j["checks"] = nlohmann::ordered_json::array();
  if (e.explanation)
    for (const auto& row : e.explanation->checks) {
      std::string result = checkResultName(row.result, e.explanation->verdict.decision);
      std::transform(result.begin(), result.end(), result.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      j["checks"].push_back({{"check", row.check}, {"result", result}, {"message", row.message}});
    }
  j["verdict"] = {{"decision", decisionName(e.verdict.decision)}, {"reason", e.verdict.reason}, {"message", e.verdict.message}};
  j["exitCode"] = exitCodeOf(e.verdict.decision);
  // Invalid UTF-8 from the requester is replaced, never a reason to fail the output.
  out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace

int runExplain(const CommandLine& cli, std::ostream& out, std::ostream& err) {
  try {
    LogsToStderr logs;
    const Config config = loadConfigFile(cli.configFile, cli.overrides);
    logs.follow(config);
    for (const auto& w : cli.warnings) err << "csr-operator: warning: " << w << "\n";
    const Explained e = cli.explain.csrFile.empty() ? explainInCluster(cli, config) : explainFile(cli, config);
    if (cli.explain.json)
      printJson(e, out);
    else
      printText(e, out);
    return exitCodeOf(e.verdict.decision);
  } catch (const std::exception& e) {
    err << "csr-operator explain: " << e.what() << "\n";
    return kExplainFailed;
  }
}

}  // namespace csrop
