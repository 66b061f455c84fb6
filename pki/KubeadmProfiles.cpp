#include "pki/KubeadmProfiles.h"

#include <stdexcept>
#include <tuple>

namespace csrop::pki {
namespace {

// A node name as kubeadm accepts it (DNS-1123 subdomain).
constexpr const char* kNodeName = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";

const std::vector<CaProfile>& caTable() {
  static const std::vector<CaProfile> table = {
      {CaId::Kubernetes, "ca", "ca.crt", "ca.key", "kubernetes-ca"},
      {CaId::Etcd, "etcd-ca", "etcd/ca.crt", "etcd/ca.key", "etcd-ca"},
      {CaId::FrontProxy, "front-proxy-ca", "front-proxy-ca.crt", "front-proxy-ca.key", "kubernetes-front-proxy-ca"},
  };
  return table;
}

CertProfile pkiCert(std::string name, std::string base, CaId ca, CertKind kind, std::string cn) {
  CertProfile p{};
  p.name = std::move(name);
  p.storage = Storage::PkiFiles;
  p.basePath = std::move(base);
  p.ca = ca;
  p.kind = kind;
  p.commonName = cn;
  p.commonNameHint = "\"" + cn + "\"";
  p.organizationChoices = {{}};
  return p;
}

CertProfile kubeconfigCert(std::string file, std::string cn, std::vector<std::vector<std::string>> orgs) {
  CertProfile p = pkiCert(file, file, CaId::Kubernetes, CertKind::Client, std::move(cn));
  p.storage = Storage::Kubeconfig;
  p.organizationChoices = std::move(orgs);
  return p;
}

std::vector<CertProfile> buildCertTable() {
  std::vector<CertProfile> t;

  auto apiserver = pkiCert("apiserver", "apiserver", CaId::Kubernetes, CertKind::Server, "kube-apiserver");
  apiserver.allowDnsSans = apiserver.allowIpSans = true;
  apiserver.requiredDnsSans = {"kubernetes", "kubernetes.default", "kubernetes.default.svc"};
  t.push_back(apiserver);

  t.push_back(pkiCert("apiserver-etcd-client", "apiserver-etcd-client", CaId::Etcd, CertKind::Client, "kube-apiserver-etcd-client"));

  auto kubeletClient =
      pkiCert("apiserver-kubelet-client", "apiserver-kubelet-client", CaId::Kubernetes, CertKind::Client, "kube-apiserver-kubelet-client");
  // kubeadm uses the less privileged kubeadm:cluster-admins; the table's system:masters is still accepted.
  kubeletClient.organizationChoices = {{"kubeadm:cluster-admins"}, {"system:masters"}};
  t.push_back(kubeletClient);

  t.push_back(pkiCert("etcd-healthcheck-client", "etcd/healthcheck-client", CaId::Etcd, CertKind::Client, "kube-etcd-healthcheck-client"));

  // kubeadm writes the node name as the CN of the etcd serving certificates; the table says kube-etcd.
  for (auto [name, base, cn] :
       {std::tuple{"etcd-peer", "etcd/peer", "kube-etcd-peer"}, std::tuple{"etcd-server", "etcd/server", "kube-etcd"}}) {
    auto etcd = pkiCert(name, base, CaId::Etcd, CertKind::ServerAndClient, "");
    etcd.commonNamePattern = kNodeName;
    etcd.commonNameHint = std::string("\"") + cn + "\" or the node name";
    etcd.allowDnsSans = etcd.allowIpSans = true;
    etcd.requiredDnsSans = {"localhost"};
    etcd.requiredIpSans = {"127.0.0.1"};
    t.push_back(etcd);
  }

  t.push_back(pkiCert("front-proxy-client", "front-proxy-client", CaId::FrontProxy, CertKind::Client, "front-proxy-client"));

  t.push_back(kubeconfigCert("admin.conf", "kubernetes-admin", {{"kubeadm:cluster-admins"}}));
  t.push_back(kubeconfigCert("controller-manager.conf", "system:kube-controller-manager", {{}}));
  auto kubelet = kubeconfigCert("kubelet.conf", "", {{"system:nodes"}});
  kubelet.commonNamePattern = std::string("system:node:") + kNodeName;
  kubelet.commonNameHint = "\"system:node:<nodeName>\"";
  kubelet.showInCheckExpiration = false;
  t.push_back(kubelet);
  t.push_back(kubeconfigCert("scheduler.conf", "system:kube-scheduler", {{}}));
  t.push_back(kubeconfigCert("super-admin.conf", "kubernetes-super-admin", {{"system:masters"}}));
  return t;
}

}  // namespace

std::span<const CaProfile> caProfiles() { return caTable(); }

const CaProfile& caProfile(CaId id) {
  for (const auto& ca : caTable()) {
    if (ca.id == id) return ca;
  }
  throw std::logic_error("unknown CA id");
}

std::span<const CertProfile> certProfiles() {
  static const std::vector<CertProfile> table = buildCertTable();
  return table;
}

std::vector<std::string> usagesFor(CertKind kind, bool rsaKey) {
  std::vector<std::string> usages = {"digital signature"};
  if (rsaKey) usages.push_back("key encipherment");
  if (kind != CertKind::Client) usages.push_back("server auth");
  if (kind != CertKind::Server) usages.push_back("client auth");
  return usages;
}

const char* kindName(CertKind kind) {
  switch (kind) {
    case CertKind::Server: return "server";
    case CertKind::Client: return "client";
    case CertKind::ServerAndClient: return "server, client";
  }
  return "?";
}

std::string describeOrganizations(const std::vector<std::vector<std::string>>& choices) {
  std::string out;
  for (const auto& set : choices) {
    if (!out.empty()) out += " or ";
    if (set.empty()) {
      out += "no O";
      continue;
    }
    std::string joined;
    for (const auto& o : set) joined += (joined.empty() ? "" : ", ") + o;
    out += "O=" + joined;
  }
  return out;
}

}  // namespace csrop::pki
