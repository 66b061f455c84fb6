// RFC 3339 timestamps as Kubernetes writes them ("2026-11-23T11:22:50Z"), to the second.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace csrop {

// nullopt when empty or unparsable.
std::optional<std::chrono::system_clock::time_point> parseRfc3339(const std::string& text);

}  // namespace csrop
