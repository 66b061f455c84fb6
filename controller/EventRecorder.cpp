#include "controller/EventRecorder.h"

#include "signers/LogText.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace csrop {

std::string eventMessage(const std::string& message) {
  constexpr std::size_t kMaxMessage = 1024;
  std::string escaped = signers::escapeForLog(message);
  if (escaped.size() <= kMaxMessage) return escaped;
  // The longest prefix of the original whose escaped form fits, so no escape sequence is cut.
  std::size_t fits = 0, tooLong = message.size();
  while (tooLong - fits > 1) {
    const std::size_t mid = fits + (tooLong - fits) / 2;
    (signers::escapeForLog(std::string_view(message).substr(0, mid)).size() <= kMaxMessage - 3 ? fits : tooLong) = mid;
  }
  return signers::escapeForLog(std::string_view(message).substr(0, fits)) + "...";
}

void EventRecorder::record(const k8s::CertificateSigningRequest& csr, const std::string& type, const std::string& reason,
                           const std::string& message, const std::string& action) {
  recordAbout(
      {"CertificateSigningRequest", "certificates.k8s.io/v1", csr.metadata.name, "", csr.metadata.uid, csr.metadata.resourceVersion}, type,
      reason, message, action);
}

void EventRecorder::record(const k8s::PodCertificateRequest& pcr, const std::string& type, const std::string& reason,
                           const std::string& message, const std::string& action) {
  recordAbout({"PodCertificateRequest", pcr.apiVersion.empty() ? "certificates.k8s.io/v1" : pcr.apiVersion, pcr.metadata.name,
               pcr.metadata.namespace_, pcr.metadata.uid, pcr.metadata.resourceVersion},
              type, reason, message, action);
}

void EventRecorder::recordAbout(const k8s::ObjectReference& about, const std::string& type, const std::string& reason,
                                const std::string& message, const std::string& action) {
  const std::string now = k8s::nowRfc3339();
  if (type == "Normal") {
    std::lock_guard lock(mu_);
    auto& similar = similar_[Key{about.namespace_, about.kind, type, reason, action}];
    if (!similar.individual)
      similar.individual =
          std::make_unique<k8s::RateLimiter>(1.0 / std::chrono::duration<double>(kNormalRefill).count(), kNormalBurst, clock_);
    if (!similar.individual->tryAccept()) {
      if (similar.combined++ == 0) similar.firstTimestamp = now;
      similar.latest = about;
      similar.latestMessage = message;
      similar.lastTimestamp = now;
      return;
    }
  }
  write(about, type, reason, message, action, 1, now, now);
}

void EventRecorder::flush() {
  std::map<Key, Similar> due;
  {
    std::lock_guard lock(mu_);
    for (auto& [key, similar] : similar_) {
      if (similar.combined == 0) continue;
      auto& out = due[key];
      out.combined = std::exchange(similar.combined, 0);
      out.latest = similar.latest;
      out.latestMessage = std::move(similar.latestMessage);
      out.firstTimestamp = std::move(similar.firstTimestamp);
      out.lastTimestamp = std::move(similar.lastTimestamp);
    }
  }
  for (const auto& [key, similar] : due) {
    const auto& [ns, kind, type, reason, action] = key;
    write(similar.latest, type, reason,
          "(combined from similar events): " + std::to_string(similar.combined) + " " + kind + "s since " + similar.firstTimestamp +
              ", the latest " + similar.latest.name + ": " + similar.latestMessage,
          action, similar.combined, similar.firstTimestamp, similar.lastTimestamp);
  }
}

void EventRecorder::write(const k8s::ObjectReference& about, const std::string& type, const std::string& reason, const std::string& message,
                          const std::string& action, int count, const std::string& firstTimestamp, const std::string& lastTimestamp) {
  const std::string ns = about.namespace_.empty() ? "default" : about.namespace_;
  k8s::Event ev;
  ev.metadata.generateName = about.name + ".";
  ev.metadata.namespace_ = ns;
  ev.involvedObject = about;
  ev.type = type;
  ev.reason = reason;
  ev.message = eventMessage(message);
  ev.source.component = component_;
  ev.reportingComponent = component_;
  ev.reportingInstance = instance_;
  ev.firstTimestamp = firstTimestamp;
  ev.lastTimestamp = lastTimestamp;
  ev.count = count;
  ev.action = action;
  try {
    client_.create(ev, ns);
  } catch (const std::exception& e) {
    spdlog::warn("event not recorded: {}={}{}{} reason={} error={}", about.kind == "CertificateSigningRequest" ? "csr" : "pcr",
                 about.namespace_, about.namespace_.empty() ? "" : "/", about.name, reason, e.what());
  }
}

}  // namespace csrop
