// Publishes each signer's CA as a signer-linked ClusterTrustBundle (KEP-3257), so pods can mount
// it with a clusterTrustBundle projection: one bundle per signer with trustBundle.publish, named
// "<signerName with / as :>:<suffix>" (the prefix the API server requires of a bundle that sets
// spec.signerName), labelled as ours so that a signer removed from the configuration has its
// bundle deleted.
//
// During a CA rotation the bundle holds the incoming and the outgoing CA: a certificate the old CA
// issued is still in use until it expires, and a verifier holding only the new CA would refuse it.
// The old CA is kept until nothing it issued can still be valid: at the swap that is
// min(its own notAfter, now + the signer's longest lifetime), and that instant is recorded per
// old CA in an annotation on the bundle, so a restart (or another leader) keeps the same promise.
//
// Level-based: every pass reads each bundle and writes only what differs. Only the leader calls it.
#pragma once

#include "controller/SyncResult.h"
#include "k8sclient/Clock.h"
#include "k8sclient/PodCertificateObjects.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace k8s {
class KubeClient;
}

namespace csrop {

class Metrics;

struct TrustBundleSource {
  std::string signerName;
  std::function<std::string()> caPem;  // the CA it signs with now (read on every pass: it reloads)
  std::chrono::seconds maxLifetime;    // the longest certificate it issues
};

struct TrustBundlePublisherOptions {
  std::string version;  // clustertrustbundles are written at this version (discovery)
  std::string nameSuffix = "csr-operator";
};

class TrustBundlePublisher {
 public:
  static constexpr const char* kSuffixLabel = "csr-operator.io/trust-bundle";
  static constexpr const char* kRetainAnnotation = "csr-operator.io/retain-until";

  TrustBundlePublisher(k8s::KubeClient& client, TrustBundlePublisherOptions options, std::vector<TrustBundleSource> sources,
                       Metrics& metrics, std::shared_ptr<k8s::Clock> clock = k8s::steadyClock());

  static std::string bundleName(const std::string& signerName, const std::string& suffix);

  // One pass over every source, then the garbage collection of our bundles whose signer is gone.
  // Retries (with the first error) when any step failed; the others still ran.
  SyncResult reconcile();

 private:
  SyncResult publish(const TrustBundleSource& source, std::chrono::system_clock::time_point now);
  SyncResult collectGarbage();

  k8s::KubeClient& client_;
  TrustBundlePublisherOptions options_;
  std::vector<TrustBundleSource> sources_;
  Metrics& metrics_;
  std::shared_ptr<k8s::Clock> clock_;
};

// "sha256=RFC3339,sha256=RFC3339": the retain-until annotation's value, read leniently (an entry
// that does not parse is dropped, and the CA it named is then judged again from now).
std::map<std::string, std::chrono::system_clock::time_point> parseRetainUntil(const std::string& text);
std::string formatRetainUntil(const std::map<std::string, std::chrono::system_clock::time_point>& retained);

}  // namespace csrop
