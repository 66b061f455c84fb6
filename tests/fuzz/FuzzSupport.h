// Helpers shared by the libFuzzer targets: a failed invariant aborts (libFuzzer records the input
// as a crash), inputs are split into parts at a fixed separator, and files the code under test must
// read from disk are written to a private temporary directory.
#pragma once

#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace fuzz {

// Prints what broke and aborts; used instead of assert so the check stays in release builds.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

inline void require(bool ok, const char* what) {
  if (!ok) fail(what);
}

inline std::string_view view(const std::uint8_t* data, std::size_t size) { return {reinterpret_cast<const char*>(data), size}; }

// The parts of an input separated by kSeparator; a dictionary entry lets the fuzzer add splits.
inline constexpr std::string_view kSeparator = "\n#FUZZ-SPLIT#\n";

inline std::vector<std::string_view> split(std::string_view input) {
  std::vector<std::string_view> parts;
  for (;;) {
    const auto at = input.find(kSeparator);
    if (at == std::string_view::npos) break;
    parts.push_back(input.substr(0, at));
    input.remove_prefix(at + kSeparator.size());
  }
  parts.push_back(input);
  return parts;
}

// Log lines would only slow the fuzzer down; the code under test still formats them.
inline void quietLogs() { spdlog::set_level(spdlog::level::off); }

// A per-process directory under $TMPDIR (removed at exit) for the files a target writes.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "csr-fuzz-XXXXXX").string();
    if (!mkdtemp(pattern.data())) fail("cannot create a scratch directory under $TMPDIR");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  // Writes content to name inside the directory (replacing it) and returns the full path.
  std::string write(const std::string& name, std::string_view content) const {
    const auto p = path_ / name;
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) fail("cannot write a scratch file");
    return p.string();
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace fuzz
