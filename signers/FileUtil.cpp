#include "signers/FileUtil.h"

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

}  // namespace signers
