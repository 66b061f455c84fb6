#pragma once

#include <string>

namespace csrop {

// The outcome of one reconcile step: finished, or try again later (with why, for the log).
struct SyncResult {
  bool retry = false;
  std::string error;

  static SyncResult done() { return {}; }
  static SyncResult again(std::string why) { return {true, std::move(why)}; }
};

}  // namespace csrop
