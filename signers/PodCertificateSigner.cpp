// The pod-certificate signer over a CA in files: the request's fields, the allow-list, the key
// material, the identity, then one certificate from the CSR path's builder
// (signers/CertificateBuilder.h). Every refusal is one terminal condition; only a failure of the
// signing itself is retried.
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <random>

#include "signers/CertificateBuilder.h"
#include "signers/PodCertificate.h"
#include "signers/PodCertificateKey.h"
#include "signers/PodCertificatePolicy.h"
#include "signers/ReloadingCertificateAuthority.h"
#include "signers/Validity.h"

namespace signers {
namespace {

using std::chrono::seconds;
using TimePoint = std::chrono::system_clock::time_point;

// What the API server requires of an issued PCR (ValidatePodCertificateRequestStatusUpdate):
// lifetime at least 1 h, beginRefreshAt at least 10 minutes inside both ends.
constexpr seconds kMinLifetime{3600};
constexpr std::chrono::minutes kRefreshMargin{10};

PodCertificateRefused failed(std::string_view reason, std::string message) {
  return PodCertificateRefused{PodRefusalKind::Failed, std::string(reason), std::move(message)};
}

double defaultJitter() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

class FilePodCertificateSigner final : public PodCertificateSigner {
 public:
  FilePodCertificateSigner(PodCertificatePolicy policy, std::unique_ptr<ReloadingCertificateAuthority> authority,
                           PodCertificateSignerOptions options)
      : policy_(std::move(policy)), authority_(std::move(authority)), jitter_(std::move(options.refreshJitter)) {
    if (!jitter_) jitter_ = defaultJitter;
  }
  // The poller calls report(), which reads onCaChanged_: it must end before the members go.
  ~FilePodCertificateSigner() override { stopReloading(); }

  const std::string& name() const override { return policy_.signerName; }
  const PodCertificatePolicy& policy() const override { return policy_; }
  PodCertificateOutcome issue(const PodCertificateRequestFacts& request, TimePoint now,
                              const PodCertificateGate& beforeSigning) const override;

  std::string caPem() const override { return authority_->current()->certificatePem(); }
  TimePoint caNotAfter() const override { return authority_->current()->notAfter(); }
  std::string caSubject() const override { return authority_->current()->subject(); }
  std::optional<std::string> unavailable() const override { return authority_->current()->unavailable(); }

  void startReloading(std::chrono::milliseconds interval, CaChangedCallback onCaChanged) override {
    stopReloading();
    {
      std::lock_guard lock(observerMutex_);
      onCaChanged_ = std::move(onCaChanged);
    }
    authority_->startPolling(interval, [this](const Result<bool>& reload) { report(reload); });
  }
  void stopReloading() override { authority_->stopPolling(); }

 private:
  void report(const Result<bool>& reload) {
    if (!reload) {
      spdlog::error("CA reload for pod certificate signer {} refused, keeping the previous CA: {}", policy_.signerName, reload.error());
      return;
    }
    if (!reload.value()) return;
    spdlog::info("CA reloaded for pod certificate signer {}", policy_.signerName);
    CaChangedCallback observer;
    {
      std::lock_guard lock(observerMutex_);
      observer = onCaChanged_;
    }
    if (observer) observer(*this);
  }

