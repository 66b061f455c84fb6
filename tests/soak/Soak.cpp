#include "Soak.h"

#include "k8sclient/ApiError.h"

#include <dirent.h>
#include <openssl/sha.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace soak {

namespace {

long envNumber(const char* name, long fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (*end != '\0' || n <= 0) throw std::invalid_argument(std::string(name) + "=" + v + ": expected a positive whole number");
  return n;
}

const char* kServing = "kubernetes.io/kubelet-serving";
const char* kClient = "kubernetes.io/kube-apiserver-client-kubelet";

}  // namespace

Settings Settings::fromEnvironment(seconds defaultLength) {
  Settings s{seconds(envNumber("CSR_SOAK_SECONDS", defaultLength.count())),
             static_cast<uint64_t>(envNumber("CSR_SOAK_SEED", static_cast<long>(std::random_device{}() & 0x7fffffff)))};
  s.decideBound = seconds(envNumber("CSR_SOAK_DECIDE_BOUND_SECONDS", s.decideBound.count()));
  return s;
}

Kubelets::Kubelets(itest::FakeCluster& cluster, int nodes, uint64_t seed) : cluster_(cluster), rng_(seed) {
  for (int i = 0; i < nodes; ++i) {
    Node n{"soak-node-" + std::to_string(i), "10.20.0." + std::to_string(i + 1), nullptr, ""};
    cluster.addNode(n.name, {{"InternalIP", n.ip}, {"Hostname", n.name}});
    n.client = cluster.clientFor(cluster.nodeKubeconfig(n.name));
    nodes_.push_back(std::move(n));
  }
  admin_ = cluster.clientFor(cluster.adminKubeconfig());
  intruder_ = cluster.clientFor(cluster.kubeconfigFor("mallory", {"developers"}));
}

bool Kubelets::file(k8s::KubeClient& client, const std::string& story, bool honest, const std::string& pem, const std::string& signer,
                    std::vector<std::string> usages) {
  k8s::CertificateSigningRequest csr;
  csr.metadata.name = "soak-" + std::to_string(serial_++) + "-" + story;
  csr.spec.request = pem;
  csr.spec.signerName = signer;
  csr.spec.usages = std::move(usages);
  const auto deadline = Steady::now() + seconds(30);
  while (Steady::now() < deadline) {
    try {
      std::string uid;
      try {
        uid = client.create(csr).metadata.uid;
      } catch (const std::exception& e) {
        // The create may have landed before its answer was lost (a restart, a held write).
        if (!k8s::isAlreadyExists(e)) throw;
        uid = admin_->get<k8s::CertificateSigningRequest>(csr.metadata.name).metadata.uid;
      }
      std::lock_guard g(mu_);
      filed_.push_back({csr.metadata.name, uid, story, signer, honest});
      return true;
    } catch (const k8s::ApiError& e) {
      if (!k8s::isServerError(e) && !k8s::isTooManyRequests(e) && !k8s::isGone(e)) {
        std::lock_guard g(mu_);
        errors_.push_back(csr.metadata.name + ": " + e.what());
        return false;
      }
    } catch (const std::exception&) {
      // The API server restarting: connection refused or reset.
    }
    std::this_thread::sleep_for(milliseconds(200));
  }
  std::lock_guard g(mu_);
  errors_.push_back(csr.metadata.name + ": not created within 30 s");
  return false;
}

bool Kubelets::slotFree(const std::string& slot) {
  const auto it = slots_.find(slot);
  if (it == slots_.end()) return true;
  try {
    return itest::isDecided(admin_->get<k8s::CertificateSigningRequest>(it->second));
  } catch (const std::exception&) {
    return false;  // an injected fault or a restart: ask again next time
  }
}

