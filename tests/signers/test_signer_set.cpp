// The signer seam: SignerSet owns the signers by name, and FileCaSigner reloads and reports its
// own CA.
#include <doctest/doctest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/TestPki.h"
#include "signers/FileCaSigner.h"
#include "signers/Profiles.h"
#include "signers/SignerSet.h"

using namespace signers;
using namespace testpki;

namespace {

constexpr const char* kCustom = "example.com/apps";

struct CaOnDisk {
  TempDir dir;
  std::string cert, key;

  explicit CaOnDisk(const TestCa& ca) { write(ca); }
  void write(const TestCa& ca) {
    cert = dir.write("ca.crt", ca.certPem());
    key = dir.write("ca.key", keyPem(ca.key.get()));
  }
};

SignerConfig configFor(const std::string& name, const CaOnDisk& ca) {
  SignerConfig c;
  c.signerName = name;
  c.caCertFile = ca.cert;
  c.caKeyFile = ca.key;
  if (!name.starts_with("kubernetes.io/")) {
    c.allowedUsages = {"digital signature", "server auth"};
    c.allowDns = true;
  }
  return c;
}

// Every CA subject an onCaChanged callback was given, in order; waited on with a deadline.
class CaChanges {
 public:
  Signer::CaChangedCallback callback() {
    return [this](const Signer& s) {
      std::lock_guard lock(mutex_);
      seen_.push_back(s.name() + " " + s.caSubject());
      changed_.notify_all();
    };
  }
  bool waitFor(const std::string& entry, std::chrono::seconds deadline = std::chrono::seconds(20)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, deadline, [&] { return std::find(seen_.begin(), seen_.end(), entry) != seen_.end(); });
  }
  std::vector<std::string> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> seen_;
};

// What spdlog's default logger writes while this is alive.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    sink->set_pattern("%l %v");
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("captured", sink));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  std::string text() const { return out_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
};

}  // namespace

TEST_CASE("SignerSet: finds each signer by name, nullptr for a name it does not sign for") {
  CaOnDisk ca(makeCa({.commonName = "set-ca"}));
  auto set = SignerSet::load({configFor(kCustom, ca), configFor(kKubeletServingSigner, ca)}, std::chrono::hours(1));
  REQUIRE_MESSAGE(set.ok(), set.error());
  CHECK(set.value().names() == std::vector<std::string>{kCustom, kKubeletServingSigner});
  const Signer* serving = set.value().find(kKubeletServingSigner);
  REQUIRE(serving != nullptr);
  CHECK(serving->name() == kKubeletServingSigner);
  CHECK(serving->caSubject() == "CN=set-ca");
  REQUIRE(set.value().find(kCustom) != nullptr);
  CHECK(set.value().find(kCustom)->name() == kCustom);
  CHECK(set.value().find("example.com/unknown") == nullptr);
  CHECK(set.value().find(kKubeletClientSigner) == nullptr);
  CHECK(set.value().find("") == nullptr);
  set.value().stop();
  set.value().stop();  // idempotent; the signers still sign
  auto issued = serving->issue({makeCsr(nodeServingCsr("node-a")),
                                kKubeletServingSigner,
                                {"digital signature", "server auth"},
                                std::nullopt,
                                {"system:node:node-a", {"system:nodes"}}},
                               std::chrono::system_clock::now());
  CHECK(std::holds_alternative<IssuedCertificate>(issued));
}

TEST_CASE("SignerSet: a signer that cannot start fails the set, and the error names it") {
  CaOnDisk ca(makeCa({}));
  SignerConfig broken = configFor("example.com/broken", ca);
  broken.caKeyFile = (ca.dir.path() / "missing.key").string();
  auto set = SignerSet::load({configFor(kKubeletServingSigner, ca), broken}, std::chrono::hours(1));
  REQUIRE_FALSE(set.ok());
  CHECK(set.error().starts_with("signer example.com/broken cannot start: "));
  CHECK(set.error().find(broken.caKeyFile) != std::string::npos);

  SignerConfig invalid = configFor("example.com/invalid", ca);
  invalid.maxDuration = std::chrono::minutes(1);
  auto refused = SignerSet::load({invalid}, std::chrono::hours(1));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error() == "signer example.com/invalid cannot start: signer example.com/invalid: maxDuration must be at least 10m");
}

TEST_CASE("SignerSet: a signerName configured twice is refused") {
  CaOnDisk ca(makeCa({}));
  auto set = SignerSet::load({configFor(kCustom, ca), configFor(kCustom, ca)}, std::chrono::hours(1));
  REQUIRE_FALSE(set.ok());
  CHECK(set.error() == std::string("signer ") + kCustom + " is configured twice; keep one entry per signerName");
}