  PodCertificatePolicy policy_;
  std::unique_ptr<ReloadingCertificateAuthority> authority_;
  std::function<double()> jitter_;
  std::mutex observerMutex_;
  CaChangedCallback onCaChanged_;
};

struct PodValidity {
  TimePoint notBefore, notAfter, beginRefreshAt;
  bool clampedToCaNotAfter = false;
};

// notBefore = now (whole seconds, no backdating: the API server wants it within 5 minutes of its
// clock); lifetime = min(maxExpirationSeconds, maxLifetime, CA NotAfter - now), at least 1 h.
std::variant<PodValidity, PodCertificateOutcome> podValidity(const PodCertificatePolicy& policy, const CertificateAuthority& ca,
                                                             int64_t maxExpirationSeconds, TimePoint now, double jitter) {
  if (now < ca.notBefore()) {
    return PodCertificateOutcome{PodCertificateRetry{"the CA of signer " + policy.signerName + " is not valid before " +
                                                     formatTime(ca.notBefore()) + "; check the clock or the CA file"}};
  }
  // Compared as integers first so that no value of the request can overflow a duration.
  seconds lifetime = policy.maxLifetime;
  if (maxExpirationSeconds < lifetime.count()) lifetime = seconds(std::max<int64_t>(maxExpirationSeconds, 0));
  PodValidity v;
  v.notBefore = now;
  v.notAfter = now + lifetime;
  if (v.notAfter > ca.notAfter()) {
    v.notAfter = std::chrono::floor<seconds>(ca.notAfter());
    v.clampedToCaNotAfter = true;
  }
  if (v.notAfter - v.notBefore < kMinLifetime) {
    std::string why = v.clampedToCaNotAfter
                          ? "the CA of signer " + policy.signerName + " expires at " + formatTime(ca.notAfter()) + "; rotate the CA"
                          : "spec.maxExpirationSeconds is " + std::to_string(maxExpirationSeconds);
    return PodCertificateOutcome{failed(pcr_reason::kLifetimeTooShort, "the certificate would be valid for less than 1h: " + why)};
  }
  const auto span = v.notAfter - v.notBefore;
  const double f = policy.refreshFromFraction + (policy.refreshToFraction - policy.refreshFromFraction) * std::clamp(jitter, 0.0, 1.0);
  auto refresh =
      v.notBefore + std::chrono::duration_cast<seconds>(std::chrono::duration<double>(f * std::chrono::duration<double>(span).count()));
  v.beginRefreshAt = std::clamp<TimePoint>(std::chrono::floor<seconds>(refresh), v.notBefore + kRefreshMargin, v.notAfter - kRefreshMargin);
  return v;
}

PodCertificateOutcome FilePodCertificateSigner::issue(const PodCertificateRequestFacts& request, TimePoint now,
                                                      const PodCertificateGate& beforeSigning) const {
  if (request.signerName != policy_.signerName) {
    return failed(pcr_reason::kInvalidRequest, "request is for signer " + request.signerName + ", not " + policy_.signerName);
  }
  if (auto refused = checkRequestFields(request)) return *refused;
  // Cheapest first: a request from outside the allow-list costs no signature verification.
  if (auto refused = checkRequesterAllowed(policy_, request)) return *refused;
  auto key = verifyPodCertificateKey(request, policy_.allowedKeyTypes);
  if (auto* refusal = std::get_if<PodKeyRefusal>(&key)) {
    return PodCertificateRefused{PodRefusalKind::Denied, std::string(refusal->reason), std::move(refusal->message)};
  }
  auto& publicKey = std::get<PodPublicKey>(key);
  auto identity = resolvePodIdentity(policy_, request, publicKey.type);
  if (auto* refused = std::get_if<PodCertificateRefused>(&identity)) return std::move(*refused);
  auto& id = std::get<PodIdentity>(identity);
  if (beforeSigning)
    if (auto stop = beforeSigning()) return std::move(*stop);

  // One snapshot of the CA for the whole issuance, so a concurrent reload cannot mix two CAs.
  auto ca = authority_->current();
  auto window = podValidity(policy_, *ca, request.maxExpirationSeconds, std::chrono::floor<seconds>(now), jitter_());
  if (auto* outcome = std::get_if<PodCertificateOutcome>(&window)) return std::move(*outcome);
  const auto& validity = std::get<PodValidity>(window);

  // The builder's input is a ParsedRequest: here one with an empty subject, the verified key and
  // the SANs this policy decided; nothing of the stub request is copied.
  ParsedRequest leaf;
  leaf.spki = publicKey.spki;
  leaf.dnsNames = id.dnsNames;
  if (!id.spiffeId.empty()) leaf.uris.push_back(id.spiffeId);
  auto built = buildCertificate(*ca, leaf, id.usages, ValidityWindow{validity.notBefore, validity.notAfter, validity.clampedToCaNotAfter});
  if (!built) return PodCertificateRetry{"signer " + policy_.signerName + " could not sign: " + built.error()};

  PodCertificateIssued out;
  out.certificateChainPem = std::move(built.value().pem);
  if (policy_.includeChain) out.certificateChainPem += ca->chainAfterLeafPem();
  out.notBefore = validity.notBefore;
  out.notAfter = validity.notAfter;
  out.beginRefreshAt = validity.beginRefreshAt;
  out.serialHex = std::move(built.value().serialHex);
  out.keyType = publicKey.type;
  out.spiffeId = std::move(id.spiffeId);
  out.dnsNames = std::move(id.dnsNames);
  out.clampedToCaNotAfter = validity.clampedToCaNotAfter;
  if (validity.clampedToCaNotAfter) {
    spdlog::warn("pod certificate signer {}: certificate {} for {}/{} NotAfter clamped to the CA's NotAfter {}", policy_.signerName,
                 out.serialHex, request.namespaceName, request.name, formatTime(ca->notAfter()));
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<PodCertificateSigner>> createPodCertificateSigner(PodCertificatePolicy policy, const CaFiles& ca,
                                                                         PodCertificateSignerOptions options) {
  using R = Result<std::unique_ptr<PodCertificateSigner>>;
  if (auto err = validatePodCertificatePolicy(policy)) return R::fail(*err);
  const std::string who = "pod certificate signer " + policy.signerName + ": ";
  if (ca.certFile.empty() || ca.keyFile.empty()) return R::fail(who + "the CA certificate and key files are required");
  auto authority = ReloadingCertificateAuthority::create(ca);
  if (!authority) return R::fail(who + authority.error());
  return R::ok(std::make_unique<FilePodCertificateSigner>(std::move(policy), std::move(authority.value()), std::move(options)));
}

}  // namespace signers
