#include "controller/TrustBundlePublisher.h"

#include "controller/Metrics.h"
#include "controller/Timestamp.h"
#include "controller/WriteFailures.h"
#include "k8sclient/KubeClient.h"
#include "k8sclient/Rfc3339.h"
#include "signers/TrustBundle.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

namespace csrop {
namespace {

using TimePoint = std::chrono::system_clock::time_point;

constexpr const char* kManagedByLabel = "app.kubernetes.io/managed-by";
constexpr const char* kManagedBy = "csr-operator";

std::string permissionHint(const std::string& signerName, const std::string& verb) {
  return "csr-operator needs '" + verb + "' on certificates.k8s.io clustertrustbundles and 'attest' on certificates.k8s.io signers " +
         "with resourceNames [" + signerName + "] (the chart grants both when podCertificates or trustBundle.publish is on)";
}

SyncResult afterFailedBundleWrite(const std::exception& e, const std::string& bundle, const std::string& signerName,
                                  const std::string& verb) {
  switch (classifyWriteFailure(e)) {
    case WriteFailure::Conflict: return SyncResult::again("clustertrustbundle " + bundle + " changed while writing it; reading it again");
    case WriteFailure::NotFound:
      return SyncResult::again("clustertrustbundle " + bundle + " went away while writing it; creating it again");
    case WriteFailure::Forbidden:
      spdlog::error("permission missing: clustertrustbundle={} signer={} {}: {}", bundle, signerName, permissionHint(signerName, verb),
                    e.what());
      break;
    case WriteFailure::Transient: break;
  }
  return SyncResult::again(verb + " clustertrustbundle " + bundle + " failed: " + e.what());
}

}  // namespace

std::map<std::string, TimePoint> parseRetainUntil(const std::string& text) {
  std::map<std::string, TimePoint> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string entry = text.substr(start, end - start);
    start = end + 1;
    const auto eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    if (const auto until = parseRfc3339(entry.substr(eq + 1))) out[entry.substr(0, eq)] = *until;
  }
  return out;
}

std::string formatRetainUntil(const std::map<std::string, TimePoint>& retained) {
  std::string out;
  for (const auto& [fingerprint, until] : retained) out += (out.empty() ? "" : ",") + fingerprint + "=" + k8s::formatRfc3339(until);
  return out;
}

TrustBundlePublisher::TrustBundlePublisher(k8s::KubeClient& client, TrustBundlePublisherOptions options,
                                           std::vector<TrustBundleSource> sources, Metrics& metrics, std::shared_ptr<k8s::Clock> clock)
    : client_(client), options_(std::move(options)), sources_(std::move(sources)), metrics_(metrics), clock_(std::move(clock)) {}

std::string TrustBundlePublisher::bundleName(const std::string& signerName, const std::string& suffix) {
  std::string name = signerName;
  std::replace(name.begin(), name.end(), '/', ':');
  return name + ":" + suffix;
}

SyncResult TrustBundlePublisher::reconcile() {
  SyncResult first;
  const auto now = clock_->systemNow();
  for (const auto& source : sources_) {
    auto r = publish(source, now);
    if (r.retry && !first.retry) first = std::move(r);
  }
  auto gc = collectGarbage();
  if (gc.retry && !first.retry) first = std::move(gc);
  return first;
}

