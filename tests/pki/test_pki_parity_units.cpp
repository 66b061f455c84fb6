// kubeadm parity of the pki command line, called directly: the tabwriter layout of `certs
// check-expiration`, pflag-style flags, kubeadm's control-plane endpoint rules.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "pki/KubeadmConfig.h"
#include "pki/PkiArgs.h"
#include "pki/TabWriter.h"
#include "tests/support/TestPki.h"

using csrop::pki::PkiArgs;
using csrop::pki::PkiUsageError;

TEST_CASE("pki tabwriter: kubeadm v1.33's check-expiration table byte for byte, trailing padding included") {
  // Cells as cmd/kubeadm/app/cmd/certs.go (certTextPrinter) formats them; the expected text is the
  // output of `kubeadm certs check-expiration` on a v1.33 cluster (a public transcript).
  std::vector<std::vector<std::string>> lines = {
      {"CERTIFICATE", "EXPIRES", "RESIDUAL TIME", "CERTIFICATE AUTHORITY", "EXTERNALLY MANAGED"}};
  for (const auto& [name, ca] : std::vector<std::pair<std::string, std::string>>{{"admin.conf", "ca"},
                                                                                 {"apiserver", "ca"},
                                                                                 {"apiserver-etcd-client", "etcd-ca"},
                                                                                 {"apiserver-kubelet-client", "ca"},
                                                                                 {"front-proxy-client", "front-proxy-ca"}}) {
    lines.push_back({name, "Aug 19, 2026 09:03 UTC", "360d", ca, "no      "});
  }
  lines.push_back({""});
  lines.push_back({"CERTIFICATE AUTHORITY", "EXPIRES", "RESIDUAL TIME", "EXTERNALLY MANAGED"});
  lines.push_back({"ca", "Aug 17, 2035 09:03 UTC", "9y", "no      "});
  lines.push_back({"front-proxy-ca", "Aug 17, 2035 09:03 UTC", "9y", "no      "});
  const std::string expected =
      "CERTIFICATE                EXPIRES                  RESIDUAL TIME   CERTIFICATE AUTHORITY   EXTERNALLY MANAGED\n"
      "admin.conf                 Aug 19, 2026 09:03 UTC   360d            ca                      no      \n"
      "apiserver                  Aug 19, 2026 09:03 UTC   360d            ca                      no      \n"
      "apiserver-etcd-client      Aug 19, 2026 09:03 UTC   360d            etcd-ca                 no      \n"
      "apiserver-kubelet-client   Aug 19, 2026 09:03 UTC   360d            ca                      no      \n"
      "front-proxy-client         Aug 19, 2026 09:03 UTC   360d            front-proxy-ca          no      \n"
      "\n"
      "CERTIFICATE AUTHORITY   EXPIRES                  RESIDUAL TIME   EXTERNALLY MANAGED\n"
      "ca                      Aug 17, 2035 09:03 UTC   9y              no      \n"
      "front-proxy-ca          Aug 17, 2035 09:03 UTC   9y              no      \n";
  CHECK(csrop::pki::tabwrite(lines) == expected);
}

TEST_CASE("pki tabwriter: a missing row (\"!MISSING! %s\\t\\t\\t\\t\") pads its empty cells like Go, and minwidth applies") {
  const std::vector<std::vector<std::string>> lines = {{"CERTIFICATE", "EXPIRES", "X"}, {"!MISSING! apiserver", "", ""}, {"a", "b", "c"}};
  CHECK(csrop::pki::tabwrite(lines) ==
        "CERTIFICATE           EXPIRES   X\n"
        "!MISSING! apiserver             \n"
        "a                     b         c\n");
}

TEST_CASE("pki flags: kubeadm's -o spellings, repeated and comma-separated --org") {
  PkiArgs a({"-o", "json"}, {"o", "output"}, {});
  CHECK(a.value("o") == "json");
  CHECK(PkiArgs({"-ojson"}, {"o"}, {}).value("o") == "json");
  CHECK(PkiArgs({"-o=yaml"}, {"o"}, {}).value("o") == "yaml");
  CHECK_THROWS_AS(PkiArgs({"-x", "1"}, {"o"}, {}), PkiUsageError);

  PkiArgs orgs({"--org", "appdevs,viewers", "--org=ops"}, {"org"}, {});
  CHECK(orgs.list("org") == std::vector<std::string>{"appdevs", "viewers", "ops"});
  CHECK(PkiArgs({}, {"org"}, {}).list("org").empty());
  CHECK_THROWS_WITH_AS(PkiArgs({"--org", "a,,b"}, {"org"}, {}).list("org"), "--org has an empty item in \"a,,b\"", PkiUsageError);
}

