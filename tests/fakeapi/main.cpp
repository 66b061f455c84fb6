// fake-apiserver: a local kube-apiserver test double for csr-operator (see README.md beside this file).
#include "tests/fakeapi/Authenticator.h"
#include "tests/fakeapi/Authorizer.h"
#include "tests/fakeapi/HttpServer.h"
#include "tests/fakeapi/PcrStrategy.h"
#include "tests/fakeapi/Pki.h"
#include "tests/fakeapi/Router.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>
#include <unistd.h>

using namespace fakeapi;

namespace {

const char* kUsage =
    "usage:\n"
    "  fake-apiserver --listen 127.0.0.1:0 --pki-dir DIR [--tokens FILE] [--rbac FILE]... [--state-file FILE]\n"
    "                 [--watch-window N] [--bookmark-interval SECONDS]\n"
    "                 [--pcr-version v1|v1beta1] [--pcr-key-checks true|false] [--pcr-max-age SECONDS]\n"
    "                 [--audit-log FILE]\n"
    "  fake-apiserver mint --pki-dir DIR --user U [--group G]... --out KUBECONFIG [--server URL]\n"
    "  fake-apiserver mint --pki-dir DIR --token TOKEN --out KUBECONFIG [--user NAME] [--server URL]\n";

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "fake-apiserver: " << why << "\n" << kUsage;
  std::exit(2);
}

struct Args {
  std::map<std::string, std::vector<std::string>> opts;
  std::string one(const std::string& k, const std::string& def = "") const {
    auto it = opts.find(k);
    return it == opts.end() || it->second.empty() ? def : it->second.back();
  }
  std::vector<std::string> all(const std::string& k) const {
    auto it = opts.find(k);
    return it == opts.end() ? std::vector<std::string>{} : it->second;
  }
};

Args parse(int argc, char** argv, int from) {
  Args a;
  for (int i = from; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "-h" || k == "--help") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (k.rfind("--", 0) != 0) usage("unexpected argument " + k);
    auto eq = k.find('=');
    if (eq != std::string::npos) {
      a.opts[k.substr(2, eq - 2)].push_back(k.substr(eq + 1));
    } else {
      if (i + 1 >= argc) usage("missing value for " + k);
      a.opts[k.substr(2)].push_back(argv[++i]);
    }
  }
  return a;
}

std::string serverUrl(const Args& a, const std::string& dir) {
  std::string server = a.one("server");
  if (!server.empty()) return server;
  if (!std::filesystem::exists(dir + "/port")) usage("no --server and " + dir + "/port does not exist (start the server first)");
  std::string port = pki::readFile(dir + "/port");
  while (!port.empty() && (port.back() == '\n' || port.back() == ' ')) port.pop_back();
  return "https://127.0.0.1:" + port;
}