SyncResult TrustBundlePublisher::publish(const TrustBundleSource& source, TimePoint now) {
  const std::string name = bundleName(source.signerName, options_.nameSuffix);
  const auto current = signers::readCertificateBundle(source.caPem());
  if (!current) return SyncResult::again("the CA of signer " + source.signerName + " cannot be published: " + current.error());

  std::optional<k8s::ClusterTrustBundle> existing;
  try {
    existing = k8s::getClusterTrustBundle(client_, options_.version, name);
  } catch (const std::exception& e) {
    return SyncResult::again("reading clustertrustbundle " + name + " failed: " + e.what());
  }
  if (existing && existing->metadata.labels[kSuffixLabel] != options_.nameSuffix) {
    spdlog::error(
        "clustertrustbundle={} signer={} exists but was not created by csr-operator (no label {}={}); it is left alone and the "
        "signer's CA is not published: delete it, or choose another trustBundles.nameSuffix",
        name, source.signerName, kSuffixLabel, options_.nameSuffix);
    return SyncResult::done();
  }

  // What the bundle held before: the CAs that are no longer current are outgoing.
  std::vector<signers::BundleCertificate> previous;
  std::map<std::string, TimePoint> promised;
  if (existing) {
    auto read = signers::readCertificateBundle(existing->spec.trustBundle);
    if (read)
      previous = std::move(read.value());
    else
      spdlog::warn("clustertrustbundle={} signer={} holds a bundle that does not parse ({}); rewriting it with the current CA only", name,
                   source.signerName, read.error());
    promised = parseRetainUntil(existing->metadata.annotations[kRetainAnnotation]);
  }
  std::set<std::string> currentIds;
  for (const auto& c : current.value()) currentIds.insert(c.sha256Hex);

  std::vector<signers::BundleCertificate> bundle = current.value();
  std::map<std::string, TimePoint> retained;
  for (const auto& old : previous) {
    if (currentIds.count(old.sha256Hex)) continue;
    const auto it = promised.find(old.sha256Hex);
    // First seen outgoing: nothing it issued outlives its own notAfter or the longest lifetime from now.
    const TimePoint until = it != promised.end() ? it->second : std::min(old.notAfter, now + source.maxLifetime);
    if (until <= now) {
      spdlog::info("clustertrustbundle={} signer={} drops the outgoing CA sha256={}: nothing it issued is valid after {}", name,
                   source.signerName, old.sha256Hex, k8s::formatRfc3339(until));
      continue;
    }
    retained[old.sha256Hex] = until;
    bundle.push_back(old);
  }

  const std::string text = signers::joinCertificateBundle(bundle);
  const std::string annotation = formatRetainUntil(retained);
  if (existing && existing->spec.trustBundle == text && existing->spec.signerName == source.signerName &&
      existing->metadata.annotations[kRetainAnnotation] == annotation)
    return SyncResult::done();

  k8s::ClusterTrustBundle ctb = existing ? *existing : k8s::ClusterTrustBundle{};
  ctb.metadata.name = name;
  ctb.metadata.labels[kManagedByLabel] = kManagedBy;
  ctb.metadata.labels[kSuffixLabel] = options_.nameSuffix;
  if (annotation.empty())
    ctb.metadata.annotations.erase(kRetainAnnotation);
  else
    ctb.metadata.annotations[kRetainAnnotation] = annotation;
  ctb.spec.signerName = source.signerName;
  ctb.spec.trustBundle = text;
  const std::string verb = existing ? "update" : "create";
  try {
    if (existing)
      k8s::updateClusterTrustBundle(client_, options_.version, ctb);
    else
      k8s::createClusterTrustBundle(client_, options_.version, ctb);
  } catch (const std::exception& e) {
    return afterFailedBundleWrite(e, name, source.signerName, verb);
  }
  metrics_.inc(metric::kTrustBundleWrites, {{"signer", source.signerName}, {"action", verb}});
  spdlog::info("published clustertrustbundle={} signer={} decision={} certificates={} outgoing={}", name, source.signerName, verb,
               bundle.size(), retained.size());
  return SyncResult::done();
}

SyncResult TrustBundlePublisher::collectGarbage() {
  std::set<std::string> wanted;
  for (const auto& source : sources_) wanted.insert(bundleName(source.signerName, options_.nameSuffix));
  k8s::ListOptions selector;
  selector.labelSelector = std::string(kManagedByLabel) + "=" + kManagedBy + "," + kSuffixLabel + "=" + options_.nameSuffix;
  std::vector<k8s::ClusterTrustBundle> ours;
  try {
    ours = k8s::listClusterTrustBundles(client_, options_.version, selector);
  } catch (const std::exception& e) {
    return SyncResult::again(std::string("listing our clustertrustbundles failed: ") + e.what());
  }
  SyncResult first;
  for (const auto& ctb : ours) {
    if (wanted.count(ctb.metadata.name)) continue;
    try {
      k8s::deleteClusterTrustBundle(client_, options_.version, ctb);
    } catch (const std::exception& e) {
      if (classifyWriteFailure(e) == WriteFailure::NotFound) continue;
      auto r = afterFailedBundleWrite(e, ctb.metadata.name, ctb.spec.signerName, "delete");
      if (!first.retry) first = std::move(r);
      continue;
    }
    metrics_.inc(metric::kTrustBundleWrites, {{"signer", ctb.spec.signerName}, {"action", "delete"}});
    spdlog::info("deleted clustertrustbundle={} signer={} decision=delete: the signer no longer publishes a trust bundle",
                 ctb.metadata.name, ctb.spec.signerName);
  }
  return first;
}

}  // namespace csrop
