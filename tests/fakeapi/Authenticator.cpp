#include "tests/fakeapi/Authenticator.h"

#include <fstream>
#include <sstream>

namespace fakeapi {

namespace {

std::vector<std::string> parseCsvLine(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

void addAuthenticated(UserInfo& u) {
  if (!u.inGroup("system:authenticated")) u.groups.push_back("system:authenticated");
}

}  // namespace

void Authenticator::loadTokenFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read token file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  loadTokenCsv(ss.str());
}

void Authenticator::loadTokenCsv(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  int lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.empty() || line[0] == '#') continue;
    auto f = parseCsvLine(line);
    if (f.size() < 3 || f[0].empty() || f[1].empty())
      throw std::runtime_error("token file line " + std::to_string(lineNo) + ": want token,user,uid[,\"groups\"]");
    UserInfo u{f[1], f[2], {}, json::object()};
    if (f.size() > 3) {
      std::istringstream gs(f[3]);
      std::string g;
      while (std::getline(gs, g, ','))
        if (!g.empty()) u.groups.push_back(g);
    }
    addAuthenticated(u);
    tokens_[f[0]] = u;
  }
}

std::optional<UserInfo> Authenticator::fromBearer(const std::string& header) const {
  static const std::string prefix = "Bearer ";
  if (header.size() <= prefix.size() || header.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  auto it = tokens_.find(header.substr(prefix.size()));
  if (it == tokens_.end()) return std::nullopt;
  return it->second;
}

std::optional<UserInfo> Authenticator::fromCertificate(X509* peer, bool verified) {
  if (!peer || !verified) return std::nullopt;
  X509_NAME* subject = X509_get_subject_name(peer);
  auto cn = nameEntries(subject, NID_commonName);
  if (cn.empty() || cn.front().empty()) return std::nullopt;
  UserInfo u{cn.front(), "", nameEntries(subject, NID_organizationName), json::object()};
  addAuthenticated(u);
  return u;
}

}  // namespace fakeapi