bool Kubelets::fileNext(bool hostile) {
  const int roll = std::uniform_int_distribution<int>(0, hostile ? 99 : 74)(rng_);
  const size_t first = std::uniform_int_distribution<size_t>(0, nodes_.size() - 1)(rng_);
  for (size_t k = 0; k < nodes_.size(); ++k) {
    Node& n = nodes_[(first + k) % nodes_.size()];
    const Node& other = nodes_[(first + k + 1) % nodes_.size()];
    testpki::CsrOptions o;
    o.subject = {{"O", "system:nodes"}, {"CN", "system:node:" + n.name}};
    k8s::KubeClient* client = n.client.get();
    std::string story, signer = kServing;
    std::vector<std::string> usages = {"digital signature", "server auth"};
    bool honest = roll < 75;
    std::string pem;
    if (roll < 40 || (roll >= 65 && roll < 75 && n.lastServingPem.empty())) {
      story = "serving", o.dnsNames = {n.name}, o.ips = {n.ip};
    } else if (roll < 65) {
      story = "client", signer = kClient, usages = {"digital signature", "client auth"};
    } else if (roll < 75) {
      // A kubelet that lost track of its issued CSR files the same request again.
      story = "refiled", o.dnsNames = {n.name}, o.ips = {n.ip}, pem = n.lastServingPem;
    } else {
      switch (roll % 7) {
        case 0: story = "other-node-ip", o.dnsNames = {n.name}, o.ips = {other.ip}; break;
        case 1: story = "foreign-ip", o.dnsNames = {n.name}, o.ips = {"10.99.0.1"}; break;
        case 2: story = "other-node-dns", o.dnsNames = {other.name}, o.ips = {n.ip}; break;
        case 3: story = "ca-request", o.dnsNames = {n.name}, o.ips = {n.ip}, o.basicConstraintsCa = true; break;
        case 4: story = "apiserver-name", o.dnsNames = {"kubernetes.default.svc"}, o.ips = {n.ip}; break;
        case 5:
          story = "client-ca-request", signer = kClient, usages = {"digital signature", "client auth"}, o.basicConstraintsCa = true;
          break;
        default: story = "not-a-node", o.dnsNames = {n.name}, o.ips = {n.ip}, client = intruder_.get(); break;
      }
    }
    // A kubelet waits for its CSR before it files the next one for the same names; pending CSRs
    // of one requester for the same names are duplicates the operator decides once, on the newest.
    std::string slot = (client == intruder_.get() ? "mallory" : n.name) + "|" + signer;
    for (const auto& name : o.dnsNames) slot += "|" + name;
    for (const auto& ip : o.ips) slot += "|" + ip;
    if (!slotFree(slot)) continue;
    auto key = testpki::freshKey(testpki::KeyKind::P256);
    o.keyOverride = key.get();
    if (pem.empty()) pem = testpki::makeCsr(o);
    if (!file(*client, story, honest, pem, signer, usages)) return false;
    slots_[slot] = filed().back().name;
    if (honest && signer == kServing) n.lastServingPem = pem;
    return true;
  }
  std::lock_guard g(mu_);
  ++skipped_;
  return true;
}

std::vector<Filed> Kubelets::filed() const {
  std::lock_guard g(mu_);
  return filed_;
}

std::vector<std::string> Kubelets::errors() const {
  std::lock_guard g(mu_);
  return errors_;
}

size_t Kubelets::skipped() const {
  std::lock_guard g(mu_);
  return skipped_;
}

size_t Kubelets::count() const {
  std::lock_guard g(mu_);
  return filed_.size();
}

std::string Usage::text() const {
  return "rss " + std::to_string(rssKiB / 1024) + " MiB, " + std::to_string(threads) + " threads, " + std::to_string(fds) + " fds";
}

Usage usageOf(int pid) {
  Usage u;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) u.rssKiB = std::atol(line.c_str() + 6);
    if (line.rfind("Threads:", 0) == 0) u.threads = std::atol(line.c_str() + 8);
  }
  if (DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str())) {
    while (const dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') ++u.fds;
    ::closedir(d);
  }
  return u;
}

Replicas::Replicas(itest::FakeCluster& cluster, const std::string& configYaml, int count) {
  for (int i = 0; i < count; ++i) {
    const std::string name = std::string("soak-replica-") + static_cast<char>('a' + i);
    users_.push_back(name);
    ops_.push_back(std::make_unique<itest::OperatorProcess>(cluster, name, configYaml, cluster.kubeconfigFor(name, {"system:masters"})));
  }
}

void Replicas::startAll() {
  for (auto& op : ops_) op->start();
}

