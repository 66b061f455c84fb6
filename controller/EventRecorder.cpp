#include "controller/EventRecorder.h"

#include <spdlog/spdlog.h>

namespace csrop {

void EventRecorder::record(const k8s::CertificateSigningRequest& csr, const std::string& type, const std::string& reason,
                           const std::string& message, const std::string& action) {
  k8s::Event ev;
  ev.metadata.generateName = csr.metadata.name + ".";
  ev.metadata.namespace_ = "default";
  ev.involvedObject = {"CertificateSigningRequest", "certificates.k8s.io/v1", csr.metadata.name, "", csr.metadata.uid,
                       csr.metadata.resourceVersion};
  ev.type = type;
  ev.reason = reason;
  ev.message = message.size() > 1024 ? message.substr(0, 1021) + "..." : message;
  ev.source.component = component_;
  ev.reportingComponent = component_;
  ev.reportingInstance = instance_;
  ev.firstTimestamp = ev.lastTimestamp = k8s::nowRfc3339();
  ev.count = 1;
  ev.action = action;
  try {
    client_.create(ev, "default");
  } catch (const std::exception& e) {
    spdlog::warn("event not recorded: csr={} reason={} error={}", csr.metadata.name, reason, e.what());
  }
}

}  // namespace csrop
