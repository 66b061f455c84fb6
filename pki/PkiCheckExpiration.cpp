#include "pki/PkiCheckExpiration.h"

#include <algorithm>
#include <ctime>
#include <ostream>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "pki/CertificateFacts.h"
#include "pki/InstalledCertificate.h"
#include "pki/KubeadmProfiles.h"
#include "pki/PemFiles.h"
#include "pki/PkiTree.h"
#include "signers/Validity.h"

namespace csrop::pki {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

namespace {

struct Row {
  std::string name;
  bool missing = false;
  std::string invalid;  // why the file could not be read
  Clock::time_point notAfter{};
  std::string caName;  // empty for CA rows
  bool externallyManaged = false;
  bool expiringSoon = false;
};

// "Dec 30, 2020 23:36 UTC", as kubeadm prints it.
std::string kubeadmDate(Clock::time_point t) {
  std::time_t tt = Clock::to_time_t(t);
  struct tm tm {};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%b %d, %Y %H:%M UTC", &tm);
  return buf;
}

void printTable(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  // Like Go's tabwriter(minwidth 10, padding 3) that kubeadm uses.
  std::vector<std::size_t> widths;
  for (const auto& r : rows) {
    widths.resize(std::max(widths.size(), r.size()), 0);
    for (std::size_t i = 0; i < r.size(); ++i) widths[i] = std::max(widths[i], r[i].size());
  }
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(std::max<std::size_t>(widths[i] + 3, 10) - r[i].size(), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
}

}  // namespace

std::string shortHumanDuration(std::chrono::seconds d) {
  long long s = d.count();
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 60) return std::to_string(s) + "s";
  if (s / 60 < 60) return std::to_string(s / 60) + "m";
  long long hours = s / 3600;
  if (hours < 24) return std::to_string(hours) + "h";
  if (hours < 24 * 365) return std::to_string(hours / 24) + "d";
  return std::to_string(hours / 24 / 365) + "y";
}

int runPkiCheckExpiration(const CheckExpirationOptions& options, std::ostream& out, std::ostream& err) {
  PkiTree tree = PkiTree::at(options.dir);
  std::error_code ec;
  if (!fs::is_directory(tree.root, ec)) {
    err << "error: " << tree.root.string() << " is not a directory\n";
    return 2;
  }
  auto externallyManaged = [&](CaId id) { return !fs::exists(tree.pkiDir / caProfile(id).keyPath, ec); };
  auto soon = [&](Clock::time_point notAfter) { return notAfter - options.now <= options.warnWithin; };

  std::vector<Row> certs, cas;
  for (const auto& p : certProfiles()) {
    auto installed = loadInstalled(tree, p);
    // kubelet.conf is left out like kubeadm does, unless a certificate is embedded in it (signed by pki sign).
    if (!p.showInCheckExpiration && installed.state != InstalledCertificate::State::Present) continue;
    Row row{p.name, false, "", {}, caProfile(p.ca).name, externallyManaged(p.ca), false};
    if (installed.state == InstalledCertificate::State::Missing)
      row.missing = true;
    else if (installed.state == InstalledCertificate::State::Invalid)
      row.invalid = installed.error;
    else {
      row.notAfter = certificateFacts(installed.cert.get()).notAfter;
      row.expiringSoon = soon(row.notAfter);
    }
    certs.push_back(row);
  }
  for (const auto& ca : caProfiles()) {
    Row row{ca.name, false, "", {}, "", externallyManaged(ca.id), false};
    fs::path path = tree.treeCaCertPath(ca);
    if (!fs::exists(path, ec))
      row.missing = true;
    else if (auto cert = loadCertificateFile(path, tree.display(path)); !cert)
      row.invalid = cert.error();
    else {
      row.notAfter = certificateFacts(cert.value().get()).notAfter;
      row.expiringSoon = soon(row.notAfter);
    }
    cas.push_back(row);
  }
  std::sort(certs.begin(), certs.end(), [](const Row& a, const Row& b) { return a.name < b.name; });

  bool failing = false;
  for (const auto& r : certs) failing = failing || r.expiringSoon || !r.invalid.empty();
  for (const auto& r : cas) failing = failing || r.expiringSoon || !r.invalid.empty();

  if (options.json) {
    auto toJson = [&](const Row& r) {
      nlohmann::json j = {{"name", r.name}, {"externallyManaged", r.externallyManaged}, {"missing", r.missing}};
      if (!r.caName.empty()) j["caName"] = r.caName;
      if (!r.invalid.empty()) j["invalid"] = r.invalid;
      if (!r.missing && r.invalid.empty()) {
        auto residual = std::chrono::duration_cast<std::chrono::seconds>(r.notAfter - options.now);
        j["expirationDate"] = signers::formatTime(r.notAfter);
        j["residualTime"] = residual.count() * 1000000000LL;  // nanoseconds, like kubeadm's time.Duration
        j["expiringWithinThreshold"] = r.expiringSoon;
      }
      return j;
    };
    nlohmann::json doc = {{"kind", "CertificateExpirationInfo"},
                          {"apiVersion", "output.kubeadm.k8s.io/v1alpha3"},
                          {"warnWithinSeconds", options.warnWithin.count()},
                          {"certificates", nlohmann::json::array()},
                          {"certificateAuthorities", nlohmann::json::array()}};
    for (const auto& r : certs) doc["certificates"].push_back(toJson(r));
    for (const auto& r : cas) doc["certificateAuthorities"].push_back(toJson(r));
    out << doc.dump(2) << "\n";
  } else {
    auto cells = [&](const Row& r, bool withCa) {
      if (r.missing) return std::vector<std::string>{"!MISSING! " + r.name};
      if (!r.invalid.empty()) return std::vector<std::string>{"!INVALID! " + r.name};
      auto residual = std::chrono::duration_cast<std::chrono::seconds>(r.notAfter - options.now);
      std::vector<std::string> c = {r.name, kubeadmDate(r.notAfter), shortHumanDuration(residual)};
      if (withCa) c.push_back(r.caName);
      c.push_back(r.externallyManaged ? "yes" : "no");
      return c;
    };
    std::vector<std::vector<std::string>> table = {
        {"CERTIFICATE", "EXPIRES", "RESIDUAL TIME", "CERTIFICATE AUTHORITY", "EXTERNALLY MANAGED"}};
    for (const auto& r : certs) table.push_back(cells(r, true));
    printTable(out, table);
    out << "\n";
    std::vector<std::vector<std::string>> caTable = {{"CERTIFICATE AUTHORITY", "EXPIRES", "RESIDUAL TIME", "EXTERNALLY MANAGED"}};
    for (const auto& r : cas) caTable.push_back(cells(r, false));
    printTable(out, caTable);
  }
  for (const auto& r : certs) {
    if (!r.invalid.empty()) err << "error: " << r.invalid << "\n";
  }
  for (const auto& r : cas) {
    if (!r.invalid.empty()) err << "error: " << r.invalid << "\n";
  }
  for (const auto* list : {&certs, &cas}) {
    for (const auto& r : *list) {
      if (r.expiringSoon) {
        err << (r.notAfter <= options.now ? "expired: " : "expiring soon: ") << r.name << " (NotAfter " << signers::formatTime(r.notAfter)
            << ", threshold " << shortHumanDuration(options.warnWithin) << ")\n";
      }
    }
  }
  return failing ? 1 : 0;
}

}  // namespace csrop::pki
