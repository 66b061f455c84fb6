#include "controller/RenewalContinuity.h"

#include "k8sclient/IdentityObjects.h"
#include "signers/OpenSslPtr.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

namespace csrop {
namespace {

struct CertStackFree {
  void operator()(STACK_OF(X509) * p) const { sk_X509_pop_free(p, X509_free); }
};

signers::X509Ptr fromDer(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  signers::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert && p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) cert.reset();
  return cert;
}

std::optional<std::string> verifyChain(X509* leaf, const std::vector<std::string>& chain, const std::string& caBundlePem) {
  signers::X509StorePtr store(X509_STORE_new());
  signers::BioPtr bio(BIO_new_mem_buf(caBundlePem.data(), static_cast<int>(caBundlePem.size())));
  if (!store || !bio) return "out of memory";
  int roots = 0;
  while (signers::X509Ptr ca{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
    if (X509_STORE_add_cert(store.get(), ca.get()) != 1) return "the signer's CA bundle could not be loaded";
    ++roots;
  }
  if (roots == 0) return "the signer's CA bundle holds no certificate";
  std::unique_ptr<STACK_OF(X509), CertStackFree> untrusted(sk_X509_new_null());
  for (std::size_t i = 1; i < chain.size(); ++i) {
    auto cert = fromDer(chain[i]);
    if (!cert) return "the served chain holds a certificate that does not parse";
    sk_X509_push(untrusted.get(), cert.release());
  }
  signers::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), leaf, untrusted.get()) != 1) return "out of memory";
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
  if (X509_verify_cert(ctx.get()) != 1)
    return std::string("the served certificate does not verify against the signer's CA: ") +
           X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
  return std::nullopt;
}

struct Names {
  std::set<std::string> dns, email, uri;
  std::set<std::string> ip;  // canonical text
  bool operator==(const Names&) const = default;
};

std::optional<Names> sansOf(X509* cert) {
  Names n;
  int critical = 0;
  signers::GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, &critical, nullptr)));
  if (!names) return critical == -1 ? std::optional(n) : std::nullopt;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names.get(), i);
    auto text = [](const ASN1_STRING* s) {
      return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(ASN1_STRING_length(s)));
    };
    switch (g->type) {
      case GEN_DNS: n.dns.insert(text(g->d.dNSName)); break;
      case GEN_EMAIL: n.email.insert(text(g->d.rfc822Name)); break;
      case GEN_URI: n.uri.insert(text(g->d.uniformResourceIdentifier)); break;
      case GEN_IPADD: {
        auto ip = signers::IpAddress::fromBytes(ASN1_STRING_get0_data(g->d.iPAddress),
                                                static_cast<std::size_t>(ASN1_STRING_length(g->d.iPAddress)));
        if (!ip) return std::nullopt;
        n.ip.insert(ip->toString());
        break;
      }
      default: return std::nullopt;  // a name kind a kubelet never requests: not continuous
    }
  }
  return n;
}

Names sansOf(const signers::ParsedRequest& req) {
  Names n;
  n.dns.insert(req.dnsNames.begin(), req.dnsNames.end());
  n.email.insert(req.emailAddresses.begin(), req.emailAddresses.end());
  n.uri.insert(req.uris.begin(), req.uris.end());
  for (const auto& ip : req.ipAddresses) n.ip.insert(ip.toString());
  return n;
}

std::vector<std::string> commonNames(X509* cert) {
  std::vector<std::string> out;
  X509_NAME* subject = X509_get_subject_name(cert);
  for (int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) {
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)));
    const signers::OpenSslBytesPtr owned(utf8);
    if (len < 0) return {};
    out.emplace_back(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
  }
  return out;
}

// The InternalIP is the kubelet's own claim: never let it point the operator at itself, a
// link-local metadata service or a multicast group.
bool isDialable(const signers::IpAddress& ip) {
  static const std::vector<signers::Cidr> refused = [] {
    std::vector<signers::Cidr> out;
    for (const char* c : {"0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "255.255.255.255/32", "::/128", "::1/128",
                          "fe80::/10", "ff00::/8", "::ffff:0:0/96"})
      out.push_back(*signers::Cidr::parse(c));
    return out;
  }();
  return std::none_of(refused.begin(), refused.end(), [&](const signers::Cidr& c) { return c.contains(ip); });
}

}  // namespace

std::optional<std::string> servedCertificateGap(const std::vector<std::string>& chain, const std::string& caBundlePem,
                                                const std::string& nodeName, const signers::ParsedRequest& request) {
  if (chain.empty()) return "no certificate was served";
  auto leaf = fromDer(chain.front());
  if (!leaf) return "the served certificate does not parse";
  if (auto bad = verifyChain(leaf.get(), chain, caBundlePem)) return bad;
  const std::string expected = "system:node:" + nodeName;
  const auto cns = commonNames(leaf.get());
  if (cns.size() != 1 || cns.front() != expected) return "the served certificate's CN is not " + expected;
  if (request.commonName != expected) return "the request's CN is not " + expected;
  auto served = sansOf(leaf.get());
  if (!served) return "the served certificate's subjectAltName does not parse";
  if (!(*served == sansOf(request))) return "the request's names differ from those of the served certificate";
  return std::nullopt;
}

RenewalContinuity::RenewalContinuity(NodeDirectory& nodes, TlsDialer& dialer, std::function<std::string()> caBundlePem,
                                     AddressAuthority& source, RenewalContinuityOptions options)
    : nodes_(nodes),
      dialer_(dialer),
      caBundlePem_(std::move(caBundlePem)),
      source_(source),
      options_(options),
      name_("renewalContinuity+" + std::string(source.name())) {}

std::optional<std::string> RenewalContinuity::continuityGap(const AddressRequest& request) {
  auto node = nodes_.find(request.nodeName);
  if (node.state != Lookup<k8s::Node>::State::Found) return "node " + request.nodeName + " could not be read";
  std::optional<signers::IpAddress> ip;
  for (const auto& a : node.value->addresses)
    if (a.type == "InternalIP")
      if ((ip = signers::IpAddress::parse(a.address))) break;
  if (!ip) return "node " + request.nodeName + " has no InternalIP to dial";
  if (!isDialable(*ip)) return "node " + request.nodeName + "'s InternalIP " + ip->toString() + " is not an address to dial";
  const auto port = k8s::kubeletPort(*node.value);
  if (!port) return "node " + request.nodeName + " publishes no status.daemonEndpoints.kubeletEndpoint.Port";
  auto chain = dialer_.peerChain(*ip, *port, options_.dialTimeout);
  if (!chain) return "dialling the kubelet failed: " + chain.error();
  return servedCertificateGap(chain.value(), caBundlePem_(), request.nodeName, request.request);
}

AddressVerdict RenewalContinuity::verify(const AddressRequest& request) {
  auto gap = continuityGap(request);
  if (!gap) return AddressVerdict::owned();
  spdlog::debug("node={} renewal continuity does not apply ({}); asking the {} source", request.nodeName, *gap, source_.name());
  return source_.verify(request);
}

}  // namespace csrop