int mint(const Args& a) {
  std::string dir = a.one("pki-dir"), out = a.one("out"), user = a.one("user"), token = a.one("token");
  if (dir.empty() || out.empty()) usage("mint needs --pki-dir and --out");
  if (user.empty() && token.empty()) usage("mint needs --user (client certificate) or --token");
  pki::ensure(dir);
  std::string ca = pki::readFile(dir + "/ca.crt");
  std::string server = serverUrl(a, dir);
  if (!token.empty()) {
    pki::writeFile(out, pki::kubeconfig(server, ca, user.empty() ? "token-user" : user, nullptr, token), true);
  } else {
    auto issued = pki::issueClient(dir, user, a.all("group"));
    pki::writeFile(out, pki::kubeconfig(server, ca, user, &issued, ""), true);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  if (argc > 1 && std::string(argv[1]) == "mint") {
    try {
      return mint(parse(argc, argv, 2));
    } catch (const std::exception& e) {
      std::cerr << "fake-apiserver mint: " << e.what() << "\n";
      return 1;
    }
  }
  Args a = parse(argc, argv, 1);
  std::string dir = a.one("pki-dir");
  if (dir.empty()) usage("--pki-dir is required");
  std::string listen = a.one("listen", "127.0.0.1:0");
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) usage("--listen wants HOST:PORT");

  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);  // inherited by every thread; one thread waits for them

  try {
    pki::ensure(dir);
    Authenticator authn;
    if (!a.one("tokens").empty()) authn.loadTokenFile(a.one("tokens"));
    Authorizer authz;
    for (const auto& f : a.all("rbac")) authz.loadFile(f);
    Store store(static_cast<size_t>(std::stoul(a.one("watch-window", "10000"))));
    std::string stateFile = a.one("state-file");
    if (!stateFile.empty() && std::filesystem::exists(stateFile)) {
      store.loadState(json::parse(pki::readFile(stateFile)));
      spdlog::info("loaded {} objects at resourceVersion {} from {}", store.objectCount(), store.currentRv(), stateFile);
    }
    WatchHub hub(store, std::stoi(a.one("bookmark-interval", "30")));
    Faults faults;
    Stats stats;
    Router router(store, hub, authz, faults, stats);
    router.pcrVersion = a.one("pcr-version", "v1");
    if (router.pcrVersion != "v1" && router.pcrVersion != "v1beta1") usage("--pcr-version must be v1 or v1beta1");
    const std::string keyChecks = a.one("pcr-key-checks", "true");
    if (keyChecks != "true" && keyChecks != "false") usage("--pcr-key-checks must be true or false");
    router.pcrKeyChecks = keyChecks == "true";
    const int64_t pcrMaxAge = std::stoll(a.one("pcr-max-age", std::to_string(pcr::kCleanerMaxAgeSeconds)));
    if (pcrMaxAge < 1) usage("--pcr-max-age must be at least 1 second");
    AuditLog audit;
    if (!a.one("audit-log").empty()) {
      audit.open(a.one("audit-log"));
      router.audit = &audit;
    }
    HttpServer server(router, hub, authn, dir);
    std::string host = listen.substr(0, colon);
    uint16_t port = server.bind(host, static_cast<uint16_t>(std::stoi(listen.substr(colon + 1))));
    router.serverAddress = host + ":" + std::to_string(port);

    std::string ca = pki::readFile(dir + "/ca.crt");
    if (!std::filesystem::exists(dir + "/admin.crt") || !std::filesystem::exists(dir + "/admin.key")) {
      auto admin = pki::issueClient(dir, "admin", {"system:masters"});
      pki::writeFile(dir + "/admin.crt", admin.certPem);
      pki::writeFile(dir + "/admin.key", admin.keyPem, true);
    }
    pki::Issued admin{pki::readFile(dir + "/admin.crt"), pki::readFile(dir + "/admin.key")};
    pki::writeFile(dir + "/admin.kubeconfig", pki::kubeconfig("https://" + host + ":" + std::to_string(port), ca, "admin", &admin, ""),
                   true);
    pki::writeFile(dir + "/port", std::to_string(port) + "\n");

    std::thread([&store, stateFile, &stopSignals] {
      int sig = 0;
      sigwait(&stopSignals, &sig);
      if (!stateFile.empty()) {
        try {
          // The store stays locked from here on: nothing below may call into it.
          const json state = store.saveStateAndFreeze();
          pki::writeFile(stateFile, state.dump());
          spdlog::info("state saved to {} at resourceVersion {}", stateFile, state.at("resourceVersion").get<uint64_t>());
        } catch (const std::exception& e) {
          spdlog::error("saving state failed: {}", e.what());
        }
      }
      std::fflush(stdout);
      std::fflush(stderr);
      _exit(0);
    }).detach();

    // kube-controller-manager's podcertificaterequestcleaner, on the fake's clock (POST /fake/clock
    // moves it). It polls every second instead of every 5 minutes so tests that shorten the age see
    // the deletion promptly; the process ends with _exit, so the thread needs no stop.
    std::thread([&store, pcrMaxAge] {
      while (true) {
        if (size_t n = pcr::removeExpired(store, unixNow(), pcrMaxAge))
          spdlog::info("cleaner deleted {} PodCertificateRequests older than {}s", n, pcrMaxAge);
        std::this_thread::sleep_for(std::chrono::seconds(1));
      }
    }).detach();

    spdlog::info("fake-apiserver on https://{}:{}, {} RBAC rules, watch window {}", host, port, authz.ruleCount(),
                 a.one("watch-window", "10000"));
    std::cout << "LISTENING " << port << std::endl;
    server.run();
  } catch (const std::exception& e) {
    std::cerr << "fake-apiserver: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
