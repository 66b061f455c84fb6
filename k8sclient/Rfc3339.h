#pragma once
// Timestamps as the API server writes them: metav1.Time ("2026-11-23T11:22:50Z") and
// metav1.MicroTime ("2026-11-23T11:22:50.123456Z", the Lease's acquireTime and renewTime), UTC.
#include <chrono>
#include <string>

namespace k8s {

std::string formatRfc3339(std::chrono::system_clock::time_point t);
std::string formatRfc3339Micro(std::chrono::system_clock::time_point t);

}  // namespace k8s
