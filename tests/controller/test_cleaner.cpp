#include "controller/CsrCleaner.h"

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
