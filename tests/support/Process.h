// A child process for integration tests: started with its output in a log file, stopped by
// signal, always reaped (the destructor kills what is still running).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace itest {

class Process {
 public:
  Process() = default;
  Process(std::vector<std::string> argv, std::string logFile, std::vector<std::string> env = {});
  ~Process();
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  bool running();
  void signal(int sig);
  // Waits for exit; nullopt on timeout. Exit code, or 128+signal when killed.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // SIGTERM, then SIGKILL after the grace period.
  std::optional<int> stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  const std::string& logFile() const { return logFile_; }
  std::string log() const;
  // Waits until the log contains text; false on timeout or when the process died.
  bool waitForLog(const std::string& text, std::chrono::milliseconds timeout);
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
  std::optional<int> exitCode_;
  std::string logFile_;
};

// Polls until predicate() is true; false on timeout.
template <class F>
bool eventually(F predicate, std::chrono::milliseconds timeout, std::chrono::milliseconds step = std::chrono::milliseconds(50));

// Plain HTTP GET on loopback (the operator's health endpoint): {status, body}; status 0 when unreachable.
std::pair<int, std::string> httpGet(int port, const std::string& path);

}  // namespace itest

#include <thread>

template <class F>
bool itest::eventually(F predicate, std::chrono::milliseconds timeout, std::chrono::milliseconds step) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (predicate()) return true;
    std::this_thread::sleep_for(step);
  }
  return predicate();
}
