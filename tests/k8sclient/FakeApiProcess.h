#pragma once
// Starts tests/fakeapi's fake-apiserver as a child process on loopback for integration tests.
#include <sys/types.h>

#include <string>
#include <vector>

namespace k8stest {

class FakeApiProcess {
 public:
  // extraArgs are appended to: --listen 127.0.0.1:<port or 0> --pki-dir <dir> --state-file <dir>/state.json
  explicit FakeApiProcess(std::vector<std::string> extraArgs = {});
  ~FakeApiProcess();
  const std::string& dir() const { return dir_; }
  int port() const { return port_; }
  std::string adminKubeconfig() const { return dir_ + "/admin.kubeconfig"; }
  // Runs `fake-apiserver mint` with these arguments (e.g. --token T --out F).
  void mint(const std::vector<std::string>& args) const;
  // SIGTERM (state saved), then start again on the same port.
  void restart();
  void stop();

 private:
  void start(int port);
  std::string dir_;
  std::vector<std::string> extra_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace k8stest
