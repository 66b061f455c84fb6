// `csr-operator explain --file` from argv to output and exit code (controller/ExplainCommand.h).
#include "controller/Commands.h"
#include "k8sclient/Base64.h"
#include "tests/controller/FakeEnvironment.h"
#include "tests/support/TestPki.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <sstream>

namespace {

struct Outcome {
  int code;
  std::string out, err;
};

Outcome runArgs(const std::vector<std::string>& args) {
  const configtest::FakeEnvironment none;
  std::ostringstream out, err;
  const int code = csrop::runCommandLine(args, none, out, err, [](const csrop::CommandLine&) { return 42; });
  return {code, out.str(), err.str()};
}

std::string servingPem(const std::vector<std::string>& ips) {
  testpki::CsrOptions o;
  o.subject = {{"O", "system:nodes"}, {"CN", "system:node:worker-1"}};
  o.dnsNames = {"worker-1"};
  o.ips = ips;
  return testpki::makeCsr(o);
}

// As `kubectl get csr NAME -o yaml` prints a kubelet's serving CSR, created long enough ago that no
// address is still waited for.
std::string csrYaml(const std::string& name, const std::string& pem) {
  return "apiVersion: certificates.k8s.io/v1\n"
         "kind: CertificateSigningRequest\n"
         "metadata:\n"
         "  creationTimestamp: \"2024-05-01T10:00:00Z\"\n"
         "  name: " +
         name +
         "\n"
         "  resourceVersion: \"4711\"\n"
         "spec:\n"
         "  groups:\n"
         "  - system:nodes\n"
         "  - system:authenticated\n"
         "  request: " +
         k8s::base64Encode(pem) +
         "\n"
         "  signerName: kubernetes.io/kubelet-serving\n"
         "  usages:\n"
         "  - digital signature\n"
         "  - server auth\n"
         "  username: system:node:worker-1\n"
         "status: {}\n";
}

// As `kubectl get nodes -o yaml` prints two Nodes.
const char* kNodesYaml = R"(apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata:
    name: worker-1
  status:
    addresses:
    - address: 10.0.0.1
      type: InternalIP
    - address: worker-1
      type: Hostname
- apiVersion: v1
  kind: Node
  metadata:
    name: worker-2
  status:
    addresses:
    - address: 10.0.0.2
      type: InternalIP
metadata:
  resourceVersion: ""
)";

struct Files {
  testpki::TempDir dir;
  std::string config = dir.write("config.yaml", "logLevel: warn\n");
  std::string nodes = dir.write("nodes.yaml", kNodesYaml);
};

}  // namespace

TEST_CASE("explain --file: an honest CSR and its Node are approved, every check listed, exit 0") {
  Files f;
  const auto csr = f.dir.write("csr.yaml", csrYaml("honest", servingPem({"10.0.0.1"})));
  const auto r = runArgs({"explain", "--config", f.config, "--file", csr, "--node", f.nodes});
  CAPTURE(r.err);
  CHECK(r.code == 0);
  CHECK(r.out.find("csr: honest signer=\"kubernetes.io/kubelet-serving\" requester=\"system:node:worker-1\" mode=file\n") == 0);
  CHECK(r.out.find("note: file mode: Node identity from the --node files only") != std::string::npos);
  CHECK(r.out.find("kubelet-serving requesterIsNode passed: ") != std::string::npos);
  CHECK(r.out.find("kubelet-serving allowedCIDRs off: approver.kubeletServing.allowedCIDRs is empty\n") != std::string::npos);
  CHECK(r.out.find("kubelet-serving addressOwnership passed: ") != std::string::npos);
  CHECK(r.out.find("\nverdict: approve reason=AutoApproved message=\"csr-operator verified that node \\\"worker-1\\\" owns") !=
        std::string::npos);
}

