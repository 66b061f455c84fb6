#include "signers/FileCaSigner.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "signers/CertificateBuilder.h"
#include "signers/CustomProfile.h"
#include "signers/Profiles.h"
#include "signers/Validity.h"

namespace signers {

// The signer-specific half of validation, chosen once at create(): a compiled custom profile, or
// none for the kubernetes.io signers, whose rules are fixed (validateKubernetesProfile).
class ProfileRules {
 public:
  std::shared_ptr<const CustomProfile> custom;
};

namespace {

std::optional<std::string> customFieldsSet(const SignerConfig& c) {
  if (!c.allowedUsages.empty()) return "allowedUsages";
  if (!c.requiredUsages.empty()) return "requiredUsages";
  if (!c.dnsSuffixes.empty()) return "dnsSuffixes";
  if (!c.dnsRegexes.empty()) return "dnsRegexes";
  if (!c.ipCidrs.empty()) return "ipCidrs";
  if (!c.allowedOrganizations.empty()) return "allowedOrganizations";
  if (!c.commonNameRegex.empty()) return "commonNameRegex";
  return std::nullopt;
}

CaFiles caFilesOf(const SignerConfig& c) {
  CaFiles files{c.caCertFile, c.caKeyFile, c.caKeyPassphraseFile, c.chainFiles};
  files.pinFile = c.caKeyPinFile;
  files.pinEnv = c.caKeyPinEnv;
  if (!c.pkcs11Module.empty()) files.pkcs11Module = c.pkcs11Module;
  files.pkcs11Sessions = static_cast<std::size_t>(std::max(1, c.pkcs11Sessions));
  return files;
}

std::chrono::system_clock::time_point floorSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t);
}

}  // namespace

FileCaSigner::FileCaSigner(SignerConfig config, std::unique_ptr<ReloadingCertificateAuthority> authority,
                           std::shared_ptr<const ProfileRules> rules)
    : config_(std::move(config)), authority_(std::move(authority)), rules_(std::move(rules)) {}

// The poller calls report(), which reads onCaChanged_: it must end before the members go.
FileCaSigner::~FileCaSigner() { stopReloading(); }

Result<std::unique_ptr<FileCaSigner>> FileCaSigner::create(const SignerConfig& config) {
  using R = Result<std::unique_ptr<FileCaSigner>>;
  if (auto err = checkSignerNameFormat(config.signerName)) return R::fail("signer \"" + config.signerName + "\": " + *err);
  const std::string who = "signer " + config.signerName + ": ";
  if (config.maxDuration < kMinimumTtl) return R::fail(who + "maxDuration must be at least 10m");
  if (config.keyPolicy.minRsaBits < 2048) return R::fail(who + "keyPolicy.minRsaBits must be at least 2048");
  if (config.caCertFile.empty() || config.caKeyFile.empty()) return R::fail(who + "caCertFile and caKeyFile are required");

  auto rules = std::make_shared<ProfileRules>();
  if (config.signerName.starts_with("kubernetes.io/")) {
    if (!isKubernetesSignerName(config.signerName)) return R::fail(who + "unknown kubernetes.io signer");
    if (auto field = customFieldsSet(config)) {
      return R::fail(who + *field + " applies to custom signers only; kubernetes.io signers follow fixed rules");
    }
  } else {
    auto custom = CustomProfile::compile(config);
    if (!custom) return R::fail(custom.error());
    rules->custom = std::move(custom.value());
  }
  if (config.pkcs11Sessions < 0) return R::fail(who + "pkcs11Sessions must not be negative");
  auto authority = ReloadingCertificateAuthority::create(caFilesOf(config));
  if (!authority) return R::fail(who + authority.error());
  return R::ok(std::unique_ptr<FileCaSigner>(new FileCaSigner(config, std::move(authority.value()), std::move(rules))));
}

std::chrono::system_clock::time_point FileCaSigner::caNotAfter() const { return authority_->current()->notAfter(); }

std::optional<std::string> FileCaSigner::unavailable() const { return authority_->current()->unavailable(); }

std::string FileCaSigner::caPem() const { return authority_->current()->certificatePem(); }

