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
  r.organizations = {"mesh", "other"};
  CHECK(p->validate(r, kUsages) == "subject organization \"other\" is not allowed by this signer");
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

TEST_CASE("custom profile: system:masters is never issued, even with allowedOrganizations [*]") {
  SignerConfig any = customConfig();
  any.allowedOrganizations = {"*"};
  auto r = goodReq();
  r.organizations = {"system:masters"};
  CHECK(compiled(any)->validate(r, kUsages) == "subject organization \"system:masters\" is never issued by a custom signer");
  SignerConfig listed = customConfig();
  listed.allowedOrganizations = {"mesh", "system:masters"};
  auto refused = CustomProfile::compile(listed);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().find("may not contain system:masters") != std::string::npos);
  listed.permitSystemMasters = true;
  CHECK_FALSE(compiled(listed)->validate(r, kUsages));
}

TEST_CASE("custom profile: allowing client auth requires commonNameRegex") {
  SignerConfig c = customConfig();
  c.commonNameRegex.clear();
  auto refused = CustomProfile::compile(c);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().find("commonNameRegex is required") != std::string::npos);
  c.allowedUsages = {"digital signature", "server auth"};
  CHECK(CustomProfile::compile(c).ok());
}

TEST_CASE("custom profile: regexes are RE2, linear on hostile input") {
  SignerConfig c = customConfig();
  c.dnsSuffixes.clear();
  c.dnsRegexes = {"(a+)+b"};
  c.commonNameRegex = "(x+x+)+y";
  auto p = compiled(c);
  auto r = goodReq();
  r.dnsNames = {std::string(200, 'a') + ".example"};
  r.commonName = std::string(60, 'x');
  CHECK(p->validate(r, kUsages));  // std::regex backtracks exponentially here; RE2 answers at once
  r = goodReq();
  r.dnsNames = {"aaab"};
  r.commonName = std::string(60, 'x');
  CHECK(p->validate(r, kUsages) == "subject common name \"" + std::string(60, 'x') + "\" is not allowed by this signer");
  auto backreference = CustomProfile::compile([] {
    SignerConfig b = customConfig();
    b.dnsRegexes = {"(a)\\1"};
    return b;
  }());
  REQUIRE_FALSE(backreference.ok());
  CHECK(backreference.error().find("not a valid RE2 regex") != std::string::npos);
}