std::optional<size_t> Replicas::leader() {
  std::optional<size_t> found;
  for (size_t i = 0; i < ops_.size(); ++i) {
    if (!ops_[i]->process().running()) continue;
    if (itest::httpGet(ops_[i]->port(), "/metrics").first != 200) return std::nullopt;
    if (ops_[i]->metric("csr_operator_leader") == 1) {
      if (found) return std::nullopt;
      found = i;
    }
  }
  return found;
}

std::vector<std::string> Replicas::exited() {
  std::vector<std::string> out;
  for (size_t i = 0; i < ops_.size(); ++i)
    if (!ops_[i]->process().running()) out.push_back(users_[i]);
  return out;
}

KeepArtifacts::~KeepArtifacts() {
  const char* keep = std::getenv("CSR_SOAK_KEEP");
  if (!keep || !*keep) return;
  const auto to = std::filesystem::path(keep) / testCase_;
  std::error_code ec;
  std::filesystem::remove_all(to, ec);
  std::filesystem::create_directories(to, ec);
  const auto options = std::filesystem::copy_options::recursive | std::filesystem::copy_options::skip_symlinks;
  std::filesystem::copy(cluster_.dir(), to / "cluster", options, ec);
  std::filesystem::copy(files_.path(), to / "files", options, ec);
  std::cout << testCase_ << ": files kept in " << to.string() << (ec ? " (incomplete: " + ec.message() + ")" : "") << std::endl;
}

std::string sha256Hex(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : digest) out += {hex[c >> 4], hex[c & 15]};
  return out;
}

Wall::time_point parseTimestamp(const std::string& s) {
  std::tm tm{};
  int micros = 0;
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &micros) !=
      7)
    throw std::invalid_argument("audit timestamp " + s + " is not RFC 3339 with microseconds");
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return Wall::from_time_t(timegm(&tm)) + std::chrono::microseconds(micros);
}

void AuditFold::readNew() {
  std::ifstream in(path_);
  in.seekg(offset_);
  for (std::string line; std::getline(in, line);) {
    if (in.eof()) break;  // a line still being written: read it next time
    offset_ = in.tellg();
    const auto e = nlohmann::json::parse(line);
    ++entries_;
    const auto& ref = e["objectRef"];
    const std::string resource =
        ref.value("resource", "") + (ref.contains("subresource") ? "/" + ref["subresource"].get<std::string>() : "");
    const int code = e["responseStatus"]["code"];
    ++tally_[e.value("verb", "") + " " + e["user"].value("username", "") + " " + resource + " " + std::to_string(code)];
    if (ref.value("resource", "") != "certificatesigningrequests" || !ref.contains("uid")) continue;
    CsrHistory& h = csrs_[ref["uid"].get<std::string>()];
    h.name = ref.value("name", "");
    const auto at = parseTimestamp(e["stageTimestamp"]);
    const auto& notes = e["annotations"];
    const bool ok = code < 300;
    const std::string verb = e.value("verb", "");
    if (verb == "create" && ok) h.createdAt = at;
    const std::string conditions = notes.value("fake-apiserver/conditions", "");
    auto has = [&](const std::string& type) { return ("," + conditions + ",").find("," + type + ",") != std::string::npos; };
    if (ok && has("Approved") && !h.approvedAt) h.approvedAt = at;
    if (ok && has("Denied") && !h.deniedAt) h.deniedAt = at;
    if (ok && has("Failed") && !h.failedAt) h.failedAt = at;
    const std::string sha = notes.value("fake-apiserver/certificate-sha256", "");
    const std::string attempted = notes.value("fake-apiserver/request-certificate-sha256", "");
    if (ref.value("subresource", "") != "status") continue;
    if (!attempted.empty() && h.published > 0 && !notes.contains("fake-apiserver/injected-fault"))
      ++(code == 409 ? h.staleAttempts : h.lateAttempts);
    if (ok && !sha.empty()) {
      if (h.certificateSha.empty()) {
        h.certificateSha = sha;
        h.issuedAt = at;
        h.issuedBy = e["user"].value("username", "");
        ++h.published;
      } else if (sha != h.certificateSha) {
        ++h.replaced;
      }
    }
  }
}

