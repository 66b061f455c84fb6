#pragma once
// Test doubles: a scripted HttpTransport and a manual clock whose sleeps pass at once (for a clock
// that blocks sleepers until advanced, see tests/support/FakeClock.h).
#include <deque>
#include <functional>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "k8sclient/HttpTransport.h"
#include "k8sclient/RateLimiter.h"
#include "k8sclient/WatchStream.h"

namespace k8s {
// doctest prints values of failed checks through these.
inline std::ostream& operator<<(std::ostream& os, WatchEvent::Type t) { return os << to_string(t); }
inline std::ostream& operator<<(std::ostream& os, WatchResult::End e) { return os << to_string(e); }
}  // namespace k8s

namespace k8stest {

class FakeClock : public k8s::Clock {
 public:
  time_point now() override {
    std::lock_guard l(mu);
    return t;
  }
  system_time_point systemNow() override {
    std::lock_guard l(mu);
    return system_time_point{} + std::chrono::duration_cast<system_time_point::duration>(t.time_since_epoch());
  }
  bool sleepFor(duration d, std::stop_token stop) override {
    std::lock_guard l(mu);
    sleeps.push_back(d);
    t += d;
    return !stop.stop_requested();
  }
  void advance(duration d) {
    std::lock_guard l(mu);
    t += d;
  }
  std::mutex mu;
  time_point t{};
  std::vector<duration> sleeps;
};

inline k8s::HttpResponse respond(int status, std::string body, std::map<std::string, std::string> headers = {}) {
  k8s::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

class FakeTransport : public k8s::HttpTransport {
 public:
  using SendFn = std::function<k8s::HttpResponse(const k8s::HttpRequest&)>;
  using StreamFn = std::function<k8s::HttpResponse(const k8s::HttpRequest&, const std::function<void(std::string_view)>&, std::stop_token)>;

  k8s::HttpResponse send(const k8s::HttpRequest& r, std::stop_token) override {
    SendFn fn;
    {
      std::lock_guard l(mu);
      requests.push_back(r);
      if (!sendQueue.empty()) {
        fn = std::move(sendQueue.front());
        sendQueue.pop_front();
      } else {
        fn = onSend;
      }
    }
    if (!fn) return respond(599, "no scripted response");
    return fn(r);
  }

  k8s::HttpResponse stream(const k8s::HttpRequest& r, const std::function<void(std::string_view)>& onLine, std::chrono::seconds idle,
                           std::stop_token stop) override {
    StreamFn fn;
    {
      std::lock_guard l(mu);
      streams.push_back(r);
      lastIdle = idle;
      if (!streamQueue.empty()) {
        fn = std::move(streamQueue.front());
        streamQueue.pop_front();
      } else {
        fn = onStream;
      }
    }
    if (!fn) return respond(599, "no scripted stream");
    return fn(r, onLine, stop);
  }

  void queueSend(SendFn f) {
    std::lock_guard l(mu);
    sendQueue.push_back(std::move(f));
  }
  void queueSend(int status, std::string body, std::map<std::string, std::string> headers = {}) {
    queueSend([=](const k8s::HttpRequest&) { return respond(status, body, headers); });
  }
  void queueStream(StreamFn f) {
    std::lock_guard l(mu);
    streamQueue.push_back(std::move(f));
  }

  std::mutex mu;
  std::vector<k8s::HttpRequest> requests, streams;
  std::deque<SendFn> sendQueue;
  std::deque<StreamFn> streamQueue;
  SendFn onSend;
  StreamFn onStream;
  std::chrono::seconds lastIdle{0};
};

}  // namespace k8stest
