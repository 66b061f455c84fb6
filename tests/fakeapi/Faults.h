// Fault injection, request statistics and the audit log of the fake kube-apiserver (faults driven
// by POST /fake/faults, statistics read by GET /fake/stats, the audit log written to --audit-log).
#pragma once

#include "tests/fakeapi/Api.h"

#include <atomic>
#include <chrono>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>

namespace fakeapi {

class Faults {
 public:
  using Duration = std::chrono::milliseconds;
  void failNext(int count, int code);
  void throttleNext(int count, int retryAfterSeconds);
  // Every request for `resource` (as routed, e.g. "leases") fails with `code` for `duration`: a
  // partition that cuts one kind of traffic while watches and other writes keep flowing. With a
  // user, only that user's requests are cut (one replica loses its lease, the other takes over).
  void failResourceFor(const std::string& resource, int code, Duration duration, const std::string& user = "");
  // The next `count` watches on `resource` ("" = any) that start from a resourceVersion are
  // answered 410 Expired, as kube-apiserver does when that version left its watch cache.
  void expireNextWatches(int count, const std::string& resource);
  // Requests on `resource` (as routed with its subresource, e.g. "certificatesigningrequests/status";
  // "" = any) are held for `delay` before they reach the store or, with afterWrite, after the
  // store committed a write and before the answer leaves: a slow API server, and a window in which
  // a write is done but its writer does not know yet. For `duration`.
  void addLatency(const std::string& resource, Duration delay, bool afterWrite, Duration duration);

  // The error to answer the next API request by `user` for `resource` with, if one is armed;
  // consumes one.
  std::optional<ApiError> take(const std::string& resource, const std::string& user = "");
  bool takeWatchExpiry(const std::string& resource);
  // Sleeps for the latency armed for this request, counted in describe()'s "held".
  void hold(const std::string& resource, bool afterWrite);
  json describe() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Partition {
    std::string resource, user;
    int code;
    Clock::time_point until;
  };
  struct Latency {
    std::string resource;
    Duration delay;
    bool afterWrite;
    Clock::time_point until;
  };
  mutable std::mutex mu_;
  int failCount_ = 0;
  int failCode_ = 500;
  int throttleCount_ = 0;
  int retryAfter_ = 1;
  std::vector<Partition> partitions_;
  int expireWatchCount_ = 0;
  std::string expireWatchResource_;
  std::vector<Latency> latencies_;
  std::atomic<int> held_{0};
};

class Stats {
 public:
  Stats();
  void record(const std::string& verb, const std::string& resource, int code);
  json report() const;

 private:
  using Clock = std::chrono::steady_clock;
  mutable std::mutex mu_;
  Clock::time_point start_;
  uint64_t total_ = 0;
  std::map<std::string, uint64_t> counts_;              // "verb resource code"
  std::deque<std::pair<int64_t, uint64_t>> perSecond_;  // second since start -> requests
};

// Every write request (create, update, patch, delete), one JSON line per request, in the shape of
// kube-apiserver's audit.k8s.io/v1 Event at level Metadata, stage ResponseComplete: who, when,
// what, with which answer. Appended to a file, so it outlives restarts and kills of the server.
// CSR writes carry annotations with what they did: the conditions and the SHA-256 of the
// certificate stored, and of the certificate the request carried.
class AuditLog {
 public:
  void open(const std::string& path);
  bool enabled() const { return out_.is_open(); }
  struct Entry {
    std::string user, verb, requestUri, resource, subresource, ns, name;
    int code = 0;
    bool injected = false;  // answered by an injected fault, never reached the store
    const std::string* requestBody = nullptr;
    const std::string* responseBody = nullptr;
  };
  void record(const Entry& e);

 private:
  std::mutex mu_;
  std::ofstream out_;
};

}  // namespace fakeapi
