#include "tests/fakeapi/Faults.h"

#include <openssl/sha.h>

#include <ctime>
#include <thread>

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

void Faults::failResourceFor(const std::string& resource, int code, Duration duration, const std::string& user) {
  std::lock_guard<std::mutex> g(mu_);
  const auto now = Clock::now();
  std::erase_if(partitions_, [&](const Partition& p) { return p.until <= now || (p.resource == resource && p.user == user); });
  partitions_.push_back({resource, user, code, now + duration});
}

void Faults::expireNextWatches(int count, const std::string& resource) {
  std::lock_guard<std::mutex> g(mu_);
  expireWatchCount_ = count;
  expireWatchResource_ = resource;
}

void Faults::addLatency(const std::string& resource, Duration delay, bool afterWrite, Duration duration) {
  std::lock_guard<std::mutex> g(mu_);
  const auto now = Clock::now();
  std::erase_if(latencies_, [&](const Latency& l) { return l.until <= now; });
  latencies_.push_back({resource, delay, afterWrite, now + duration});
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

std::optional<ApiError> Faults::take(const std::string& resource, const std::string& user) {
  std::lock_guard<std::mutex> g(mu_);
  const auto now = Clock::now();
  for (const auto& p : partitions_)
    if (p.resource == resource && (p.user.empty() || p.user == user) && now < p.until) return injectedError(p.code);
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

bool Faults::takeWatchExpiry(const std::string& resource) {
  std::lock_guard<std::mutex> g(mu_);
  if (expireWatchCount_ <= 0 || (!expireWatchResource_.empty() && expireWatchResource_ != resource)) return false;
  --expireWatchCount_;
  return true;
}

void Faults::hold(const std::string& resource, bool afterWrite) {
  Duration delay{0};
  {
    std::lock_guard<std::mutex> g(mu_);
    const auto now = Clock::now();
    for (const auto& l : latencies_)
      if (l.afterWrite == afterWrite && now < l.until && (l.resource.empty() || l.resource == resource)) delay = std::max(delay, l.delay);
  }
  if (delay.count() == 0) return;
  ++held_;
  std::this_thread::sleep_for(delay);
  --held_;
}

json Faults::describe() const {
  std::lock_guard<std::mutex> g(mu_);
  const auto now = Clock::now();
  auto left = [now](Clock::time_point until) { return std::chrono::duration_cast<Duration>(until - now).count(); };
  json partitions = json::array(), latencies = json::array();
  for (const auto& p : partitions_)
    if (now < p.until)
      partitions.push_back({{"resource", p.resource}, {"user", p.user}, {"code", p.code}, {"millisecondsLeft", left(p.until)}});
  for (const auto& l : latencies_)
    if (now < l.until)
      latencies.push_back(
          {{"resource", l.resource}, {"milliseconds", l.delay.count()}, {"afterWrite", l.afterWrite}, {"millisecondsLeft", left(l.until)}});
  return {{"failNext", {{"count", failCount_}, {"code", failCode_}}},
          {"throttleNext", {{"count", throttleCount_}, {"retryAfter", retryAfter_}}},
          {"partitions", partitions},
          {"expireNextWatches", {{"count", expireWatchCount_}, {"resource", expireWatchResource_}}},
          {"latency", latencies},
          {"held", held_.load()}};
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

namespace {

std::string nowRfc3339Micro() {
  const auto now = std::chrono::system_clock::now();
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                tm.tm_sec, static_cast<int>(micros % 1000000));
  return buf;
}

std::string sha256Hex(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : digest) out += {hex[c >> 4], hex[c & 15]};
  return out;
}

// The body as JSON when it is a JSON object (protobuf and YAML bodies are not looked into).
json objectOf(const std::string* body) {
  if (!body || body->empty()) return nullptr;
  json j = json::parse(*body, nullptr, false);
  return j.is_object() ? j : json(nullptr);
}

std::string certificateSha(const json& obj) {
  if (!obj.is_object() || !obj.contains("status") || !obj["status"].is_object()) return "";
  const auto& status = obj["status"];
  auto it = status.find("certificate");
  if (it == status.end() || !it->is_string() || it->get<std::string>().empty()) return "";
  try {
    return sha256Hex(base64Decode(it->get<std::string>()));
  } catch (const std::invalid_argument&) {
    return "undecodable";
  }
}

std::string conditionTypes(const json& obj) {
  std::string out;
  if (!obj.is_object() || !obj.contains("status") || !obj["status"].is_object()) return out;
  for (const auto& c : obj["status"].value("conditions", json::array()))
    if (c.is_object() && c.value("type", json()).is_string()) out += (out.empty() ? "" : ",") + c["type"].get<std::string>();
  return out;
}

}  // namespace

void AuditLog::open(const std::string& path) {
  std::lock_guard<std::mutex> g(mu_);
  out_.open(path, std::ios::app);
  if (!out_) throw std::runtime_error("cannot open the audit log " + path + " for appending; check the directory exists and is writable");
}

void AuditLog::record(const Entry& e) {
  if (!enabled()) return;
  const json request = objectOf(e.requestBody);
  const json response = e.code < 300 ? objectOf(e.responseBody) : json(nullptr);
  const json& stored = response.is_object() ? response : request;
  json ref = {{"resource", e.resource}, {"name", e.name}};
  if (!e.subresource.empty()) ref["subresource"] = e.subresource;
  if (!e.ns.empty()) ref["namespace"] = e.ns;
  if (stored.is_object() && stored.contains("metadata") && stored["metadata"].is_object()) {
    const auto& md = stored["metadata"];
    if (md.value("uid", json()).is_string()) ref["uid"] = md["uid"];
    if (response.is_object() && md.value("resourceVersion", json()).is_string()) ref["resourceVersion"] = md["resourceVersion"];
    if (e.name.empty() && md.value("name", json()).is_string()) ref["name"] = md["name"];
  }
  json annotations = json::object();
  if (e.injected) annotations["fake-apiserver/injected-fault"] = "true";
  if (e.resource == "certificatesigningrequests") {
    if (auto sha = certificateSha(request); !sha.empty()) annotations["fake-apiserver/request-certificate-sha256"] = sha;
    if (response.is_object()) {
      if (auto sha = certificateSha(response); !sha.empty()) annotations["fake-apiserver/certificate-sha256"] = sha;
      annotations["fake-apiserver/conditions"] = conditionTypes(response);
    }
  }
  const std::string now = nowRfc3339Micro();
  std::lock_guard<std::mutex> g(mu_);
  json line = {{"kind", "Event"},
               {"apiVersion", "audit.k8s.io/v1"},
               {"level", "Metadata"},
               {"auditID", newUid()},
               {"stage", "ResponseComplete"},
               {"requestURI", e.requestUri},
               {"verb", e.verb},
               {"user", {{"username", e.user}}},
               {"objectRef", ref},
               {"responseStatus", {{"code", e.code}}},
               {"stageTimestamp", now},
               {"annotations", annotations}};
  out_ << line.dump() << '\n';
  out_.flush();
}

}  // namespace fakeapi
