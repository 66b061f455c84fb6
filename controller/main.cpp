// csr-operator entry point: the commands (controller/Commands.h) and, for `run`, the process around
// the controller: logging, the API server's configuration, signals.
#include "controller/BuildInfo.h"
#include "controller/Commands.h"
#include "controller/ConfigLoader.h"
#include "controller/LogFormat.h"
#include "controller/Operator.h"
#include "controller/RuntimeDefaults.h"
#include "k8sclient/KubeConfigLoader.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <malloc.h>
#include <iostream>
#include <pthread.h>
#include <stop_token>
#include <thread>

namespace {

int runController(const csrop::CommandLine& cli) {
  using namespace csrop;
  useLogFormat(cli.logFormat);
  Config config = loadConfigFile(cli.configFile, cli.overrides);
  spdlog::set_level(spdlog::level::from_str(config.logLevel));
  spdlog::info("csr-operator {} (commit {}) starting", buildVersion(), buildCommit());
  for (const auto& warning : cli.warnings) spdlog::warn("{}", warning);
  const std::string effective = describeConfig(config);
  for (std::size_t start = 0, end; start < effective.size(); start = end + 1) {
    end = effective.find('\n', start);
    if (end == std::string::npos) end = effective.size();
    spdlog::info("config: {}", effective.substr(start, end - start));
  }
  k8s::RestConfig rest = k8s::loadDefaultConfig(cli.kubeconfig, cli.context);
  rest.qps = config.qps;
  rest.burst = config.burst;
  rest.httpClient = config.httpClient;
  fillRuntimeDefaults(config, rest, processEnvironment());
  spdlog::info("kubernetes API: server={} from {} httpClient={}", rest.server, rest.source,
               rest.httpClient == k8s::HttpClient::Cpprest ? "cpprest" : "beast");

  // Signals are taken by one thread with sigwait so that no other thread is interrupted.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::stop_source stop;
  std::jthread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig == SIGTERM || sig == SIGINT) {
      spdlog::info("received {}, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      stop.request_stop();
    }
  });
  int rc = 0;
  try {
    rc = runOperator(config, rest, stop.get_token());
  } catch (...) {
    pthread_kill(waiter.native_handle(), SIGTERM);
    throw;
  }
  if (!stop.stop_requested()) pthread_kill(waiter.native_handle(), SIGTERM);
  spdlog::info("csr-operator stopped");
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  // Two malloc arenas instead of up to eight per core: the workers and cpprest threads allocate
  // in bursts, and every extra arena keeps its own freed memory resident.
  mallopt(M_ARENA_MAX, 2);
  // A fixed mmap threshold: glibc otherwise raises it after large responses are freed, and the
  // next large buffers then fragment the heap instead of going back to the kernel when freed.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  const std::vector<std::string> args(argv + 1, argv + argc);
  return csrop::runCommandLine(args, csrop::processEnvironment(), std::cout, std::cerr, runController);
}
