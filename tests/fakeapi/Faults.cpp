#include "tests/fakeapi/Faults.h"

namespace fakeapi {

void Faults::failNext(int count, int code) {
  std::lock_guard<std::mutex> g(mu_);
  failCount_ = count;
  failCode_ = code;
}

void Faults::throttleNext(int count, int retryAfterSeconds) {
  std::lock_guard<std::mutex> g(mu_);
  throttleCount_ = count;
  retryAfter_ = retryAfterSeconds;
}

void Faults::failResourceFor(const std::string& resource, int code, std::chrono::milliseconds duration) {
  std::lock_guard<std::mutex> g(mu_);
  partitionedResource_ = resource;
  partitionCode_ = code;
  partitionUntil_ = std::chrono::steady_clock::now() + duration;
}

namespace {

ApiError injectedError(int code) {
  static const std::map<int, std::pair<const char*, const char*>> reasons = {
      {500, {"InternalError", "Internal error occurred: injected fault"}},
      {503, {"ServiceUnavailable", "the server is currently unable to handle the request"}},
      {504, {"Timeout", "the server was unable to return a response in the time allotted"}},
      {429, {"TooManyRequests", "Too many requests, please try again later."}},
      {410, {"Expired", "too old resource version (injected fault)"}},
      {409, {"Conflict", "injected conflict"}},
  };
  auto it = reasons.find(code);
  if (it != reasons.end()) return ApiError(code, it->second.first, it->second.second);
  return ApiError(code, code >= 500 ? "InternalError" : "BadRequest", "injected fault");
}

}  // namespace

std::optional<ApiError> Faults::take(const std::string& resource) {
  std::lock_guard<std::mutex> g(mu_);
  if (!partitionedResource_.empty() && resource == partitionedResource_ && std::chrono::steady_clock::now() < partitionUntil_)
    return injectedError(partitionCode_);
  if (throttleCount_ > 0) {
    --throttleCount_;
    ApiError e(429, "TooManyRequests", "Too many requests, please try again later.", json{{"retryAfterSeconds", retryAfter_}});
    e.retryAfter = retryAfter_;
    return e;
  }
  if (failCount_ > 0) {
    --failCount_;
    return injectedError(failCode_);
  }
  return std::nullopt;
}

json Faults::describe() const {
  std::lock_guard<std::mutex> g(mu_);
  return {{"failNext", {{"count", failCount_}, {"code", failCode_}}},
          {"throttleNext", {{"count", throttleCount_}, {"retryAfter", retryAfter_}}},
          {"partition",
           {{"resource", partitionedResource_},
            {"code", partitionCode_},
            {"active", !partitionedResource_.empty() && std::chrono::steady_clock::now() < partitionUntil_}}}};
}

Stats::Stats() : start_(Clock::now()) {}

void Stats::record(const std::string& verb, const std::string& resource, int code) {
  std::lock_guard<std::mutex> g(mu_);
  ++total_;
  ++counts_[verb + " " + (resource.empty() ? "-" : resource) + " " + std::to_string(code)];
  int64_t sec = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - start_).count();
  if (perSecond_.empty() || perSecond_.back().first != sec) perSecond_.push_back({sec, 0});
  ++perSecond_.back().second;
  while (!perSecond_.empty() && perSecond_.front().first < sec - 60) perSecond_.pop_front();
}

json Stats::report() const {
  std::lock_guard<std::mutex> g(mu_);
  double uptime = std::chrono::duration<double>(Clock::now() - start_).count();
  int64_t now = static_cast<int64_t>(uptime);
  uint64_t last1 = 0, last10 = 0, peak = 0;
  for (const auto& [sec, n] : perSecond_) {
    if (sec == now - 1) last1 = n;
    if (sec >= now - 10 && sec < now) last10 += n;
    peak = std::max(peak, n);
  }
  json byKey = json::array();
  for (const auto& [k, n] : counts_) {
    auto a = k.find(' '), b = k.rfind(' ');
    byKey.push_back(
        {{"verb", k.substr(0, a)}, {"resource", k.substr(a + 1, b - a - 1)}, {"code", std::stoi(k.substr(b + 1))}, {"count", n}});
  }
  return {{"totalRequests", total_},
          {"uptimeSeconds", uptime},
          {"requestsPerSecond",
           {{"lastSecond", last1},
            {"last10sAverage", last10 / 10.0},
            {"peakSecond", peak},
            {"sinceStart", uptime > 0 ? total_ / uptime : 0.0}}},
          {"requests", byKey}};
}

}  // namespace fakeapi
