#include "controller/Operator.h"

#include "controller/ApprovalPolicies.h"
#include "controller/CacheTransforms.h"
#include "controller/CsrApprover.h"
#include "controller/CsrBacklog.h"
#include "controller/CsrCleaner.h"
#include "controller/CsrController.h"
#include "controller/CsrSigner.h"
#include "controller/DuplicateRequests.h"
#include "controller/EventRecorder.h"
#include "controller/HealthServer.h"
#include "controller/KubeLookups.h"
#include "controller/KubeletClientPolicy.h"
#include "controller/KubeletServingPolicy.h"
#include "controller/LeaderElector.h"
#include "controller/MemoryTrimmer.h"
#include "controller/Metrics.h"
#include "controller/PendingIndex.h"
#include "controller/PodCertificates.h"
#include "controller/ProcessMetrics.h"
#include "controller/Periodic.h"
#include "controller/SignerCaches.h"
#include "controller/WorkQueue.h"
#include "k8sclient/Informer.h"
#include "k8sclient/KubeClient.h"
#include "k8sclient/RateLimiter.h"
#include "signers/SignerSet.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <set>
#include <thread>

namespace csrop {
namespace {

double unixSeconds(std::chrono::system_clock::time_point t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); }

void watchCaExpiry(const std::string& signerName, std::chrono::system_clock::time_point notAfter, Metrics& metrics) {
  metrics.set(metric::kCaExpiration, {{"signer", signerName}}, unixSeconds(notAfter));
  metrics.set(metric::kCaNotAfter, {{"signer", signerName}}, unixSeconds(notAfter));
  const auto left = notAfter - std::chrono::system_clock::now();
  if (left < std::chrono::hours(24 * 30))
    spdlog::warn("CA of signer {} expires in {} days; rotate it (the operator reloads the files by itself)", signerName,
                 std::chrono::duration_cast<std::chrono::hours>(left).count() / 24);
}

// One Signer per configured signer name, each reloading its CA and exporting the CA's NotAfter.
signers::SignerSet loadSigners(const Config& config, Metrics& metrics) {
  auto set = signers::SignerSet::load(config.signers, config.caReloadInterval, [&metrics](const signers::Signer& changed) {
    watchCaExpiry(changed.name(), changed.caNotAfter(), metrics);
  });
  if (!set) throw std::runtime_error(set.error());
  return std::move(set.value());
}

// The signers this instance acts on: those of the enabled approval policies and the configured
// signers. Only their CSRs are listed and watched.
std::set<std::string> handledSigners(const Config& config) {
  std::set<std::string> names;
  if (config.approver.enabled) {
    if (config.approver.kubeletServing.enabled) names.emplace(KubeletServingPolicy::kSignerName);
    if (config.approver.kubeletClient.enabled) names.emplace(KubeletClientPolicy::kSignerName);
    for (const auto& rule : config.approver.rules) names.insert(rule.signerName);
  }
  for (const auto& sc : config.signers) names.insert(sc.signerName);
  return names;
}

// The gauges /metrics shows that are read at scrape time rather than counted as they happen.
struct ScrapeTimeGauges {
  const WorkQueue& queue;
  const SignerCaches& csrs;
  const NodeView* nodeView;
  const PendingIndex& pending;
  const CsrBacklog& backlog;
  const std::set<std::string>& signerNames;
  std::function<bool()> leading;
  const signers::SignerSet& signerSet;

