#include "controller/Operator.h"

#include "controller/CacheTransforms.h"
#include "controller/CsrApprover.h"
#include "controller/CsrCleaner.h"
#include "controller/CsrSigner.h"
#include "controller/DuplicateRequests.h"
#include "controller/EventRecorder.h"
#include "controller/HealthServer.h"
#include "controller/KubeLookups.h"
#include "controller/KubeletClientPolicy.h"
#include "controller/KubeletServingPolicy.h"
#include "controller/LeaderElector.h"
#include "controller/NodeIdentitySources.h"
#include "controller/Metrics.h"
#include "controller/PendingIndex.h"
#include "controller/RequesterRulePolicy.h"
#include "controller/SignerCaches.h"
#include "controller/WorkQueue.h"
#include "k8sclient/Informer.h"
#include "k8sclient/KubeClient.h"
#include "k8sclient/KubeConfigLoader.h"
#include "k8sclient/RateLimiter.h"
#include "signers/FileCaSigner.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <set>
#include <thread>
#include <malloc.h>
#include <unistd.h>

namespace csrop {
namespace {

std::string defaultIdentity() {
  if (const char* pod = std::getenv("POD_NAME"); pod && *pod) return pod;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::random_device rd;
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", rd());
  return std::string(host) + "_" + suffix;
}

std::string leaseNamespace(const Config& config, const k8s::RestConfig& rest) {
  if (!config.leaderElection.namespace_.empty()) return config.leaderElection.namespace_;
  if (!rest.namespace_.empty()) return rest.namespace_;
  if (const char* ns = std::getenv("POD_NAMESPACE"); ns && *ns) return ns;
  return "kube-system";
}

double unixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// Wakes at once when stop is requested.
void sleepFor(std::stop_token stop, std::chrono::milliseconds d) { k8s::steadyClock()->sleepFor(d, stop); }

void watchCaExpiry(const std::string& signerName, std::chrono::system_clock::time_point notAfter, Metrics& metrics) {
  metrics.set(metric::kCaNotAfter, {{"signer", signerName}}, unixSeconds(notAfter));
  const auto left = notAfter - std::chrono::system_clock::now();
  if (left < std::chrono::hours(24 * 30))
    spdlog::warn("CA of signer {} expires in {} days; rotate it (the operator reloads the files by itself)", signerName,
                 std::chrono::duration_cast<std::chrono::hours>(left).count() / 24);
}

// One Signer per configured signer name, each polling its CA files and exporting the CA's NotAfter.
std::map<std::string, std::unique_ptr<signers::Signer>> loadSigners(const Config& config, Metrics& metrics) {
  std::map<std::string, std::unique_ptr<signers::Signer>> signerSet;
  for (const auto& sc : config.signers) {
    auto signer = signers::FileCaSigner::create(sc);
    if (!signer) throw std::runtime_error("signer " + sc.signerName + " cannot start: " + signer.error());
    auto* s = signer.value().get();
    watchCaExpiry(sc.signerName, s->caNotAfter(), metrics);
    s->startReloading(config.caReloadInterval,
                      [&metrics](const signers::Signer& changed) { watchCaExpiry(changed.name(), changed.caNotAfter(), metrics); });
    spdlog::info("signer ready: signer={} ca=\"{}\" caNotAfter={}", sc.signerName, s->caSubject(),
                 static_cast<long long>(unixSeconds(s->caNotAfter())));
    signerSet.emplace(sc.signerName, std::move(signer.value()));
  }
  return signerSet;
}

// The approval policies that are switched on, in the order they are asked.
std::vector<std::unique_ptr<ApprovalPolicy>> buildPolicies(const Config& config,
                                                           const std::map<std::string, std::unique_ptr<signers::Signer>>& signerSet,
                                                           NodeDirectory& nodeDirectory, HostResolver& resolver, AccessReviewer& reviewer,
                                                           NodeIdentitySources* nodeIdentity) {
  std::vector<std::unique_ptr<ApprovalPolicy>> policies;
  if (config.approver.enabled) {
    // Each policy gets the Signer this instance runs for its signer (or none), to refuse what it would refuse.
    const auto signerFor = [&](std::string_view name) -> const signers::Signer* {
      auto it = signerSet.find(std::string(name));
      return it == signerSet.end() ? nullptr : it->second.get();
    };
    if (config.approver.kubeletServing.enabled)
      policies.push_back(std::make_unique<KubeletServingPolicy>(config.approver.kubeletServing, nodeDirectory, resolver,
                                                                nodeIdentity->identity(),
                                                                signerFor(KubeletServingPolicy::kSignerName)));
    if (config.approver.kubeletClient.enabled)
      policies.push_back(std::make_unique<KubeletClientPolicy>(reviewer, signerFor(KubeletClientPolicy::kSignerName)));
    if (!config.approver.rules.empty()) {
      std::map<std::string, const signers::Signer*> byName;
      for (auto& [name, s] : signerSet) byName[name] = s.get();
      policies.push_back(std::make_unique<RequesterRulePolicy>(config.approver.rules, byName));
    }
  }
  return policies;
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

// The Machine API's client: this cluster's, or the management cluster's of machineKubeconfig.
std::unique_ptr<k8s::KubeClient> machineApiClient(const KubeletServingConfig& config, const k8s::ClientOptions& options) {
  if (config.addressSource != AddressSource::Machine || config.machineKubeconfig.empty()) return nullptr;
  const auto rest = k8s::loadKubeConfig(config.machineKubeconfig);
  spdlog::info("Machine API: server={} from {}", rest.server, rest.source);
  return std::make_unique<k8s::KubeClient>(k8s::makeCpprestTransport(rest), options);
}

}  // namespace

int runOperator(const Config& config, const k8s::RestConfig& rest, std::stop_token stop, OperatorHooks hooks) {
  Metrics metrics;

  auto signerSet = loadSigners(config, metrics);

  k8s::ClientOptions clientOptions;
  clientOptions.qps = config.qps;
  clientOptions.burst = config.burst;
  clientOptions.stop = stop;
  clientOptions.onRequest = [&metrics](const std::string& verb, int code) {
    metrics.inc(metric::kApiRequests, {{"verb", verb}, {"code", std::to_string(code)}});
  };
  auto transport = k8s::makeCpprestTransport(rest);
  k8s::KubeClient client(transport, clientOptions);

  const std::string identity = config.leaderElection.identity.empty() ? defaultIdentity() : config.leaderElection.identity;
  LeaderElectionConfig le = config.leaderElection;
  le.namespace_ = leaseNamespace(config, rest);
  // The lease is released after stop is requested, so its client must not be bound to stop.
  k8s::ClientOptions leaseClientOptions = clientOptions;
  leaseClientOptions.stop = {};
  // The elector's loop is the retry (every retryPeriod); client retries would only hold a failing
  // renewal past the point where the loop could notice it.
  leaseClientOptions.maxRetries = 0;
  k8s::KubeClient leaseClient(transport, leaseClientOptions);
  LeaderElector elector(leaseClient, le, identity);
  auto mayWrite = [&] { return !config.leaderElection.enabled || elector.isLeader(); };

  k8s::InformerOptions csrCache, nodeCache;
  csrCache.transform = compactCsr;
  // A list page is held twice (body and parsed) before compaction, and a hostile requester can make
  // each CSR more than a megabyte: pages of about 4 MB keep a relist within the memory limit, and
  // are still the usual 500 objects for ordinary CSRs.
  csrCache.maxListPageBytes = 4 * 1024 * 1024;
  nodeCache.transform = config.approver.kubeletServing.renewalContinuity ? compactNodeKeepingKubeletPort : compactNode;
  const auto signerNames = handledSigners(config);
  SignerCaches csrs(client, signerNames, csrCache);
  std::string watched;
  for (const auto& n : signerNames) watched += (watched.empty() ? "" : ",") + n;
  spdlog::info("watching CSRs of signers [{}] only", watched);
  const bool needNodes = config.approver.enabled && config.approver.kubeletServing.enabled;
  k8s::Informer<k8s::Node> nodes(client, {}, nodeCache);

  InformerNodeDirectory nodeDirectory(nodes, client);
  ApiAccessReviewer reviewer(client);
  SystemHostResolver resolver;
  EventRecorder events(client, "csr-operator", identity);

  const auto machineClient = needNodes ? machineApiClient(config.approver.kubeletServing, clientOptions) : nullptr;
  std::unique_ptr<NodeIdentitySources> nodeIdentity;
  if (needNodes) {
    const auto servingSigner = signerSet.find(std::string(KubeletServingPolicy::kSignerName));
    std::function<std::string()> caPem = [] { return std::string(); };
    if (servingSigner != signerSet.end()) caPem = [s = servingSigner->second.get()] { return currentCaPem(*s); };
    nodeIdentity = std::make_unique<NodeIdentitySources>(config.approver.kubeletServing, client,
                                                         machineClient ? *machineClient : client, nodeDirectory, caPem, metrics);
    nodes.onAdd([&](const k8s::Node& n) { nodeIdentity->nodeAdded(n); });
    nodes.onUpdate([&](const k8s::Node&, const k8s::Node& n) { nodeIdentity->nodeUpdated(n); });
    nodes.onDelete([&](const k8s::Node& n) { nodeIdentity->nodeDeleted(n); });
  }
  const auto identitySynced = [&] { return !needNodes || (nodes.hasSynced() && nodeIdentity->hasSynced()); };

  auto policies = buildPolicies(config, signerSet, nodeDirectory, resolver, reviewer, nodeIdentity.get());
  CsrApprover approver(client, std::move(policies), config.approver.denyMode, events, metrics, mayWrite);
  CsrSigner signer(client, signerSet, events, metrics, mayWrite);

  WorkQueue queue;
  PendingIndex pending(static_cast<std::size_t>(config.approver.maxPendingPerRequester));
  // The index first, so a worker that picks the name up sees its standing.
  DuplicateRequests duplicates{std::string(KubeletServingPolicy::kSignerName)};
  auto enqueue = [&](const k8s::CertificateSigningRequest& csr) {
    pending.update(csr);
    if (needNodes && isPending(csr)) duplicates.update(csr);
    queue.add(csr.metadata.name);
  };
  csrs.onAdd(enqueue);
  csrs.onUpdate([&](const k8s::CertificateSigningRequest&, const k8s::CertificateSigningRequest& now) { enqueue(now); });
  csrs.onDelete([&](const k8s::CertificateSigningRequest& csr) {
    if (auto promoted = pending.remove(csr.metadata.name)) queue.add(*promoted);
    if (auto newest = duplicates.remove(csr.metadata.name)) queue.add(*newest);
    queue.forget(csr.metadata.name);
  });

  HealthServer health(
      config.bindAddress, [&] { return csrs.hasSynced() && identitySynced(); },
      [&] {
        metrics.set(metric::kQueueDepth, {}, static_cast<double>(queue.depth()));
        metrics.set(metric::kLeader, {}, mayWrite() ? 1 : 0);
        metrics.set(metric::kWatchRestarts, {{"resource", "certificatesigningrequests"}}, static_cast<double>(csrs.watchRestarts()));
        if (needNodes) metrics.set(metric::kWatchRestarts, {{"resource", "nodes"}}, static_cast<double>(nodes.watchRestarts()));
        if (nodeIdentity)
          for (const auto& [resource, restarts] : nodeIdentity->watchRestarts())
            metrics.set(metric::kWatchRestarts, {{"resource", resource}}, static_cast<double>(restarts));
        const auto bySigner = pending.pendingBySigner();
        for (const auto& n : signerNames) {
          const auto it = bySigner.find(n);
          metrics.set(metric::kPendingCsrs, {{"signer", n}}, it == bySigner.end() ? 0 : static_cast<double>(it->second));
        }
        return metrics.render();
      });
  spdlog::info("serving /healthz /readyz /metrics on port {}", health.port());
  if (hooks.onListening) hooks.onListening(health.port());

  std::stop_source internal;
  std::stop_callback forward(stop, [&] { internal.request_stop(); });
  std::vector<std::jthread> threads;
  threads.emplace_back([&](std::stop_token) { csrs.run(internal.get_token()); });
  if (needNodes) threads.emplace_back([&](std::stop_token) { nodes.run(internal.get_token()); });
  if (nodeIdentity)
    for (auto& loop : nodeIdentity->informerLoops())
      threads.emplace_back([&internal, loop = std::move(loop)](std::stop_token) { loop(internal.get_token()); });

  auto sync = [&](const std::string& name) -> SyncResult {
    const auto cached = csrs.getJson(name);
    if (!cached) return SyncResult::done();
    auto csr = cached->get<k8s::CertificateSigningRequest>();
    if (config.approver.enabled && isPending(csr)) {
      if (const auto standing = pending.standing(name); !standing.handled) {
        spdlog::warn("flood guard: leaving csr={} alone: requester={} has {} pending CSRs for signer={}, more than "
                     "approver.maxPendingPerRequester={}; only the newest are handled, this one when newer ones are decided",
                     name, csr.spec.username, standing.pending, csr.spec.signerName, pending.maxPerRequester());
        return SyncResult::done();
      }
      if (const auto newer = duplicates.newerIdentical(name)) {
        spdlog::info("duplicate: leaving csr={} alone: csr={} from requester={} asks for the same names and is newer; "
                     "the kubelet waits only for its newest CSR",
                     name, *newer, csr.spec.username);
        return SyncResult::done();
      }
      if (needsFreshRead(*cached)) csr = client.get<k8s::CertificateSigningRequest>(name);
    }
    if (config.approver.enabled) {
      std::optional<k8s::CertificateSigningRequest> approved;
      auto r = approver.sync(csr, &approved);
      if (r.retry) return r;
      if (approved && signer.wants(*approved)) return signer.signFresh(std::move(*approved));
    }
    if (signer.wants(csr)) return signer.sync(name);
    return SyncResult::done();
  };
  auto resyncAll = [&] {
    for (const auto& csr : csrs.list()) queue.add(csr.metadata.name);
  };
  if (config.leaderElection.enabled) {
    threads.emplace_back([&](std::stop_token) {
      elector.run(internal.get_token(), [&] {
        metrics.set(metric::kLeader, {}, 1);
        resyncAll();
      }, [&] { metrics.set(metric::kLeader, {}, 0); });
    });
  }
  if (config.gc.enabled) {
    threads.emplace_back([&](std::stop_token) {
      CsrCleaner cleaner(client, config.gc, metrics, cachedCertificateExpired);
      while (!internal.stop_requested()) {
        sleepFor(internal.get_token(), config.gc.interval);
        if (!internal.stop_requested() && mayWrite() && csrs.hasSynced()) cleaner.sweep(csrs.list());
      }
    });
  }

  // Leader or not, a resync after the first sync covers CSRs that arrived before workers started.
  while (!internal.stop_requested() && !csrs.hasSynced()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // Nothing is owned before the index has seen every Node, and no reserved address is known
  // before the Service and its slices are listed: no kubelet-serving decision before that.
  while (!internal.stop_requested() && !identitySynced()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (nodeIdentity) nodeIdentity->nodesSynced();
  spdlog::info("informers synced: {} CSRs cached; workers={} identity={}", csrs.size(), config.workers, identity);
  // Workers start only now: the flood guard ranks a requester's CSRs, which needs all of them
  // listed first (the list hands them over one by one, in name order).
  for (int i = 0; i < config.workers; ++i) {
    threads.emplace_back([&](std::stop_token) {
      while (auto key = queue.get()) {
        if (!mayWrite()) {
          queue.done(*key);  // the new leader re-reads everything when it takes over
          continue;
        }
        SyncResult r;
        try {
          r = sync(*key);
        } catch (const std::exception& e) {
          r = SyncResult::again(e.what());
        }
        if (r.retry) {
          auto delay = queue.addRateLimited(*key);
          spdlog::warn("retrying csr={} in {}ms (attempt {}): {}", *key, delay.count(), queue.failures(*key), r.error);
        } else {
          queue.forget(*key);
        }
        queue.done(*key);
      }
    });
  }

  resyncAll();

  // Bursts of CSRs leave freed request and certificate buffers in glibc's per-thread arenas;
  // handing them back now and then keeps RSS close to what the caches really hold.
  for (auto lastTrim = std::chrono::steady_clock::now(); !internal.stop_requested();) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (std::chrono::steady_clock::now() - lastTrim > std::chrono::seconds(2)) {
      malloc_trim(0);
      lastTrim = std::chrono::steady_clock::now();
    }
  }
  spdlog::info("shutting down: stopping workers, informers and leader election");
  queue.shutDown();
  for (auto& t : threads) t.join();
  for (auto& [name, s] : signerSet) s->stopReloading();
  return 0;
}

}  // namespace csrop