TEST_CASE("explain --file: an IP SAN that is not the node's is denied at addressOwnership, exit 1") {
  Files f;
  const auto csr = f.dir.write("csr.yaml", csrYaml("hostile", servingPem({"10.0.0.99"})));
  const auto r = runArgs({"explain", "--config", f.config, "--file", csr, "--node", f.nodes});
  CHECK(r.code == 1);
  CHECK(r.out.find("kubelet-serving nodeExists passed: the Node exists\n") != std::string::npos);
  CHECK(r.out.find("kubelet-serving addressOwnership DENY: IP 10.0.0.99 is not one of node worker-1's addresses\n") != std::string::npos);
  CHECK(r.out.find("kubelet-serving dnsResolution off: ") != std::string::npos);
  CHECK(r.out.find("verdict: deny reason=IPNotOwnedByNode ") != std::string::npos);

  // Another Node's address, a JSON file, and the machine-readable output.
  nlohmann::json object = nlohmann::json::parse(R"({"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
      "metadata": {"name": "taker", "creationTimestamp": "2024-05-01T10:00:00Z"},
      "spec": {"signerName": "kubernetes.io/kubelet-serving", "usages": ["digital signature", "server auth"],
               "username": "system:node:worker-1", "groups": ["system:nodes"]}})");
  object["spec"]["request"] = k8s::base64Encode(servingPem({"10.0.0.2"}));
  const auto json = f.dir.write("csr.json", object.dump());
  const auto j = runArgs({"explain", "--config", f.config, "--file", json, "--node", f.nodes, "-o", "json"});
  CHECK(j.code == 1);
  const auto out = nlohmann::json::parse(j.out);
  CHECK(out["mode"] == "file");
  CHECK(out["verdict"]["decision"] == "deny");
  CHECK(out["verdict"]["reason"] == "AddressClaimedByOtherNode");
  CHECK(out["exitCode"] == 1);
  bool denied = false;
  for (const auto& row : out["checks"])
    if (row["check"] == "addressOwnership") denied = row["result"] == "deny";
  CHECK(denied);
}

TEST_CASE("explain --file: without its Node the CSR is denied at nodeExists, and approve-only mode turns a deny into skip, exit 3") {
  Files f;
  const auto csr = f.dir.write("csr.yaml", csrYaml("orphan", servingPem({"10.0.0.1"})));
  const auto alone = runArgs({"explain", "--config", f.config, "--file", csr});
  CHECK(alone.code == 1);
  CHECK(alone.out.find("kubelet-serving nodeExists DENY: ") != std::string::npos);
  const auto skipped = runArgs({"explain", "--config", f.config, "--file", csr, "--skip-deny-step"});
  CHECK(skipped.code == 3);
  CHECK(skipped.out.find("verdict: skip reason=NodeNotFound message=\"approve-only mode, not denying: ") != std::string::npos);
}

TEST_CASE("explain: usage errors and unreadable files") {
  Files f;
  CHECK(runArgs({"explain", "--config", f.config}).err ==
        "csr-operator: explain takes a CSR: its NAME in the cluster, or --file CSR.yaml (not both)\nsee 'csr-operator explain --help'\n");
  CHECK(runArgs({"explain", "--config", f.config, "a", "--file", "b"}).code == 2);
  CHECK(runArgs({"explain", "--config", f.config, "a", "b"}).code == 2);
  CHECK(runArgs({"explain", "--config", f.config, "a", "--node", "n.yaml"}).err ==
        "csr-operator: --node goes with --file; NAME reads the Nodes from the cluster\nsee 'csr-operator explain --help'\n");
  CHECK(runArgs({"explain", "--config", f.config, "a", "-o", "wide"}).code == 2);
  CHECK(runArgs({"explain", "--config", f.config, "a", "--timeout", "soon"}).code == 2);
  const auto missing = runArgs({"explain", "--config", f.config, "--file", "/nonexistent/csr.yaml"});
  CHECK(missing.code == 4);
  CHECK(missing.err.rfind("csr-operator explain: --file /nonexistent/csr.yaml: ", 0) == 0);
  const auto notCsr = runArgs({"explain", "--config", f.config, "--file", f.nodes});
  CHECK(notCsr.code == 4);
  CHECK(notCsr.err.find("kind is 'List', not CertificateSigningRequest") != std::string::npos);
}