std::string FileCaSigner::caSubject() const { return authority_->current()->subject(); }

void FileCaSigner::startReloading(std::chrono::milliseconds interval, CaChangedCallback onCaChanged) {
  stopReloading();
  {
    std::lock_guard lock(observerMutex_);
    onCaChanged_ = std::move(onCaChanged);
  }
  authority_->startPolling(interval, [this](const Result<bool>& reload) { report(reload); });
}

void FileCaSigner::stopReloading() { authority_->stopPolling(); }

Result<bool> FileCaSigner::reloadIfChanged() {
  auto reload = authority_->reloadIfChanged();
  report(reload);
  return reload;
}

void FileCaSigner::report(const Result<bool>& reload) {
  if (!reload) {
    spdlog::error("CA reload for signer {} refused, keeping the previous CA: {}", config_.signerName, reload.error());
    return;
  }
  if (!reload.value()) return;
  spdlog::info("CA reloaded for signer {}", config_.signerName);
  CaChangedCallback observer;
  {
    std::lock_guard lock(observerMutex_);
    observer = onCaChanged_;
  }
  if (observer) observer(*this);
}

RequestLimits FileCaSigner::requestLimits() const {
  RequestLimits limits;
  if (config_.maxSans >= 0) limits.maxSans = static_cast<std::size_t>(config_.maxSans);
  return limits;
}

std::optional<std::string> FileCaSigner::validate(const ParsedRequest& request, const std::vector<std::string>& usages,
                                                  const Requester& requester) const {
  if (!rules_->custom)
    return validateKubernetesProfile(config_.signerName, request, usages, requester, config_.keyPolicy, config_.clusterDomain);
  // Subject text first so no regex ever sees an unbounded or forged CN; then the profile, so
  // requests it refuses get its exact message; then csr-operator's common rules.
  if (auto err = validateSubjectText(request)) return err;
  if (auto err = rules_->custom->validate(request, toUsageSet(usages))) return err;
  return validateCommonRules(request, usages, config_.keyPolicy);
}

std::variant<IssuedCertificate, IssueError> FileCaSigner::issue(const IssueRequest& request,
                                                                std::chrono::system_clock::time_point now) const {
  using K = IssueErrorKind;
  if (request.signerName != config_.signerName) {
    return IssueError{K::ValidationFailed, "request is for signer " + request.signerName + ", not " + config_.signerName};
  }
  auto parsed = parseCertificateRequest(request.requestPem, requestLimits());
  if (!parsed) return IssueError{K::ValidationFailed, "invalid certificate request: " + parsed.error()};
  if (auto err = validate(parsed.value(), request.usages, request.requester)) return IssueError{K::ValidationFailed, *err};

  // One snapshot of the CA for the whole issuance, so a concurrent reload cannot mix two CAs.
  auto ca = authority_->current();
  now = floorSeconds(now);
  if (now < ca->notBefore()) {
    return IssueError{K::Transient, "the signer is not valid yet: NotBefore=" + formatTime(ca->notBefore())};
  }
  auto window = computeValidity(now, request.expirationSeconds, config_.maxDuration, ca->notAfter());
  if (auto* err = std::get_if<std::string>(&window)) return IssueError{K::Transient, *err};
  const auto& validity = std::get<ValidityWindow>(window);

  auto built = buildCertificate(*ca, parsed.value(), request.usages, validity);
  if (!built) return IssueError{K::Transient, built.error()};

  IssuedCertificate out;
  out.pem = std::move(built.value().pem);
  if (config_.includeChain) out.pem += ca->chainAfterLeafPem();
  out.notBefore = validity.notBefore;
  out.notAfter = validity.notAfter;
  out.clampedToCaNotAfter = validity.clampedToCaNotAfter;
  out.serialHex = std::move(built.value().serialHex);
  if (validity.clampedToCaNotAfter) {
    spdlog::warn("signer {}: certificate {} NotAfter clamped to the CA's NotAfter {}", config_.signerName, out.serialHex,
                 formatTime(ca->notAfter()));
  }
  return out;
}

}  // namespace signers