  void update(Metrics& metrics) const {
    metrics.set(metric::kQueueDepth, {}, static_cast<double>(queue.depth()));
    metrics.set(metric::kLeader, {}, leading() ? 1 : 0);
    metrics.set(metric::kWatchRestarts, {{"resource", "certificatesigningrequests"}}, static_cast<double>(csrs.watchRestarts()));
    if (nodeView) updateNodeGauges(metrics);
    const auto bySigner = pending.pendingBySigner();
    for (const auto& n : signerNames) {
      const auto it = bySigner.find(n);
      metrics.set(metric::kPendingCsrs, {{"signer", n}}, it == bySigner.end() ? 0 : static_cast<double>(it->second));
    }
    for (const auto& [signer, counts] : backlog.bySigner(std::chrono::system_clock::now())) {
      metrics.set(metric::kOldestPendingAge, {{"signer", signer}}, counts.oldestPendingAgeSeconds);
      metrics.set(metric::kApprovedUnissued, {{"signer", signer}}, static_cast<double>(counts.approvedUnissued));
    }
    updateProcessMetrics(metrics);
    for (const auto& n : signerSet.names())
      metrics.set(metric::kSignerAvailable, {{"signer", n}}, signerSet.find(n)->unavailable() ? 0 : 1);
  }
  void updateNodeGauges(Metrics& metrics) const;
};

bool allSynced(const std::vector<CacheSync>& caches) {
  for (const auto& c : caches)
    if (!c.hasSynced()) return false;
  return true;
}

// What /readyz answers 503 with: unsynced informers, or each signer (CSR or pod) that cannot sign
// now (its token went away), so a probe failure names the signer; empty when ready.
std::string notReady(const std::vector<CacheSync>& caches, const signers::SignerSet& signerSet, const PodCertificates* podCertificates) {
  if (!allSynced(caches)) return "informers not synced";
  std::vector<std::string> lines;
  for (const auto& n : signerSet.names())
    if (auto why = signerSet.find(n)->unavailable()) lines.push_back("signer " + n + " unavailable: " + *why);
  if (podCertificates)
    for (auto& line : podCertificates->unavailableSigners()) lines.push_back(std::move(line));
  std::string out;
  for (const auto& line : lines) out += (out.empty() ? "" : "\n") + line;
  return out;
}

k8s::InformerOptions csrCacheOptions(const Config& config) {
  k8s::InformerOptions options;
  options.idleDeadline = config.watchSilenceTimeout;
  options.transform = compactCsr;
  // A list page is held twice (body and parsed) before compaction, and a hostile requester can make
  // each CSR more than a megabyte: pages of about 4 MB keep a relist within the memory limit, and
  // are still the usual 500 objects for ordinary CSRs.
  options.maxListPageBytes = 4 * 1024 * 1024;
  // Not deflated, unlike the Node cache: a CSR is stored three times in its life (created,
  // approved, issued) and read back by the workers, and deflating it was 7 % of the operator's CPU
  // per CSR for 5 % fewer bytes (bench/RESULTS-e2e.md, issue 17).
  return options;
}

k8s::ClientOptions clientOptionsFor(const Config& config, std::stop_token stop, Metrics& metrics) {
  k8s::ClientOptions options;
  options.qps = config.qps;
  options.burst = config.burst;
  options.stop = std::move(stop);
  options.onRequest = [&metrics](const std::string& verb, int code) {
    metrics.inc(metric::kApiRequests, {{"verb", verb}, {"code", std::to_string(code)}});
  };
  return options;
}

// The lease is released after stop is requested, so its client is not bound to stop; and the
// elector's loop is the retry (every retryPeriod): client retries would only hold a failing
// renewal past the point where the loop could notice it.
k8s::ClientOptions leaseClientOptions(k8s::ClientOptions options) {
  options.stop = {};
  options.maxRetries = 0;
  return options;
}

void ScrapeTimeGauges::updateNodeGauges(Metrics& metrics) const {
  metrics.set(metric::kWatchRestarts, {{"resource", "nodes"}}, static_cast<double>(nodeView->nodes.watchRestarts()));
  for (const auto& [resource, restarts] : nodeView->identity->watchRestarts())
    metrics.set(metric::kWatchRestarts, {{"resource", resource}}, static_cast<double>(restarts));
}

}  // namespace