TEST_CASE("SignerSet::of: signers built elsewhere, found by their names, a name given twice is refused") {
  CaOnDisk ca(makeCa({.commonName = "built-elsewhere"}));
  auto serving = FileCaSigner::create(configFor(kKubeletServingSigner, ca));
  auto custom = FileCaSigner::create(configFor(kCustom, ca));
  REQUIRE(serving.ok());
  REQUIRE(custom.ok());
  std::vector<std::unique_ptr<Signer>> signers;
  signers.push_back(std::move(serving.value()));
  signers.push_back(std::move(custom.value()));
  auto set = SignerSet::of(std::move(signers));
  REQUIRE_MESSAGE(set.ok(), set.error());
  CHECK(set.value().names() == std::vector<std::string>{kCustom, kKubeletServingSigner});
  REQUIRE(set.value().find(kCustom) != nullptr);
  CHECK(set.value().find(kCustom)->caSubject() == "CN=built-elsewhere");
  CHECK(set.value().find("example.com/unknown") == nullptr);

  auto first = FileCaSigner::create(configFor(kCustom, ca));
  auto second = FileCaSigner::create(configFor(kCustom, ca));
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  std::vector<std::unique_ptr<Signer>> twice;
  twice.push_back(std::move(first.value()));
  twice.push_back(std::move(second.value()));
  auto refused = SignerSet::of(std::move(twice));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error() == std::string("signer ") + kCustom + " is given twice; keep one per signerName");
}

TEST_CASE("SignerSet: onCaChanged once per signer at load, then after a reload the set's own poller makes") {
  CaOnDisk ca(makeCa({.commonName = "first"}));
  CaChanges changes;
  auto set = SignerSet::load({configFor(kKubeletServingSigner, ca)}, std::chrono::milliseconds(10), changes.callback());
  REQUIRE_MESSAGE(set.ok(), set.error());
  CHECK(changes.seen() == std::vector<std::string>{std::string(kKubeletServingSigner) + " CN=first"});

  TestCa second = makeCa({.commonName = "second"});
  ca.write(second);
  REQUIRE(changes.waitFor(std::string(kKubeletServingSigner) + " CN=second"));
  const Signer* signer = set.value().find(kKubeletServingSigner);
  REQUIRE(signer != nullptr);
  CHECK(signer->caSubject() == "CN=second");
  CHECK(signer->caPem() == second.certPem());
  CHECK(signer->caNotAfter() > std::chrono::system_clock::now());
  set.value().stop();
}

TEST_CASE("FileCaSigner: caPem is the CA certificate alone, also with intermediates") {
  TestCa root = makeCa({.commonName = "root"});
  TestCa intermediate = makeIntermediate(root, "issuing");
  CaOnDisk ca(intermediate);
  SignerConfig c = configFor(kKubeletServingSigner, ca);
  c.chainFiles = {ca.dir.write("chain.crt", root.certPem())};
  c.includeChain = true;
  auto signer = FileCaSigner::create(c);
  REQUIRE_MESSAGE(signer.ok(), signer.error());
  CHECK(signer.value()->caPem() == intermediate.certPem());
  CHECK(countPemCertificates(signer.value()->caPem()) == 1);
}

TEST_CASE("FileCaSigner: reports its own reloads: logged, the observer called on a swap only") {
  CaOnDisk ca(makeCa({.commonName = "first"}));
  CaChanges changes;
  auto created = FileCaSigner::create(configFor(kCustom, ca));
  REQUIRE_MESSAGE(created.ok(), created.error());
  FileCaSigner& signer = *created.value();
  // An interval no test reaches: only the reloads asked for below happen.
  signer.startReloading(std::chrono::hours(1), changes.callback());
  CapturedLog log;

  auto unchanged = signer.reloadIfChanged();
  REQUIRE(unchanged.ok());
  CHECK_FALSE(unchanged.value());
  CHECK(changes.seen().empty());
  CHECK(log.text().empty());

  TestCa second = makeCa({.commonName = "second"});
  ca.write(second);
  auto swapped = signer.reloadIfChanged();
  REQUIRE(swapped.ok());
  CHECK(swapped.value());
  CHECK(changes.seen() == std::vector<std::string>{std::string(kCustom) + " CN=second"});
  CHECK(log.text().find(std::string("info CA reloaded for signer ") + kCustom) != std::string::npos);

  // A certificate without its key: refused, the second CA stays, nobody is told of a change.
  TestCa third = makeCa({.commonName = "third"});
  ca.dir.write("ca.crt", third.certPem());
  auto refused = signer.reloadIfChanged();
  REQUIRE_FALSE(refused.ok());
  CHECK(signer.caSubject() == "CN=second");
  CHECK(changes.seen().size() == 1);
  CHECK(log.text().find(std::string("error CA reload for signer ") + kCustom + " refused, keeping the previous CA: ") != std::string::npos);
  signer.stopReloading();
}
