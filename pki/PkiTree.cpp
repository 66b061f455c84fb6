#include "pki/PkiTree.h"

#include <algorithm>
#include <system_error>

namespace csrop::pki {

namespace fs = std::filesystem;

PkiTree PkiTree::at(const fs::path& root, const fs::path& caDir) {
  PkiTree t;
  t.root = root.lexically_normal();
  t.pkiDir = t.root / "pki";
  t.caDir = caDir.empty() ? t.pkiDir : caDir.lexically_normal();
  return t;
}

PkiTree PkiTree::split(const fs::path& kubeconfigDir, const fs::path& certDir, const fs::path& caDir) {
  PkiTree t;
  t.root = kubeconfigDir.lexically_normal();
  t.pkiDir = certDir.lexically_normal();
  t.caDir = caDir.empty() ? t.pkiDir : caDir.lexically_normal();
  return t;
}

fs::path PkiTree::csrPath(const CertProfile& p) const {
  return p.storage == Storage::PkiFiles ? pkiDir / (p.basePath + ".csr") : root / (p.basePath + ".csr");
}

fs::path PkiTree::certPath(const CertProfile& p) const {
  return p.storage == Storage::PkiFiles ? pkiDir / (p.basePath + ".crt") : root / p.basePath;
}

fs::path PkiTree::keyPath(const CertProfile& p) const {
  return p.storage == Storage::PkiFiles ? pkiDir / (p.basePath + ".key") : root / p.basePath;
}

fs::path PkiTree::caCertPath(const CaProfile& ca) const { return caDir / ca.certPath; }
fs::path PkiTree::caKeyPath(const CaProfile& ca) const { return caDir / ca.keyPath; }
fs::path PkiTree::treeCaCertPath(const CaProfile& ca) const { return pkiDir / ca.certPath; }

std::string PkiTree::display(const fs::path& p) const {
  auto rel = p.lexically_normal().lexically_relative(root);
  if (rel.empty() || rel.native().starts_with("..")) return p.string();
  return rel.string();
}

std::vector<fs::path> findCsrFiles(const fs::path& root) {
  std::vector<fs::path> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().extension() == ".csr" && it->is_regular_file(ec)) out.push_back(it->path().lexically_normal());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace csrop::pki
