#pragma once
// Signing PodCertificateRequests (KEP-4317, certificates.k8s.io/v1 and v1beta1): what a request
// says, the policy of one pod-certificate signer as data, and what it decides. Knows nothing about
// HTTP or Kubernetes objects: the controller copies the PCR's spec into PodCertificateRequestFacts
// and writes the outcome back as one status update.
//
// The rules the API server applies to the status write (and that every issued certificate here
// satisfies) are in pkg/apis/certificates/validation/validation.go
// ValidatePodCertificateRequestStatusUpdate; the kubelet side is pkg/kubelet/podcertificate.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "signers/CertificateAuthority.h"
#include "signers/Result.h"

namespace signers {

// The key types the kubelet generates for a podCertificate projection (its keyType field).
enum class PodKeyType { Rsa3072, Rsa4096, EcdsaP256, EcdsaP384, EcdsaP521, Ed25519 };

// The kubelet's spelling: "RSA3072", "RSA4096", "ECDSAP256", "ECDSAP384", "ECDSAP521", "ED25519".
const char* podKeyTypeName(PodKeyType type);
// Inverse of podKeyTypeName (exact, case-sensitive), for configuration.
std::optional<PodKeyType> parsePodKeyType(std::string_view name);
// All six, in the order above: the default of PodCertificatePolicy::allowedKeyTypes.
std::span<const PodKeyType> allPodKeyTypes();

// Condition reasons this signer writes (besides Kubernetes' own UnsupportedKeyType and
// InvalidUnverifiedUserAnnotations). Denied: the request will never be issued by this policy.
// Failed: it could not be issued (the CA, the request's data); both are terminal for the kubelet.
namespace pcr_reason {
inline constexpr std::string_view kUnsupportedKeyType = "UnsupportedKeyType";                              // Denied
inline constexpr std::string_view kInvalidUnverifiedUserAnnotations = "InvalidUnverifiedUserAnnotations";  // Denied
inline constexpr std::string_view kNamespaceNotAllowed = "NamespaceNotAllowed";                            // Denied
inline constexpr std::string_view kServiceAccountNotAllowed = "ServiceAccountNotAllowed";                  // Denied
inline constexpr std::string_view kInvalidProofOfPossession = "InvalidProofOfPossession";                  // Denied
inline constexpr std::string_view kInvalidStubPkcs10Request = "InvalidStubPKCS10Request";                  // Denied
inline constexpr std::string_view kInvalidPublicKey = "InvalidPublicKey";                                  // Denied
inline constexpr std::string_view kPublicKeyMismatch = "PublicKeyMismatch";                                // Denied
inline constexpr std::string_view kInvalidDnsName = "InvalidDNSName";                                      // Denied
inline constexpr std::string_view kInvalidRequest = "InvalidRequest";                                      // Failed
inline constexpr std::string_view kLifetimeTooShort = "LifetimeTooShort";                                  // Failed
}  // namespace pcr_reason

// What a known unverifiedUserAnnotations value selects: these DNS name templates and usages replace
// the policy's defaults (an empty field keeps the default).
struct PodIdentityChoice {
  std::vector<std::string> dnsNameTemplates;
  std::vector<std::string> usages;
};

// One pod-certificate signer's policy, filled from configuration by the controller. Checked once
// by validatePodCertificatePolicy (createPodCertificateSigner calls it).
struct PodCertificatePolicy {
  std::string signerName;  // spec.signerName served; not kubernetes.io/*

  // Who may obtain certificates; both empty (the default) allows nobody. A request is allowed when
  // its namespace is in allowedNamespaces, or "namespace/serviceAccount" matches an entry of
  // allowedServiceAccounts ("namespace/name" or "namespace/*").
  std::vector<std::string> allowedNamespaces;
  std::vector<std::string> allowedServiceAccounts;

  // Identity: the SPIFFE ID spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount> as the one
  // URI SAN (X.509-SVID), and DNS names rendered from templates over {pod}, {namespace} and
  // {serviceAccount} (e.g. "{serviceAccount}.{namespace}.svc"). At least one identity is required.
  // The subject is always empty (the SANs extension is then critical, RFC 5280 4.2.1.6).
  bool spiffeId = true;
  std::string trustDomain;  // required when spiffeId: [a-z0-9._-]+, at most 255 characters
  std::vector<std::string> dnsNameTemplates;

  // certificates.k8s.io usage strings. "key encipherment" is added for RSA keys when
  // addKeyEnciphermentForRsa, as the kubelet asks for its own RSA certificates
  // (pkg/kubelet/certificate/kubelet.go): TLS 1.2 RSA key exchange needs it; TLS 1.3 does not.
  std::vector<std::string> usages{"digital signature", "client auth", "server auth"};
  bool addKeyEnciphermentForRsa = true;

  // unverifiedUserAnnotations: key -> value -> choice. A request with any other key, or a known key
  // with a value not listed, is Denied (InvalidUnverifiedUserAnnotations); at most one known key
  // per request.
  std::map<std::string, std::map<std::string, PodIdentityChoice>> annotationChoices;

  // Lifetime = min(spec.maxExpirationSeconds, maxLifetime, the CA's NotAfter - now), at least 1 h.
  std::chrono::seconds maxLifetime{std::chrono::hours(24)};
  std::vector<PodKeyType> allowedKeyTypes{allPodKeyTypes().begin(), allPodKeyTypes().end()};