std::vector<std::string> safetyViolations(const AuditFold& audit, const std::vector<Filed>& filed) {
  std::vector<std::string> out;
  std::map<std::string, const Filed*> byUid;
  for (const auto& f : filed) byUid[f.uid] = &f;
  for (const auto& [uid, h] : audit.byUid()) {
    const auto it = byUid.find(uid);
    const bool hostile = it != byUid.end() && !it->second->honest;
    const std::string who = h.name + " (" + (it == byUid.end() ? "not filed by the test" : it->second->story) + ")";
    if (hostile && h.approvedAt) out.push_back(who + ": hostile CSR approved");
    if (hostile && h.published) out.push_back(who + ": hostile CSR signed");
    if (h.published > 1) out.push_back(who + ": certificate published " + std::to_string(h.published) + " times");
    if (h.replaced) out.push_back(who + ": certificate replaced");
    if (h.lateAttempts) out.push_back(who + ": signed again after its certificate was published (" + std::to_string(h.lateAttempts) + ")");
  }
  return out;
}

namespace {

std::optional<Wall::time_point> decidedAt(const CsrHistory& h, bool honest) { return honest ? h.issuedAt : h.deniedAt; }

}  // namespace

int staleSignings(const AuditFold& audit) {
  int n = 0;
  for (const auto& [uid, h] : audit.byUid()) n += h.staleAttempts;
  return n;
}

bool allDecided(const AuditFold& audit, const std::vector<Filed>& filed) {
  for (const auto& f : filed) {
    const auto it = audit.byUid().find(f.uid);
    if (it == audit.byUid().end() || !decidedAt(it->second, f.honest)) return false;
  }
  return true;
}

std::vector<std::string> livenessViolations(const AuditFold& audit, const std::vector<Filed>& filed, Wall::time_point faultsStopped,
                                            seconds bound) {
  std::vector<std::string> out;
  for (const auto& f : filed) {
    const std::string who = f.name + " (" + f.story + ")";
    const auto it = audit.byUid().find(f.uid);
    if (it == audit.byUid().end() || !it->second.createdAt) {
      out.push_back(who + ": no create in the audit log");
      continue;
    }
    const CsrHistory& h = it->second;
    if (f.honest && (h.deniedAt || h.failedAt)) out.push_back(who + ": honest CSR " + (h.deniedAt ? "denied" : "failed"));
    const auto decided = decidedAt(h, f.honest);
    if (!decided) {
      out.push_back(who + (f.honest ? ": never issued" : ": never denied"));
      continue;
    }
    const auto from = std::max(*h.createdAt, faultsStopped);
    if (*decided - from > bound)
      out.push_back(who + ": decided " + std::to_string(std::chrono::duration_cast<milliseconds>(*decided - from).count()) + " ms after " +
                    (*h.createdAt > faultsStopped ? "its creation" : "the faults stopped") + ", bound " + std::to_string(bound.count()) +
                    " s");
  }
  return out;
}

std::string operatorConfig(const std::string& caCertFile, const std::string& caKeyFile, const std::string& signerOptions) {
  return "workers: 2\n"
         "leaderElection: {enabled: true, namespace: kube-system, leaseDuration: 3s, renewDeadline: 2s, retryPeriod: 500ms}\n"
         "approver: {kubeletClient: {enabled: true}, kubeletServing: {addressSettle: 0s}}\n"
         "signers:\n"
         "  defaults: {caCertFile: " +
         caCertFile + ", caKeyFile: " + caKeyFile +
         "}\n"
         "  reloadInterval: 1s\n"
         "  list:\n"
         "    - {signerName: kubernetes.io/kubelet-serving" +
         signerOptions +
         "}\n"
         "    - {signerName: kubernetes.io/kube-apiserver-client-kubelet" +
         signerOptions + "}\n";
}

std::string describe(const std::vector<std::string>& violations) {
  std::string out;
  for (size_t i = 0; i < violations.size() && i < 20; ++i) out += "\n  " + violations[i];
  if (violations.size() > 20) out += "\n  ... and " + std::to_string(violations.size() - 20) + " more";
  return out;
}

}  // namespace soak
