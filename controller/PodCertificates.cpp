#include "controller/PodCertificates.h"

#include "controller/KubeLookups.h"
#include "controller/PodCertificatePolicy.h"
#include "controller/Metrics.h"
#include "controller/PodCertificateController.h"
#include "controller/TrustBundlePublisher.h"
#include "controller/WorkQueue.h"
#include "k8sclient/KubeClient.h"
#include "k8sclient/PodCertificateObjects.h"
#include "signers/PodCertificate.h"
#include "signers/SignerSet.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

namespace csrop {

namespace {

std::unique_ptr<signers::PodCertificateSigner> loadSigner(const PodCertificateSignerConfig& c) {
  signers::CaFiles ca{c.caCertFile, c.caKeyFile, c.caKeyPassphraseFile, c.chainFiles};
  ca.pinFile = c.caKeyPinFile;
  ca.pinEnv = c.caKeyPinEnv;
  if (!c.pkcs11Module.empty()) ca.pkcs11Module = c.pkcs11Module;
  ca.pkcs11Sessions = static_cast<std::size_t>(std::max(1, c.pkcs11Sessions));
  auto signer = signers::createPodCertificateSigner(podCertificatePolicy(c), ca);
  if (!signer) throw std::runtime_error("podCertificates signer " + c.signerName + " cannot start: " + signer.error());
  spdlog::info("pod certificate signer {} ready: CA {}", c.signerName, signer.value()->caSubject());
  return std::move(signer.value());
}

bool publishesAnything(const Config& config) {
  return !config.trustBundles.csrSigners.empty() ||
         std::any_of(config.podCertificates.signers.begin(), config.podCertificates.signers.end(),
                     [](const PodCertificateSignerConfig& s) { return s.publishTrustBundle; });
}

std::string required(const std::string& version, const char* resource, const char* why) {
  if (!version.empty()) return version;
  throw std::runtime_error(std::string(why) + " but the API server serves no " + resource +
                           " in certificates.k8s.io v1 or v1beta1: on Kubernetes 1.37+ they are on by default; on 1.35-1.36 "
                           "enable the feature gate and --runtime-config=certificates.k8s.io/v1beta1/" +
                           resource + "=true; or turn the setting off");
}

}  // namespace

PodCertificates::PodCertificates(const Parts& parts) : config_(parts.config), client_(parts.client), mayWrite_(parts.mayWrite) {}

PodCertificates::~PodCertificates() { stop(); }

std::unique_ptr<PodCertificates> PodCertificates::create(const Parts& parts) {
  const auto& config = parts.config;
  const bool pods = !config.podCertificates.signers.empty();
  if (!pods && !publishesAnything(config)) return nullptr;
  const auto api = k8s::discoverCertificatesApi(parts.client);
  std::unique_ptr<PodCertificates> self(new PodCertificates(parts));

  std::vector<TrustBundleSource> sources;
  for (const auto& name : config.trustBundles.csrSigners) {
    const auto* signer = parts.csrSigners.find(name);
    const auto entry = std::find_if(config.signers.begin(), config.signers.end(), [&](const auto& s) { return s.signerName == name; });
    if (!signer || entry == config.signers.end())
      throw std::runtime_error("trust bundle for signer " + name + ": the signer is not running");
    sources.push_back({name, [signer] { return signer->caPem(); }, entry->maxDuration});
  }
  if (pods) {
    const std::string version = required(api.podCertificateRequests, "podcertificaterequests", "podCertificates.signers is set");
    spdlog::info("podcertificaterequests are served at certificates.k8s.io/{}", version);
    std::map<std::string, const signers::PodCertificateSigner*> byName;
    std::map<std::string, PodCertificateChecks> checks;
    std::vector<std::string> names;
    for (const auto& c : config.podCertificates.signers) {
      if (c.verifyPod || !c.accessReview.verb.empty()) checks[c.signerName] = {c.verifyPod, c.accessReview};
      auto signer = loadSigner(c);
      auto* raw = signer.get();
      raw->startReloading(config.caReloadInterval, [self = self.get()](const signers::PodCertificateSigner& changed) {
        spdlog::info("pod certificate signer {} reloaded its CA: {}", changed.name(), changed.caSubject());
        self->publishNow_ = true;
      });
      if (c.publishTrustBundle) sources.push_back({c.signerName, [raw] { return raw->caPem(); }, c.maxLifetime});
      byName[c.signerName] = raw;
      names.push_back(c.signerName);
      self->signers_.push_back(std::move(signer));
    }
    k8s::InformerOptions options;
    options.idleDeadline = config.watchSilenceTimeout;
    self->queue_ = std::make_unique<WorkQueue>();
    self->caches_ = std::make_unique<PodCertificateCaches>(parts.client, version, names, options);
    self->pods_ = std::make_unique<ApiPodDirectory>(parts.client);
    self->reviewer_ = std::make_unique<ApiAccessReviewer>(parts.client);
    self->controller_ = std::make_unique<PodCertificateController>(
        PodCertificateControllerParts{*self->caches_, parts.client, version, *self->queue_, byName, parts.events, parts.metrics,
                                      parts.mayWrite, k8s::steadyClock(), std::move(checks), self->pods_.get(), self->reviewer_.get()});
    self->caches_->onChange([c = self->controller_.get()](const std::string& key) { c->changed(key); });
    self->caches_->onDelete([c = self->controller_.get()](const std::string& key) { c->deleted(key); });
  }
  if (!sources.empty()) {
    const std::string version = required(api.clusterTrustBundles, "clustertrustbundles", "trustBundle.publish is set");
    spdlog::info("clustertrustbundles are written at certificates.k8s.io/{} for {} signers", version, sources.size());
    self->publisher_ = std::make_unique<TrustBundlePublisher>(
        parts.client, TrustBundlePublisherOptions{version, config.trustBundles.nameSuffix}, std::move(sources), parts.metrics);
  }
  return self;
}

void PodCertificates::addCaches(std::vector<CacheSync>& caches) {
  if (caches_) caches.push_back({"podcertificaterequests", [this] { return caches_->hasSynced(); }});
}

void PodCertificates::start(std::vector<std::jthread>& threads, std::stop_token stop) {
  if (caches_) {
    threads.emplace_back([this, stop](std::stop_token) { caches_->run(stop); });
    threads.emplace_back([this, stop](std::stop_token) {
      controller_->run(
          config_.workers, [this] { return caches_->hasSynced(); }, stop);
    });
  }
  if (publisher_) threads.emplace_back([this, stop](std::stop_token) { publishLoop(stop); });
}

// Level-based: a full pass every reload interval, at once after a CA reload or a new leader, and
// again after a failed pass (a missing grant may be added) a few seconds later.
void PodCertificates::publishLoop(std::stop_token stop) {
  auto clock = k8s::steadyClock();
  auto due = clock->now();
  while (!stop.stop_requested()) {
    if (mayWrite_() && (publishNow_.exchange(false) || clock->now() >= due)) {
      const auto r = publisher_->reconcile();
      if (r.retry) spdlog::warn("publishing trust bundles: {}; retrying in 5s", r.error);
      due = clock->now() + (r.retry ? std::chrono::milliseconds(5000) : std::chrono::milliseconds(config_.caReloadInterval));
    }
    if (!clock->sleepFor(std::chrono::milliseconds(500), stop)) return;
  }
}

void PodCertificates::becameLeader() {
  publishNow_ = true;
  if (controller_) controller_->enqueueAll();
}

void PodCertificates::updateGauges(Metrics& metrics) const {
  for (const auto& s : signers_) metrics.set(metric::kSignerAvailable, {{"signer", s->name()}}, s->unavailable() ? 0 : 1);
  if (!caches_) return;
  metrics.set(metric::kWatchRestarts, {{"resource", "podcertificaterequests"}}, static_cast<double>(caches_->watchRestarts()));
}

std::vector<std::string> PodCertificates::unavailableSigners() const {
  std::vector<std::string> out;
  for (const auto& s : signers_)
    if (auto why = s->unavailable()) out.push_back("signer " + s->name() + " unavailable: " + *why);
  return out;
}

void PodCertificates::stop() {
  for (auto& s : signers_) s->stopReloading();
}

}  // namespace csrop