TEST_CASE("pki kubeadm config: the server as kubeadm's GetControlPlaneEndpoint builds it") {
  using csrop::pki::endpointUrl;
  CHECK(endpointUrl("some-dns-address:6443", 6443).value() == "https://some-dns-address:6443");
  CHECK(endpointUrl("cp.example.com", 7443).value() == "https://cp.example.com:7443");
  CHECK(endpointUrl("10.0.0.1:443", 6443).value() == "https://10.0.0.1:443");
  CHECK(endpointUrl("fd00::1", 6443).value() == "https://[fd00::1]:6443");
  CHECK(endpointUrl("[fd00::1]:8443", 6443).value() == "https://[fd00::1]:8443");
  CHECK_FALSE(endpointUrl("cp.example.com:99999", 6443).ok());
  CHECK_FALSE(endpointUrl("bad_host:6443", 6443).ok());
  CHECK_FALSE(endpointUrl("cp:", 6443).ok());
  CHECK(csrop::pki::checkServerUrl("https://127.0.0.1:6443").ok());
  CHECK_FALSE(csrop::pki::checkServerUrl("http://127.0.0.1:6443").ok());
  CHECK_FALSE(csrop::pki::checkServerUrl("https://127.0.0.1:6443/path").ok());
  CHECK_FALSE(csrop::pki::checkServerUrl("https://a b:6443").ok());

  testpki::TempDir dir;
  auto withEndpoint = csrop::pki::readKubeadmConfig(dir.write("a.yaml",
                                                              "apiVersion: kubeadm.k8s.io/v1beta3\n"
                                                              "kind: ClusterConfiguration\n"
                                                              "clusterName: prod\n"
                                                              "controlPlaneEndpoint: cp.example.com\n"
                                                              "certificatesDir: /srv/pki\n"
                                                              "---\n"
                                                              "apiVersion: kubeadm.k8s.io/v1beta3\n"
                                                              "kind: InitConfiguration\n"
                                                              "localAPIEndpoint: {advertiseAddress: 10.0.0.5, bindPort: 7443}\n"
                                                              "---\n"
                                                              "apiVersion: kubelet.config.k8s.io/v1beta1\n"
                                                              "kind: KubeletConfiguration\n"
                                                              "serverTLSBootstrap: true\n"));
  REQUIRE(withEndpoint.ok());
  CHECK(withEndpoint.value().clusterName == "prod");
  CHECK(withEndpoint.value().server == "https://cp.example.com:7443");
  CHECK(withEndpoint.value().certificatesDir == "/srv/pki");

  auto advertised = csrop::pki::readKubeadmConfig(dir.write("b.yaml",
                                                            "apiVersion: kubeadm.k8s.io/v1beta4\n"
                                                            "kind: InitConfiguration\n"
                                                            "localAPIEndpoint:\n  advertiseAddress: 192.168.1.10\n"));
  REQUIRE(advertised.ok());
  CHECK(advertised.value().server == "https://192.168.1.10:6443");
  CHECK(advertised.value().clusterName == "kubernetes");
  CHECK(advertised.value().certificatesDir == "/etc/kubernetes/pki");

  auto none = csrop::pki::readKubeadmConfig(dir.write("c.yaml", "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n"));
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().find("sets neither controlPlaneEndpoint nor localAPIEndpoint.advertiseAddress; set one, or pass --server") !=
        std::string::npos);
  auto notKubeadm = csrop::pki::readKubeadmConfig(dir.write("d.yaml", "kind: Config\napiVersion: v1\n"));
  REQUIRE_FALSE(notKubeadm.ok());
  CHECK(notKubeadm.error().find("has no kubeadm.k8s.io ClusterConfiguration or InitConfiguration") != std::string::npos);
  CHECK_FALSE(csrop::pki::readKubeadmConfig(dir.write("e.yaml", "kind: [unclosed\n")).ok());
  CHECK_FALSE(csrop::pki::readKubeadmConfig((dir.path() / "absent.yaml").string()).ok());
}
