// Whether a client kept to a token bucket (QPS and burst), judged from the times its requests
// reached the API server: fake-apiserver's --audit-log has one line per write with its
// stageTimestamp (RFC 3339, microseconds) and user.
#pragma once

#include <string>
#include <vector>

namespace itest {

// Seconds since the epoch of every write by `user` in the audit log at `path`, in file order.
std::vector<double> auditedWriteTimes(const std::string& path, const std::string& user);

// The largest (requests in [t_i, t_j]) - qps * (t_j - t_i) over every window of the sorted times:
// a client that took a token of a (qps, burst) bucket for each request never exceeds burst.
double largestBurst(std::vector<double> times, double qps);

}  // namespace itest
