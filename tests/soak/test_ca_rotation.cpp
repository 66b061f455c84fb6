// CA rotation under load: the CA files (an intermediate, its key, and its root as the chain) are
// swapped during a burst the way a Kubernetes Secret volume swaps them (one atomic rename of the
// ..data symlink), three times. Every certificate must verify against the CA that was installed
// when it was issued, and the chain in its status must be that CA's chain.
#include "Soak.h"

#include <doctest/doctest.h>
#include <openssl/pem.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

using namespace soak;

namespace {

void writeFile(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path);
  out << content;
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

struct CaVersion {
  testpki::TestCa root, signing;
  Wall::time_point installing, installed;  // just before and just after the rename
};

// The ..data layout of a Secret volume: ca.crt, ca.key and chain.crt are symlinks through ..data,
// which points at one version's directory; replacing ..data swaps all three at once.
class CaFiles {
 public:
  explicit CaFiles(std::filesystem::path dir) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
    for (const char* f : {"ca.crt", "ca.key", "chain.crt"}) std::filesystem::create_symlink(std::string("..data/") + f, dir_ / f);
  }
  std::string path(const char* file) const { return (dir_ / file).string(); }
  CaVersion install(int version) {
    CaVersion v{testpki::makeCa({.commonName = "soak-root-" + std::to_string(version)}), {}, {}, {}};
    v.signing = testpki::makeIntermediate(v.root, "soak-ca-" + std::to_string(version));
    const auto versionDir = dir_ / ("v" + std::to_string(version));
    std::filesystem::create_directory(versionDir);
    writeFile(versionDir / "ca.crt", v.signing.certPem());
    writeFile(versionDir / "ca.key", testpki::keyPem(v.signing.key.get()));
    writeFile(versionDir / "chain.crt", v.root.certPem());
    std::filesystem::create_symlink(versionDir.filename(), dir_ / "..data_tmp");
    v.installing = Wall::now();
    std::filesystem::rename(dir_ / "..data_tmp", dir_ / "..data");
    v.installed = Wall::now();
    return v;
  }

 private:
  std::filesystem::path dir_;
};

std::vector<signers::X509Ptr> certificatesIn(const std::string& pem) {
  std::vector<signers::X509Ptr> out;
  signers::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(c);
  return out;
}

bool verifies(X509* leaf, const CaVersion& ca) {
  signers::X509StorePtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), ca.root.cert.get());
  X509_STORE_add_cert(store.get(), ca.signing.cert.get());
  signers::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr);
  return X509_verify_cert(ctx.get()) == 1;
}

}  // namespace

TEST_CASE("soak: CA files swapped during a burst, every certificate verifies against the CA installed when it was issued") {
  const Settings settings = Settings::fromEnvironment(seconds(0));
  std::cout << "ca-rotation: seed " << settings.seed << " (CSR_SOAK_SEED)" << std::endl;
  testpki::TempDir files;
  const std::string auditLog = (files.path() / "audit.log").string();
  itest::FakeCluster cluster({.rbacFiles = {SOAK_REQUESTERS_RBAC}, .extraArgs = {"--audit-log", auditLog}});
  const KeepArtifacts keep("ca-rotation", cluster, files);
  CaFiles caFiles(files.path() / "ca");
  std::vector<CaVersion> cas;
  cas.push_back(caFiles.install(0));
  Kubelets kubelets(cluster, 6, settings.seed);
  Replicas replicas(cluster,
                    operatorConfig(caFiles.path("ca.crt"), caFiles.path("ca.key"),
                                   ", chainFiles: [" + caFiles.path("chain.crt") + "], includeChain: true"),
                    1);
  replicas.startAll();
  REQUIRE(itest::eventually([&] { return replicas.leader().has_value(); }, seconds(20)));

  // 4 honest CSRs a second for 24 s; a new CA every 6 s.
  const auto start = Steady::now();
  std::jthread filer([&] {
    for (auto next = start; Steady::now() < start + seconds(24); next += milliseconds(250)) {
      kubelets.fileNext(false);
      std::this_thread::sleep_until(next + milliseconds(250));
    }
  });
  for (int version = 1; version <= 3; ++version) {
    std::this_thread::sleep_until(start + seconds(6 * version));
    cas.push_back(caFiles.install(version));
  }
  filer.join();
  const auto filed = kubelets.filed();
  CHECK_MESSAGE(kubelets.errors().empty(), describe(kubelets.errors()));
  AuditFold audit(auditLog);
  REQUIRE(itest::eventually(
      [&] {
        audit.readNew();
        return allDecided(audit, filed);
      },
      seconds(60), milliseconds(250)));
  CHECK_MESSAGE(safetyViolations(audit, filed).empty(), describe(safetyViolations(audit, filed)));

  // A CA is read every reloadInterval (1 s); a certificate whose signing began just before the
  // reload is written a moment later.
  const auto grace = seconds(5);
  std::map<std::string, const k8s::CertificateSigningRequest*> byUid;
  const auto list = cluster.admin().list<k8s::CertificateSigningRequest>();
  for (const auto& c : list.items) byUid[c.metadata.uid] = &c;
  std::vector<int> perCa(cas.size(), 0);
  for (const auto& f : filed) {
    INFO("csr ", f.name);
    REQUIRE(byUid.count(f.uid));
    const auto& history = audit.byUid().at(f.uid);
    REQUIRE(history.issuedAt);
    const auto certs = certificatesIn(byUid[f.uid]->status.certificate);
    REQUIRE(certs.size() == 3);
    int by = -1;
    for (size_t i = 0; i < cas.size(); ++i)
      if (verifies(certs[0].get(), cas[i])) {
        CHECK(by == -1);
        by = static_cast<int>(i);
      }
    REQUIRE(by >= 0);
    ++perCa[by];
    CHECK(testpki::certPem(certs[1].get()) == cas[by].signing.certPem());
    CHECK(testpki::certPem(certs[2].get()) == cas[by].root.certPem());
    CHECK(*history.issuedAt >= cas[by].installing);
    if (by + 1 < static_cast<int>(cas.size())) CHECK(*history.issuedAt <= cas[by + 1].installed + grace);
  }
  std::cout << "ca-rotation figures: " << filed.size() << " CSRs issued across " << cas.size() << " CAs:";
  for (int n : perCa) std::cout << " " << n;
  std::cout << std::endl;
  // The burst spans every CA: each one signed something.
  for (int n : perCa) CHECK(n > 0);
  CHECK(replicas.at(0).stop() == 0);
}
