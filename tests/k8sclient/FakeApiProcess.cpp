#include "FakeApiProcess.h"

#include <signal.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace k8stest {

namespace {
pid_t spawn(const std::vector<std::string>& args, const std::string& logFile) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + args[0]);
  return pid;
}
}  // namespace

FakeApiProcess::FakeApiProcess(std::vector<std::string> extraArgs) : extra_(std::move(extraArgs)) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "k8sclient-fakeapi-XXXXXX").string();
  dir_ = mkdtemp(tmpl.data());
  start(0);
}

FakeApiProcess::~FakeApiProcess() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void FakeApiProcess::start(int port) {
  std::filesystem::remove(dir_ + "/port");
  std::vector<std::string> args{FAKE_APISERVER_BIN, "--listen", "127.0.0.1:" + std::to_string(port), "--pki-dir", dir_,
                                "--state-file", dir_ + "/state.json"};
  args.insert(args.end(), extra_.begin(), extra_.end());
  pid_ = spawn(args, dir_ + "/server.log");
  for (int i = 0; i < 1000; ++i) {
    std::ifstream in(dir_ + "/port");
    int p = 0;
    if (in >> p && p > 0 && std::filesystem::exists(adminKubeconfig())) {
      port_ = p;
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("fake-apiserver exited at start; see " + dir_ + "/server.log");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("fake-apiserver did not write its port within 10 s");
}

void FakeApiProcess::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

void FakeApiProcess::restart() {
  stop();
  start(port_);
}

void FakeApiProcess::mint(const std::vector<std::string>& args) const {
  std::vector<std::string> full{FAKE_APISERVER_BIN, "mint", "--pki-dir", dir_};
  full.insert(full.end(), args.begin(), args.end());
  pid_t pid = spawn(full, dir_ + "/mint.log");
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("fake-apiserver mint failed");
}

}  // namespace k8stest
