#include <doctest/doctest.h>

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/support/TestPki.h"
#include "signers/FileUtil.h"

using namespace signers;
namespace fs = std::filesystem;

namespace {

mode_t modeOf(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Restores the process umask when a test ends.
struct UmaskScope {
  explicit UmaskScope(mode_t m) : previous(::umask(m)) {}
  ~UmaskScope() { ::umask(previous); }
  mode_t previous;
};

}  // namespace

TEST_CASE("writeFileAtomically: a key file is 0600 and a certificate 0644 whatever the umask") {
  testpki::TempDir dir;
  for (mode_t umask : {mode_t{0}, mode_t{022}, mode_t{077}}) {
    CAPTURE(umask);
    UmaskScope scope(umask);
    const auto key = dir.path() / "ca.key", cert = dir.path() / "ca.crt";
    REQUIRE(writeFileAtomically(key.string(), "secret", 0600));
    REQUIRE(writeFileAtomically(cert.string(), "public", 0644));
    CHECK(modeOf(key) == 0600);
    CHECK(modeOf(cert) == 0644);
    CHECK(readSmallFile(key.string()).value() == "secret");
  }
}

TEST_CASE("writeFileAtomically: no file in the directory is ever wider than 0600 while a key is written") {
  testpki::TempDir dir;
  UmaskScope scope(0);
  std::atomic<bool> writing{true};
  std::atomic<int> widest{0};
  std::atomic<long> looks{0};
  std::thread watcher([&] {
    while (writing.load()) {
      std::error_code ec;
      for (const auto& entry : fs::directory_iterator(dir.path(), ec)) {
        struct stat st {};
        if (::lstat(entry.path().c_str(), &st) == 0) widest.fetch_or(static_cast<int>(st.st_mode & 0177));
        looks.fetch_add(1);
      }
    }
  });
  // Keep rewriting until the watcher has looked at files many times (bounded by a deadline).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int writes = 0;
  while ((looks.load() < 2000 || writes < 200) && std::chrono::steady_clock::now() < deadline) {
    REQUIRE(writeFileAtomically((dir.path() / "k.key").string(), std::string(4096, 'k'), 0600));
    ++writes;
  }
  writing = false;
  watcher.join();
  CHECK(looks.load() >= 2000);
  CHECK(widest.load() == 0);
}

TEST_CASE("writeFileAtomically: a failed rename is an error and leaves no temporary file") {
  testpki::TempDir dir;
  const auto target = dir.path() / "occupied";
  fs::create_directories(target / "child");  // rename over a non-empty directory fails
  auto r = writeFileAtomically(target.string(), "x", 0600);
  REQUIRE_FALSE(r);
  CHECK(r.error().find("cannot replace") != std::string::npos);
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++entries;
  CHECK(entries == 1);
}

TEST_CASE("writeFileAtomically: a missing directory is an error naming the file") {
  testpki::TempDir dir;
  auto r = writeFileAtomically((dir.path() / "absent" / "x.key").string(), "x", 0600);
  REQUIRE_FALSE(r);
  CHECK(r.error().find("absent") != std::string::npos);
}

TEST_CASE("createDirectories: new directories are 0700 even with umask 0, existing ones are kept") {
  testpki::TempDir dir;
  UmaskScope scope(0);
  const auto deep = dir.path() / "pki" / "etcd";
  REQUIRE(createDirectories(deep.string()));
  CHECK(modeOf(dir.path() / "pki") == 0700);
  CHECK(modeOf(deep) == 0700);
  fs::permissions(deep, fs::perms(0750), fs::perm_options::replace);
  REQUIRE(createDirectories(deep.string()));
  CHECK(modeOf(deep) == 0750);
  const auto file = dir.path() / "file";
  REQUIRE(writeFileAtomically(file.string(), "x", 0600));
  CHECK_FALSE(createDirectories(file.string()));
}
