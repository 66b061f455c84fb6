// A strict logfmt reader for tests: key=value pairs separated by one space, a value bare (no space,
// quote, backslash or '=') or double-quoted with the escapes of signers/LogText.h. nullopt when the
// line is not logfmt, so a test fails on any line a logfmt consumer could not read.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace logtest {

using Pairs = std::vector<std::pair<std::string, std::string>>;

inline std::optional<Pairs> parseLogfmt(const std::string& line) {
  Pairs out;
  std::size_t i = 0;
  while (i < line.size()) {
    const auto eq = line.find('=', i);
    if (eq == std::string::npos || eq == i) return std::nullopt;
    std::string key = line.substr(i, eq - i);
    if (key.find_first_of(" \"\\") != std::string::npos) return std::nullopt;
    i = eq + 1;
    std::string value;
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        const char c = line[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c != '\\') {
          value += c;
          continue;
        }
        if (i >= line.size()) return std::nullopt;
        const char e = line[i++];
        if (e == 'n')
          value += '\n';
        else if (e == 'r')
          value += '\r';
        else if (e == 't')
          value += '\t';
        else if (e == '"' || e == '\\')
          value += e;
        else if (e == 'x' && i + 2 <= line.size()) {
          value += static_cast<char>(std::stoi(line.substr(i, 2), nullptr, 16));
          i += 2;
        } else if (e == 'u' && i + 4 <= line.size()) {
          const int cp = std::stoi(line.substr(i, 4), nullptr, 16);  // only C1 controls are written so
          value += static_cast<char>(0xC0 | (cp >> 6));
          value += static_cast<char>(0x80 | (cp & 0x3F));
          i += 4;
        } else
          return std::nullopt;
      }
      if (!closed) return std::nullopt;
    } else {
      const auto end = line.find(' ', i);
      value = line.substr(i, end == std::string::npos ? std::string::npos : end - i);
      if (value.empty() || value.find_first_of("\"=\\") != std::string::npos) return std::nullopt;
      i = end == std::string::npos ? line.size() : end;
    }
    out.emplace_back(std::move(key), std::move(value));
    if (i < line.size()) {
      if (line[i] != ' ' || i + 1 == line.size()) return std::nullopt;
      ++i;
    }
  }
  return out;
}

}  // namespace logtest
