#include "pki/PkiCheckExpiration.h"

#include <algorithm>
#include <cctype>
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
#include "pki/TabWriter.h"
#include "signers/Validity.h"

namespace csrop::pki {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

namespace {

// One entry of kubeadm's output.kubeadm.k8s.io/v1alpha3 Certificate (cmd/kubeadm/app/apis/output/
// v1alpha3/types.go), plus what csr-operator reports beside it on stderr and in the exit code.
struct Row {
  std::string name;
  std::string shownAs;  // the file, for messages
  bool missing = false;
  std::string invalid;  // why the file could not be read
  Clock::time_point notAfter{};
  std::string caName;  // empty for CA rows
  bool externallyManaged = false;
  bool expiringSoon = false;

  bool present() const { return !missing && invalid.empty(); }
};

// "Dec 30, 2020 23:36 UTC": Go's "Jan 02, 2006 15:04 MST" on a UTC time.
std::string kubeadmDate(Clock::time_point t) {
  std::time_t tt = Clock::to_time_t(t);
  struct tm tm {};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%b %d, %Y %H:%M UTC", &tm);
  return buf;
}

// ResidualTimeSeconds: int64(time.Until(expiration) / time.Second), truncated toward zero.
long long residualSeconds(const Row& r, Clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::seconds>(r.notAfter - now).count();
}

// kubeadm prints yesNo(...) with "%-8v".
std::string yesNo(bool b) { return b ? "yes     " : "no      "; }

std::string text(const std::vector<Row>& certs, const std::vector<Row>& cas, Clock::time_point now) {
  // The cells of fetchCertificateExpirationInfo's text printer (certTextPrinter.PrintObj); an
  // unreadable certificate is shaped like a missing one (kubeadm stops with an error instead).
  std::vector<std::vector<std::string>> lines = {
      {"CERTIFICATE", "EXPIRES", "RESIDUAL TIME", "CERTIFICATE AUTHORITY", "EXTERNALLY MANAGED"}};
  for (const auto& r : certs) {
    if (!r.present()) {
      lines.push_back({(r.missing ? "!MISSING! " : "!INVALID! ") + r.name, "", "", "", ""});
      continue;
    }
    lines.push_back({r.name, kubeadmDate(r.notAfter), shortHumanDuration(std::chrono::seconds(residualSeconds(r, now))), r.caName,
                     yesNo(r.externallyManaged)});
  }
  lines.push_back({""});
  lines.push_back({"CERTIFICATE AUTHORITY", "EXPIRES", "RESIDUAL TIME", "EXTERNALLY MANAGED"});
  for (const auto& r : cas) {
    if (!r.present()) {
      lines.push_back({(r.missing ? "!MISSING! " : "!INVALID! ") + r.name, "", "", ""});
      continue;
    }
    lines.push_back(
        {r.name, kubeadmDate(r.notAfter), shortHumanDuration(std::chrono::seconds(residualSeconds(r, now))), yesNo(r.externallyManaged)});
  }
  return tabwrite(lines);
}

// Field for field kubeadm's v1alpha3 Certificate, in its declaration order: name, expirationDate
// (metav1.Time: RFC 3339 in UTC, null when zero), residualTime (seconds), externallyManaged, caName
// (omitempty), missing. An unreadable certificate is reported as missing: it is not usable, and the
// type has no field for why (that goes to stderr).
nlohmann::ordered_json entry(const Row& r, Clock::time_point now) {
  nlohmann::ordered_json j;
  j["name"] = r.name;
  j["expirationDate"] = r.present() ? nlohmann::ordered_json(signers::formatTime(r.notAfter)) : nlohmann::ordered_json(nullptr);
  j["residualTime"] = r.present() ? residualSeconds(r, now) : 0;
  j["externallyManaged"] = r.present() && r.externallyManaged;
  if (r.present() && !r.caName.empty()) j["caName"] = r.caName;
  j["missing"] = !r.present();
  return j;
}

nlohmann::ordered_json document(const std::vector<Row>& certs, const std::vector<Row>& cas, Clock::time_point now) {
  nlohmann::ordered_json doc;
  doc["kind"] = "CertificateExpirationInfo";
  doc["apiVersion"] = "output.kubeadm.k8s.io/v1alpha3";
  doc["certificates"] = nlohmann::ordered_json::array();
  doc["certificateAuthorities"] = nlohmann::ordered_json::array();
  for (const auto& r : certs) doc["certificates"].push_back(entry(r, now));
  for (const auto& r : cas) doc["certificateAuthorities"].push_back(entry(r, now));
  return doc;
}

// kubeadm's YAML printer is sigs.k8s.io/yaml over the JSON form: keys sorted, strings that YAML would
// read as something else (a timestamp) double-quoted, null as `null`. The values here are names from
// the profile table, RFC 3339 dates, integers and booleans, so they are written directly.
void yamlValue(std::string& out, const nlohmann::ordered_json& v) {
  if (v.is_null())
    out += "null";
  else if (v.is_boolean())
    out += v.get<bool>() ? "true" : "false";
  else if (v.is_number())
    out += std::to_string(v.get<long long>());
  else {
    const std::string s = v.get<std::string>();
    const bool date = !s.empty() && std::isdigit(static_cast<unsigned char>(s[0]));
    out += date ? "\"" + s + "\"" : s;
  }
}

std::string yaml(const nlohmann::ordered_json& doc) {
  std::string out;
  auto sortedKeys = [](const nlohmann::ordered_json& object) {
    std::vector<std::string> keys;
    for (auto it = object.begin(); it != object.end(); ++it) keys.push_back(it.key());
    std::sort(keys.begin(), keys.end());
    return keys;
  };
  for (const auto& key : sortedKeys(doc)) {
    const auto& v = doc[key];
    if (!v.is_array()) {
      out += key + ": ";
      yamlValue(out, v);
      out += "\n";
      continue;
    }
    out += key + ":" + (v.empty() ? " []\n" : "\n");
    for (const auto& item : v) {
      bool first = true;
      for (const auto& field : sortedKeys(item)) {
        out += (first ? "- " : "  ") + field + ": ";
        yamlValue(out, item[field]);
        out += "\n";
        first = false;
      }
    }
  }
  return out;
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
  PkiTree tree = PkiTree::split(options.kubeconfigDir, options.certDir);
  std::error_code ec;
  for (const auto& dir : {tree.root, tree.pkiDir}) {
    if (!fs::is_directory(dir, ec)) {
      err << "error: " << dir.string() << " is not a directory (set --kubeconfig-dir and --cert-dir, or --dir for both)\n";
      return 2;
    }
  }
  auto externallyManaged = [&](CaId id) { return !fs::exists(tree.pkiDir / caProfile(id).keyPath, ec); };
  auto soon = [&](Clock::time_point notAfter) { return notAfter - options.now <= options.warnWithin; };

  std::vector<Row> certs, cas;
  for (const auto& p : certProfiles()) {
    auto installed = loadInstalled(tree, p);
    // kubelet.conf is left out like kubeadm does, unless a certificate is embedded in it (signed by pki sign).
    if (!p.showInCheckExpiration && installed.state != InstalledCertificate::State::Present) continue;
    Row row{p.name, installed.shownAs, false, "", {}, caProfile(p.ca).name, externallyManaged(p.ca), false};
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
    fs::path path = tree.treeCaCertPath(ca);
    Row row{ca.name, tree.display(path), false, "", {}, "", externallyManaged(ca.id), false};
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
  // renewal.Manager.Certificates() and CAs() are sorted by name.
  std::sort(certs.begin(), certs.end(), [](const Row& a, const Row& b) { return a.name < b.name; });
  std::sort(cas.begin(), cas.end(), [](const Row& a, const Row& b) { return a.name < b.name; });

  switch (options.output) {
    case ExpirationOutput::Text: out << text(certs, cas, options.now); break;
    case ExpirationOutput::Json: out << document(certs, cas, options.now).dump(4) << "\n"; break;
    case ExpirationOutput::Yaml: out << yaml(document(certs, cas, options.now)); break;
  }

  bool failing = false;
  for (const auto* list : {&certs, &cas}) {
    for (const auto& r : *list) {
      if (r.missing) err << "missing: " << r.name << " (" << r.shownAs << ")\n";
      if (!r.invalid.empty()) err << "error: " << r.invalid << "\n";
      if (r.expiringSoon) {
        err << (r.notAfter <= options.now ? "expired: " : "expiring soon: ") << r.name << " (NotAfter " << signers::formatTime(r.notAfter)
            << ", threshold " << shortHumanDuration(options.warnWithin) << ")\n";
      }
      failing = failing || !r.present() || r.expiringSoon;
    }
  }
  return failing ? 1 : 0;
}

}  // namespace csrop::pki
