#include <doctest/doctest.h>

#include "signers/Profiles.h"

using namespace signers;

namespace {

SignerConfig customConfig() {
  SignerConfig c;
  c.signerName = "example.com/mesh";
  c.allowedUsages = {"digital signature", "server auth", "client auth"};
  c.requiredUsages = {"server auth"};
  c.allowDns = true;
  c.allowIp = true;
  c.dnsSuffixes = {".svc.cluster.local"};
  c.dnsRegexes = {"^node-[0-9]+\\.example\\.com$"};
  c.ipCidrs = {"10.0.0.0/8", "fd00::/8"};
  c.allowedOrganizations = {"mesh"};
  c.commonNameRegex = "^[a-z]+$";
  c.maxSans = 4;
  return c;
}

ParsedRequest goodReq() {
  ParsedRequest r;
  r.commonName = "web";
  r.organizations = {"mesh"};
  r.dnsNames = {"web.default.svc.cluster.local", "node-7.example.com"};
  r.ipAddresses = {*IpAddress::parse("10.1.2.3")};
  r.keyType = KeyType::EcP256;
  return r;
}

std::shared_ptr<const CustomProfile> compiled(const SignerConfig& c = customConfig()) {
  auto p = CustomProfile::compile(c);
  REQUIRE_MESSAGE(p.ok(), p.error());
  return p.value();
}

const UsageSet kUsages{"digital signature", "server auth"};

}  // namespace

TEST_CASE("custom profile: accepted request") { CHECK_FALSE(compiled()->validate(goodReq(), kUsages)); }

TEST_CASE("custom profile: usages") {
  auto p = compiled();
  CHECK(p->validate(goodReq(), {"server auth", "code signing"}));
  CHECK(p->validate(goodReq(), {"client auth"}) == "missing required usage: server auth");
}

TEST_CASE("custom profile: SAN types off by default") {
  SignerConfig c = customConfig();
  c.allowDns = c.allowIp = false;
  auto p = compiled(c);
  CHECK(p->validate(goodReq(), kUsages) == "DNS subjectAltNames are not allowed");
  auto r = goodReq();
  r.dnsNames.clear();
  CHECK(p->validate(r, kUsages) == "IP subjectAltNames are not allowed");
  r.ipAddresses.clear();
  CHECK_FALSE(p->validate(r, kUsages));
  r.emailAddresses = {"a@b.c"};
  CHECK(p->validate(r, kUsages) == "Email subjectAltNames are not allowed");
  r.emailAddresses.clear();
  r.uris = {"spiffe://x/y"};
  CHECK(p->validate(r, kUsages) == "URI subjectAltNames are not allowed");
  c.allowEmail = c.allowUri = true;
  r.emailAddresses = {"a@b.c"};
  CHECK_FALSE(compiled(c)->validate(r, kUsages));
}

TEST_CASE("custom profile: DNS suffix and regex") {
  auto p = compiled();
  auto r = goodReq();
  r.dnsNames = {"WEB.Default.SVC.cluster.local"};
  CHECK_FALSE(p->validate(r, kUsages));
  r.dnsNames = {"svc.cluster.local.evil.com"};
  CHECK(p->validate(r, kUsages));
  r.dnsNames = {"evilsvc.cluster.local"};  // suffix must start at a label boundary
  CHECK(p->validate(r, kUsages));
  r.dnsNames = {"node-x.example.com"};
  CHECK(p->validate(r, kUsages));
  r.dnsNames = {"bad_name.svc.cluster.local"};
  CHECK(p->validate(r, kUsages));
}

TEST_CASE("custom profile: IP CIDRs are family-strict") {
  auto p = compiled();
  auto r = goodReq();
  r.ipAddresses = {*IpAddress::parse("fd00::5")};
  CHECK_FALSE(p->validate(r, kUsages));
  r.ipAddresses = {*IpAddress::parse("192.168.0.1")};
  CHECK(p->validate(r, kUsages) == "IP subjectAltName 192.168.0.1 is not inside an allowed range");
  r.ipAddresses = {*IpAddress::parse("::ffff:10.0.0.1")};
  CHECK(p->validate(r, kUsages));
}

TEST_CASE("custom profile: organizations, CN regex, SAN count") {
  auto p = compiled();
  auto r = goodReq();
  r.organizations = {"mesh", "system:masters"};
  CHECK(p->validate(r, kUsages) == "subject organization \"system:masters\" is not allowed by this signer");
  r = goodReq();
  r.commonName = "Web1";
  CHECK(p->validate(r, kUsages));
  r = goodReq();
  r.dnsNames = {"a.svc.cluster.local", "b.svc.cluster.local", "c.svc.cluster.local", "d.svc.cluster.local"};
  CHECK(p->validate(r, kUsages));
  SignerConfig noOrgs = customConfig();
  noOrgs.allowedOrganizations.clear();
  CHECK(compiled(noOrgs)->validate(goodReq(), kUsages));
  noOrgs.allowedOrganizations = {"*"};
  CHECK_FALSE(compiled(noOrgs)->validate(goodReq(), kUsages));
}

TEST_CASE("custom profile: bad configuration is refused at compile") {
  auto bad = [](auto mutate) {
    SignerConfig c = customConfig();
    mutate(c);
    return CustomProfile::compile(c);
  };
  CHECK_FALSE(bad([](SignerConfig& c) { c.allowedUsages.clear(); }).ok());
  CHECK_FALSE(bad([](SignerConfig& c) { c.allowedUsages.push_back("cert sign"); }).ok());
  CHECK_FALSE(bad([](SignerConfig& c) { c.allowedUsages.push_back("any"); }).ok());
  CHECK_FALSE(bad([](SignerConfig& c) { c.allowedUsages.push_back("nonsense"); }).ok());
  CHECK_FALSE(bad([](SignerConfig& c) { c.requiredUsages = {"code signing"}; }).ok());
  CHECK_FALSE(bad([](SignerConfig& c) { c.dnsRegexes = {"("}; }).ok());
  CHECK_FALSE(bad([](SignerConfig& c) { c.commonNameRegex = "[z-a]"; }).ok());
  CHECK_FALSE(bad([](SignerConfig& c) { c.ipCidrs = {"10.0.0.1"}; }).ok());
  CHECK_FALSE(bad([](SignerConfig& c) { c.dnsSuffixes = {"bad suffix"}; }).ok());
  CHECK_FALSE(bad([](SignerConfig& c) { c.maxSans = -1; }).ok());
}
