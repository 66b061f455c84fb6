#include "controller/EventRecorder.h"

#include "signers/LogText.h"

#include <spdlog/spdlog.h>

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
  write({"CertificateSigningRequest", "certificates.k8s.io/v1", csr.metadata.name, "", csr.metadata.uid, csr.metadata.resourceVersion},
        type, reason, message, action);
}

void EventRecorder::record(const k8s::PodCertificateRequest& pcr, const std::string& type, const std::string& reason,
                           const std::string& message, const std::string& action) {
  write({"PodCertificateRequest", pcr.apiVersion.empty() ? "certificates.k8s.io/v1" : pcr.apiVersion, pcr.metadata.name,
         pcr.metadata.namespace_, pcr.metadata.uid, pcr.metadata.resourceVersion},
        type, reason, message, action);
}

void EventRecorder::write(const k8s::ObjectReference& about, const std::string& type, const std::string& reason, const std::string& message,
                          const std::string& action) {
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
  ev.firstTimestamp = ev.lastTimestamp = k8s::nowRfc3339();
  ev.count = 1;
  ev.action = action;
  try {
    client_.create(ev, ns);
  } catch (const std::exception& e) {
    spdlog::warn("event not recorded: {}={}{}{} reason={} error={}", about.kind == "CertificateSigningRequest" ? "csr" : "pcr",
                 about.namespace_, about.namespace_.empty() ? "" : "/", about.name, reason, e.what());
  }
}

}  // namespace csrop
