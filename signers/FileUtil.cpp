#include "signers/FileUtil.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace signers {

Result<std::string> readSmallFile(const std::string& path, std::size_t maxBytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Result<std::string>::fail(std::string(std::strerror(errno)));
  std::string data;
  char buf[8192];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    data.append(buf, static_cast<std::size_t>(in.gcount()));
    if (data.size() > maxBytes) {
      return Result<std::string>::fail("file is larger than " + std::to_string(maxBytes) + " bytes");
    }
  }
  if (in.bad()) return Result<std::string>::fail("read error");
  return Result<std::string>::ok(std::move(data));
}

namespace {

std::string errnoText() { return std::strerror(errno); }

std::string temporaryNameFor(const std::string& path) {
  unsigned char rnd[8];
  if (RAND_bytes(rnd, sizeof rnd) != 1) return {};
  std::string name = path + ".tmp-";
  for (unsigned char c : rnd) name += "0123456789abcdef"[c % 16];
  return name;
}

bool writeAll(int fd, const std::string& content) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

Result<bool> writeFileAtomically(const std::string& path, const std::string& content, mode_t mode) {
  using R = Result<bool>;
  const std::string tmp = temporaryNameFor(path);
  if (tmp.empty()) return R::fail("cannot name a temporary file for " + path + ": no randomness");
  // The umask can only take bits away from `mode`, so the file is never wider than asked for.
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return R::fail("cannot create " + tmp + ": " + errnoText() + "; check that the directory exists and is writable");
  auto abandon = [&](const std::string& what) {
    const std::string err = what + ": " + errnoText();
    ::close(fd);
    ::unlink(tmp.c_str());
    return R::fail(err);
  };
  // Gives back the bits the umask removed (a certificate stays 0644), before any content exists.
  if (::fchmod(fd, mode) != 0) return abandon("cannot set the mode of " + tmp);
  if (!writeAll(fd, content)) return abandon("cannot write " + tmp);
  if (::fsync(fd) != 0) return abandon("cannot flush " + tmp);
  if (::close(fd) != 0) {
    const std::string err = "cannot close " + tmp + ": " + errnoText();
    ::unlink(tmp.c_str());
    return R::fail(err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string err = "cannot replace " + path + ": " + errnoText();
    ::unlink(tmp.c_str());
    return R::fail(err);
  }
  return R::ok(true);
}

Result<bool> createDirectories(const std::string& path, mode_t mode) {
  using R = Result<bool>;
  if (path.empty()) return R::fail("cannot create a directory with an empty path");
  for (std::size_t pos = path.find('/', 1);; pos = path.find('/', pos + 1)) {
    const std::string prefix = pos == std::string::npos ? path : path.substr(0, pos);
    if (!prefix.empty() && ::mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST)
      return R::fail("cannot create directory " + prefix + ": " + errnoText());
    if (pos == std::string::npos) break;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return R::fail(path + " exists and is not a directory");
  return R::ok(true);
}

}  // namespace signers
