#include "controller/CsrCleaner.h"

#include "tests/k8sclient/Fakes.h"

#include <doctest/doctest.h>

#include <ctime>

namespace {

using Clock = std::chrono::system_clock;

// The cache, in name order as SignerCaches lists it.
class VectorLister : public csrop::CsrLister {
 public:
  // alsoListed: names listed but gone by the time they are read (deleted meanwhile).
  explicit VectorLister(std::vector<csrop::CachedCsr> csrs, std::vector<std::string> alsoListed = {})
      : csrs_(std::move(csrs)), alsoListed_(std::move(alsoListed)) {}
  std::optional<csrop::CachedCsr> get(const std::string& name) const override {
    for (const auto& c : csrs_)
      if (c.csr.metadata.name == name) return c;
    return std::nullopt;
  }
  std::vector<std::string> names() const override {
    std::vector<std::string> out;
    for (const auto& c : csrs_) out.push_back(c.csr.metadata.name);
    out.insert(out.end(), alsoListed_.begin(), alsoListed_.end());
    return out;
  }

 private:
  std::vector<csrop::CachedCsr> csrs_;
  std::vector<std::string> alsoListed_;
};

std::string stamp(Clock::time_point t) {
  std::time_t tt = Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// As the cache holds it: issued is a fact, the certificate itself is gone.
csrop::CachedCsr csrWith(std::vector<std::pair<std::string, Clock::time_point>> conditions, bool issued, Clock::time_point created,
                         std::optional<Clock::time_point> notAfter = std::nullopt) {
  csrop::CachedCsr cached;
  auto& csr = cached.csr;
  csr.metadata.name = "c";
  csr.metadata.creationTimestamp = stamp(created);
  for (const auto& [type, when] : conditions) csr.status.conditions.push_back({type, "True", "r", "m", stamp(when), stamp(when)});
  cached.phase = csrop::phaseOf(csr.status.conditions, issued);
  cached.certificateNotAfter = notAfter;
  return cached;
}

}  // namespace

TEST_CASE("gc: kube-controller-manager's durations, plus approved but never issued") {
  const auto now = Clock::now();
  const csrop::GcConfig config;
  const auto recent = now - std::chrono::minutes(10);
  const auto old = now - std::chrono::hours(2);
  const auto ancient = now - std::chrono::hours(25);
  CHECK(csrop::garbageReason(csrWith({{"Approved", old}}, true, old), config, now) == "approved and issued");
  CHECK_FALSE(csrop::garbageReason(csrWith({{"Approved", recent}}, true, recent), config, now));
  CHECK(csrop::garbageReason(csrWith({{"Approved", old}}, false, old), config, now) == "approved but never issued");
  CHECK_FALSE(csrop::garbageReason(csrWith({{"Approved", recent}}, false, recent), config, now));
  CHECK(csrop::garbageReason(csrWith({{"Denied", old}}, false, old), config, now) == "denied");
  CHECK(csrop::garbageReason(csrWith({{"Approved", old}, {"Failed", old}}, false, old), config, now) == "failed");
  CHECK_FALSE(csrop::garbageReason(csrWith({}, false, old), config, now));
  CHECK(csrop::garbageReason(csrWith({}, false, ancient), config, now) == "pending too long");
  CHECK(csrop::garbageReason(csrWith({{"Approved", recent}}, true, recent, now - std::chrono::seconds(1)), config, now) ==
        "issued certificate expired");
  CHECK_FALSE(csrop::garbageReason(csrWith({{"Approved", recent}}, true, recent, now + std::chrono::hours(1)), config, now));
}

TEST_CASE("gc: missing or unparsable timestamps are never old") {
  const auto now = Clock::now();
  csrop::CachedCsr cached;
  cached.csr.status.conditions.push_back({"Denied", "True", "r", "m", "", ""});
  cached.phase = csrop::CsrPhase::Denied;
  CHECK_FALSE(csrop::garbageReason(cached, {}, now));
  cached.csr.status.conditions[0].lastUpdateTime = "yesterday";
  CHECK_FALSE(csrop::garbageReason(cached, {}, now));
}

TEST_CASE("gc: sweep deletes with uid and resourceVersion preconditions, a 409 Conflict is not counted") {
  auto transport = std::make_shared<k8stest::FakeTransport>();
  k8s::ClientOptions options;
  options.maxRetries = 0;
  k8s::KubeClient client(transport, options);
  csrop::Metrics metrics;
  csrop::GcConfig config;
  csrop::CsrCleaner cleaner(client, config, metrics);
  const auto longAgo = Clock::now() - std::chrono::hours(48);
  auto changed = csrWith({{"Denied", longAgo}}, false, longAgo);
  changed.csr.metadata.name = "changed";
  changed.csr.metadata.uid = "uid-1";
  changed.csr.metadata.resourceVersion = "7";
  auto due = changed;
  due.csr.metadata.name = "due";
  due.csr.metadata.uid = "uid-2";
  due.csr.metadata.resourceVersion = "9";
  auto noUid = due;
  noUid.csr.metadata.name = "no-uid";
  noUid.csr.metadata.uid.clear();
  transport->queueSend(409, R"({"kind":"Status","code":409,"reason":"Conflict","message":"Precondition failed"})");
  transport->queueSend(200, R"({"kind":"Status","status":"Success"})");
  // "gone" is listed but deleted before the sweep reads it: skipped, no request.
  CHECK(cleaner.sweep(VectorLister({changed, due, noUid}, {"gone"}), Clock::now()) == 1);
  REQUIRE(transport->requests.size() == 2);  // the CSR without a uid is never deleted blindly
  for (std::size_t i = 0; i < 2; ++i) {
    const auto body = nlohmann::json::parse(transport->requests[i].body);
    CHECK(transport->requests[i].method == "DELETE");
    CHECK(body["preconditions"]["uid"] == (i == 0 ? "uid-1" : "uid-2"));
    CHECK(body["preconditions"]["resourceVersion"] == (i == 0 ? "7" : "9"));
  }
  CHECK(metrics.value(csrop::metric::kGcDeleted, {{"reason", "denied"}}) == 1);
}
