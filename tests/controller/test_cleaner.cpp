#include "controller/CsrCleaner.h"

#include "tests/k8sclient/Fakes.h"

#include <doctest/doctest.h>

#include <ctime>

namespace {

using Clock = std::chrono::system_clock;

std::string stamp(Clock::time_point t) {
  std::time_t tt = Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

k8s::CertificateSigningRequest csrWith(std::vector<std::pair<std::string, Clock::time_point>> conditions, bool issued,
                                       Clock::time_point created) {
  k8s::CertificateSigningRequest csr;
  csr.metadata.name = "c";
  csr.metadata.creationTimestamp = stamp(created);
  for (const auto& [type, when] : conditions) csr.status.conditions.push_back({type, "True", "r", "m", stamp(when), stamp(when)});
  if (issued) csr.status.certificate = "-----BEGIN CERTIFICATE-----\n";
  return csr;
}

}  // namespace

TEST_CASE("gc: kube-controller-manager's durations, plus approved but never issued") {
  const auto now = Clock::now();
  const csrop::GcConfig config;
  auto never = [](const std::string&) { return false; };
  const auto recent = now - std::chrono::minutes(10);
  const auto old = now - std::chrono::hours(2);
  const auto ancient = now - std::chrono::hours(25);
  CHECK(csrop::garbageReason(csrWith({{"Approved", old}}, true, old), config, now, never) == "approved and issued");
  CHECK_FALSE(csrop::garbageReason(csrWith({{"Approved", recent}}, true, recent), config, now, never));
  CHECK(csrop::garbageReason(csrWith({{"Approved", old}}, false, old), config, now, never) == "approved but never issued");
  CHECK_FALSE(csrop::garbageReason(csrWith({{"Approved", recent}}, false, recent), config, now, never));
  CHECK(csrop::garbageReason(csrWith({{"Denied", old}}, false, old), config, now, never) == "denied");
  CHECK(csrop::garbageReason(csrWith({{"Approved", old}, {"Failed", old}}, false, old), config, now, never) == "failed");
  CHECK_FALSE(csrop::garbageReason(csrWith({}, false, old), config, now, never));
  CHECK(csrop::garbageReason(csrWith({}, false, ancient), config, now, never) == "pending too long");
  auto expired = [](const std::string&) { return true; };
  CHECK(csrop::garbageReason(csrWith({{"Approved", recent}}, true, recent), config, now, expired) == "issued certificate expired");
}

TEST_CASE("gc: missing or unparsable timestamps are never old") {
  const auto now = Clock::now();
  k8s::CertificateSigningRequest csr;
  csr.status.conditions.push_back({"Denied", "True", "r", "m", "", ""});
  CHECK_FALSE(csrop::garbageReason(csr, {}, now, [](const std::string&) { return false; }));
  csr.status.conditions[0].lastUpdateTime = "yesterday";
  CHECK_FALSE(csrop::garbageReason(csr, {}, now, [](const std::string&) { return false; }));
}

TEST_CASE("gc: sweep deletes with uid and resourceVersion preconditions, a 409 Conflict is not counted") {
  auto transport = std::make_shared<k8stest::FakeTransport>();
  k8s::ClientOptions options;
  options.maxRetries = 0;
  k8s::KubeClient client(transport, options);
  csrop::Metrics metrics;
  csrop::GcConfig config;
  csrop::CsrCleaner cleaner(client, config, metrics, [](const std::string&) { return false; });
  const auto longAgo = Clock::now() - std::chrono::hours(48);
  auto changed = csrWith({{"Denied", longAgo}}, false, longAgo);
  changed.metadata.name = "changed";
  changed.metadata.uid = "uid-1";
  changed.metadata.resourceVersion = "7";
  auto due = changed;
  due.metadata.name = "due";
  due.metadata.uid = "uid-2";
  due.metadata.resourceVersion = "9";
  auto noUid = due;
  noUid.metadata.name = "no-uid";
  noUid.metadata.uid.clear();
  transport->queueSend(409, R"({"kind":"Status","code":409,"reason":"Conflict","message":"Precondition failed"})");
  transport->queueSend(200, R"({"kind":"Status","status":"Success"})");
  CHECK(cleaner.sweep({changed, due, noUid}) == 1);
  REQUIRE(transport->requests.size() == 2);  // the CSR without a uid is never deleted blindly
  for (std::size_t i = 0; i < 2; ++i) {
    const auto body = nlohmann::json::parse(transport->requests[i].body);
    CHECK(transport->requests[i].method == "DELETE");
    CHECK(body["preconditions"]["uid"] == (i == 0 ? "uid-1" : "uid-2"));
    CHECK(body["preconditions"]["resourceVersion"] == (i == 0 ? "7" : "9"));
  }
  CHECK(metrics.value(csrop::metric::kGcDeleted, {{"reason", "denied"}}) == 1);
}