int runOperator(const Config& config, const k8s::RestConfig& rest, std::stop_token stop, OperatorHooks hooks) {
  const std::string& identity = config.leaderElection.identity;
  if (identity.empty() || config.leaderElection.namespace_.empty())
    throw std::invalid_argument(
        "leaderElection.identity and leaderElection.namespace must be set before the operator starts "
        "(main fills them in with fillRuntimeDefaults)");
  const auto clock = k8s::steadyClock();
  Metrics metrics;
  auto signerSet = loadSigners(config, metrics);

  const auto clientOptions = clientOptionsFor(config, stop, metrics);
  auto transport = k8s::makeTransport(rest);
  k8s::KubeClient client(transport, clientOptions);
  k8s::KubeClient leaseClient(transport, leaseClientOptions(clientOptions));
  LeaderElector elector(leaseClient, config.leaderElection, identity);
  auto mayWrite = [&] { return !config.leaderElection.enabled || elector.isLeader(); };

  const auto signerNames = handledSigners(config);
  SignerCaches csrs(client, signerNames, csrCacheOptions(config));
  std::unique_ptr<NodeView> nodeView;
  if (config.approver.enabled && config.approver.kubeletServing.enabled)
    nodeView = std::make_unique<NodeView>(config, client, clientOptions, signerSet, metrics);

  ApiAccessReviewer reviewer(client);
  SystemHostResolver resolver;
  EventRecorder events(client, "csr-operator", identity);
  std::unique_ptr<CsrApprover> approver;
  if (config.approver.enabled) {
    std::optional<NodeIdentity> nodeIdentity;
    if (nodeView) nodeIdentity.emplace(nodeView->identity->identity());
    const PolicyInputs inputs{nodeView ? &nodeView->directory : nullptr, nodeIdentity ? &*nodeIdentity : nullptr, resolver, reviewer};
    approver = std::make_unique<CsrApprover>(client, buildPolicies(config, signerSet, inputs),
                                             CsrApprover::Modes{config.approver.mode, config.approver.denyMode}, events, metrics, mayWrite);
  }
  if (approver && config.approver.mode == ApproverMode::Observe)
    spdlog::warn("approver.mode is observe: CSRs are decided, logged (mode=observe) and counted, never approved, denied or given an Event");
  CsrSigner signer(client, signerSet, events, metrics, mayWrite);
  const auto podCertificates = PodCertificates::create({config, client, signerSet, events, metrics, mayWrite});
  WorkQueue queue;
  PendingIndex pending(static_cast<std::size_t>(config.approver.maxPendingPerRequester));
  std::unique_ptr<DuplicateRequests> duplicates;
  if (nodeView) duplicates = std::make_unique<DuplicateRequests>(std::string(KubeletServingPolicy::kSignerName));
  CsrController controller({csrs, client, queue, approver.get(), signer, pending, duplicates.get(), mayWrite});
  CsrBacklog backlog(signerNames);
  csrs.onAdd([&](const CachedCsr& csr) {
    backlog.update(csr);
    controller.csrAdded(csr);
  });
  csrs.onUpdate([&](const CachedCsr& now) {
    backlog.update(now);
    controller.csrUpdated(now);
  });
  csrs.onDelete([&](const CachedCsr& csr) {
    backlog.remove(csr.csr.metadata.name);
    controller.csrDeleted(csr);
  });

  std::vector<CacheSync> caches{{"certificatesigningrequests", [&] { return csrs.hasSynced(); }}};
  if (nodeView) nodeView->addCaches(caches);
  if (podCertificates) podCertificates->addCaches(caches);
  const ScrapeTimeGauges gauges{queue, csrs, nodeView.get(), pending, backlog, signerNames, mayWrite, signerSet};
  HealthServer health(
      config.bindAddress, [&] { return notReady(caches, signerSet, podCertificates.get()); },
      [&] {
        gauges.update(metrics);
        if (podCertificates) podCertificates->updateGauges(metrics);
        return metrics.render();
      });
  spdlog::info("serving /healthz /readyz /metrics on port {}", health.port());
  if (hooks.onListening) hooks.onListening(health.port());

  std::vector<std::jthread> threads;
  threads.emplace_back([&](std::stop_token) { csrs.run(stop); });
  if (nodeView) nodeView->startInformers(threads, stop);
  if (podCertificates) podCertificates->start(threads, stop);
  if (config.leaderElection.enabled)
    threads.emplace_back([&](std::stop_token) {
      elector.run(
          stop,
          [&] {
            metrics.set(metric::kLeader, {}, 1);
            controller.enqueueAll();
            if (podCertificates) podCertificates->becameLeader();
          },
          [&] { metrics.set(metric::kLeader, {}, 0); });
    });
  CsrCleaner cleaner(client, config.gc, metrics);
  if (config.gc.enabled)
    threads.emplace_back([&](std::stop_token) {
      runEvery(*clock, config.gc.interval, stop, [&] {
        if (mayWrite() && csrs.hasSynced()) cleaner.sweep(csrs, clock->systemNow());
      });
    });
  threads.emplace_back([&](std::stop_token) { trimMemoryUntil(*clock, stop); });
  // Combined approval Events; what is counted in the last interval before a stop is not written
  // (the client refuses requests once stop is requested), as client-go drops its queued events.
  threads.emplace_back([&](std::stop_token) { runEvery(*clock, EventRecorder::kFlushInterval, stop, [&] { events.flush(); }); });

  controller.run(config.workers, caches, *clock, stop, [&] {
    if (nodeView) nodeView->identity->nodesSynced();
    spdlog::info("informers synced: {} CSRs cached; workers={} identity={}", csrs.size(), config.workers, identity);
  });
  spdlog::info("shutting down: stopping informers and leader election");
  threads.clear();
  if (podCertificates) podCertificates->stop();
  signerSet.stop();
  return 0;
}

}  // namespace csrop