  // beginRefreshAt = notBefore + lifetime * f, f uniform in [from, to] (0 < from <= to < 1), then
  // kept inside [notBefore + 10 min, notAfter - 10 min] as the API server requires.
  double refreshFromFraction = 0.5;
  double refreshToFraction = 0.8;

  // certificateChain after the leaf: the CA certificate when it is an intermediate (not
  // self-signed), then the CA files' chainFiles (its issuers, upwards).
  bool includeChain = true;
};

// nullopt when the policy is usable, else a message naming the field and what to do.
std::optional<std::string> validatePodCertificatePolicy(const PodCertificatePolicy& policy);

// A PodCertificateRequest's spec, as the controller read it (bytes already base64-decoded).
struct PodCertificateRequestFacts {
  std::string namespaceName;  // metadata.namespace
  std::string name;           // metadata.name
  std::string signerName;
  std::string podName, podUID;
  std::string serviceAccountName, serviceAccountUID;
  std::string nodeName, nodeUID;
  int64_t maxExpirationSeconds = 86400;  // the API server's default
  // Key material: v1 (and v1beta1 from 1.36) stubPKCS10Request, DER; v1beta1 pkixPublicKey (DER
  // SubjectPublicKeyInfo) with proofOfPossession (signature over the ASCII pod UID). When both are
  // set, both are verified and must name the same key. Each at most 10 KiB.
  std::string stubPkcs10Der;
  std::string pkixPublicKeyDer;
  std::string proofOfPossession;
  std::map<std::string, std::string> unverifiedUserAnnotations;
};

struct PodCertificateIssued {
  std::string certificateChainPem;  // leaf first, then intermediates
  // Equal to the leaf's NotBefore/NotAfter (whole seconds); write all three into the status.
  std::chrono::system_clock::time_point notBefore, notAfter, beginRefreshAt;
  std::string serialHex;  // upper-case hex, for logs
  PodKeyType keyType = PodKeyType::Ed25519;
  std::string spiffeId;               // empty when the policy writes none
  std::vector<std::string> dnsNames;  // as written into the certificate
  bool clampedToCaNotAfter = false;   // the CA's NotAfter cut the lifetime
};

enum class PodRefusalKind { Denied, Failed };

// One terminal metav1.Condition: type Denied or Failed, status True, this reason and message.
struct PodCertificateRefused {
  PodRefusalKind kind = PodRefusalKind::Denied;
  std::string reason;
  std::string message;  // names what was wrong and what is allowed; requester text escaped
};

// Nothing written: retry later with backoff (an OpenSSL or RNG failure while signing).
struct PodCertificateRetry {
  std::string message;
};

using PodCertificateOutcome = std::variant<PodCertificateIssued, PodCertificateRefused, PodCertificateRetry>;

// Asked once the policy has accepted a request, before it is signed (the controller's optional
// Pod and SubjectAccessReview checks): nullopt lets the signature go ahead; a Refused or Retry
// outcome is returned instead of a certificate.
using PodCertificateGate = std::function<std::optional<PodCertificateOutcome>()>;

// One signer for one signerName over one CA. Thread-safe: issue() may run on many workers.
class PodCertificateSigner {
 public:
  // Called on the reloading thread after each swap to a new CA.
  using CaChangedCallback = std::function<void(const PodCertificateSigner&)>;

  virtual ~PodCertificateSigner() = default;

  virtual const std::string& name() const = 0;
  virtual const PodCertificatePolicy& policy() const = 0;

  // Decides one request at `now` (the signer floors it to whole seconds and uses it as NotBefore:
  // no backdating, the API server wants notBefore within 5 minutes of its clock).
  virtual PodCertificateOutcome issue(const PodCertificateRequestFacts& request, std::chrono::system_clock::time_point now,
                                      const PodCertificateGate& beforeSigning = {}) const = 0;

  // The CA signing now (each call reads the current one): PEM of the CA certificate, for the
  // ClusterTrustBundle; its NotAfter; its subject (RFC 2253, for logs).
  virtual std::string caPem() const = 0;
  virtual std::chrono::system_clock::time_point caNotAfter() const = 0;
  virtual std::string caSubject() const = 0;
  // Why the CA key cannot sign now (its PKCS#11 token went away); nullopt for a key file.
  virtual std::optional<std::string> unavailable() const = 0;

  // Polls the CA files every `interval`; a refused reload keeps the previous CA and is logged.
  // stopReloading joins the poller, is safe twice, and runs on destruction.
  virtual void startReloading(std::chrono::milliseconds interval, CaChangedCallback onCaChanged) = 0;
  virtual void stopReloading() = 0;

 protected:
  PodCertificateSigner() = default;
  PodCertificateSigner(const PodCertificateSigner&) = delete;
  PodCertificateSigner& operator=(const PodCertificateSigner&) = delete;
};

struct PodCertificateSignerOptions {
  // Uniform in [0, 1): picks beginRefreshAt inside the policy's window. Tests inject a fixed value;
  // the default draws from a per-thread PRNG (not secret: it only spreads refreshes).
  std::function<double()> refreshJitter;
};

// Validates the policy and loads the CA (the same rules as CSR signers: signers/CertificateAuthority.h).
Result<std::unique_ptr<PodCertificateSigner>> createPodCertificateSigner(PodCertificatePolicy policy, const CaFiles& ca,
                                                                         PodCertificateSignerOptions options = {});

}  // namespace signers
