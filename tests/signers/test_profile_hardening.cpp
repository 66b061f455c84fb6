// csr-operator's signing-profile hardening (docs/security.md, "Signing profile hardening"), on
// hand-built requests: subject text, kubelet-serving names and addresses, the node's own CN, and
// the escaping every log line and Event goes through.
#include <doctest/doctest.h>

#include <chrono>

#include "signers/LogText.h"
#include "signers/Profiles.h"

using namespace signers;

namespace {

const std::vector<std::string> kServingUsages{"digital signature", "server auth"};
const std::vector<std::string> kClientUsages{"digital signature", "client auth"};
const Requester kNode{"system:node:w1", {"system:nodes", "system:authenticated"}};

ParsedRequest servingReq() {
  ParsedRequest r;
  r.commonName = "system:node:w1";
  r.organizations = {"system:nodes"};
  r.dnsNames = {"w1", "w1.example.com"};
  r.ipAddresses = {*IpAddress::parse("10.0.0.1"), *IpAddress::parse("2001:db8::1")};
  r.keyType = KeyType::EcP256;
  r.keyBits = 256;
  return r;
}

std::optional<std::string> servingProfile(const ParsedRequest& r, const Requester& who = kNode) {
  return validateKubernetesProfile(kKubeletServingSigner, r, kServingUsages, who, KeyPolicy{});
}

std::optional<std::string> withDns(const std::string& name) {
  auto r = servingReq();
  r.dnsNames = {name};
  return validateServingNames(r);
}

std::optional<std::string> withIp(const std::string& ip) {
  auto r = servingReq();
  r.ipAddresses = {*IpAddress::parse(ip)};
  return validateServingNames(r);
}

bool mentions(const std::optional<std::string>& message, const std::string& part) {
  return message && message->find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("hardening: an honest kubelet serving request passes every added rule") {
  CHECK_FALSE(validateServingNames(servingReq()));
  CHECK_FALSE(validateSubjectText(servingReq()));
  CHECK_FALSE(servingProfile(servingReq()));
  auto upper = servingReq();
  upper.dnsNames = {"W1.Example.COM"};
  CHECK_FALSE(validateServingNames(upper));
}

TEST_CASE("hardening: kubelet-serving DNS names must be plain host names") {
  CHECK(mentions(withDns("*.w1.example.com"), "wildcard"));
  CHECK(mentions(withDns("w1.example.com."), "ends with a dot"));
  CHECK(mentions(withDns("w1..example.com"), "empty label"));
  CHECK(mentions(withDns(".w1"), "empty label"));
  CHECK(mentions(withDns(std::string(64, 'a') + ".example.com"), "label longer than 63"));
  CHECK_FALSE(withDns(std::string(63, 'a') + ".example.com"));
  CHECK(mentions(withDns("w1_x.example.com"), "outside [a-z0-9-]"));
  CHECK(mentions(withDns("w1 .example.com"), "outside [a-z0-9-]"));
  CHECK(mentions(withDns("w\xC3\xA9.example.com"), "outside [a-z0-9-]"));
  CHECK(mentions(withDns("-w1.example.com"), "begins or ends with '-'"));
  std::string longName;
  while (longName.size() < 254) longName += "abcdefgh.";
  longName += "com";
  CHECK(mentions(withDns(longName), "longer than 253"));
}

TEST_CASE("hardening: a 46 KB DNS name is refused at once, quoted short") {
  const std::string huge(46 * 1024, 'a');
  const auto started = std::chrono::steady_clock::now();
  const auto message = withDns(huge);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  REQUIRE(message);
  CHECK(mentions(message, "longer than 253"));
  CHECK(message->size() < 300);
  CHECK(elapsed < std::chrono::milliseconds(100));
}

TEST_CASE("hardening: duplicate SANs are refused, DNS case-insensitively and IPs after normalising") {
  auto r = servingReq();
  r.dnsNames = {"w1.example.com", "W1.example.com"};
  CHECK(mentions(validateServingNames(r), "listed more than once"));
  r = servingReq();
  r.ipAddresses = {*IpAddress::parse("2001:db8::1"), *IpAddress::parse("2001:0db8:0:0::0001")};
  CHECK(mentions(validateServingNames(r), "2001:db8::1 is listed more than once"));
}

TEST_CASE("hardening: reserved addresses no node may claim") {
  for (const char* ip : {"0.0.0.0", "0.1.2.3", "127.0.0.1", "127.9.9.9", "169.254.169.254", "224.0.0.1", "239.255.255.255",
                         "255.255.255.255", "::", "::1", "fe80::1", "febf::1", "ff02::1", "::ffff:10.0.0.1", "::10.0.0.1"}) {
    CAPTURE(ip);
    CHECK(mentions(withIp(ip), "which no node may claim"));
  }
  for (const char* ip : {"10.0.0.1", "1.0.0.0", "126.255.255.255", "169.253.0.1", "223.255.255.255", "240.0.0.1", "2001:db8::1", "fec0::1",
                         "fd00::1", "::1:0:0:1"}) {
    CAPTURE(ip);
    CHECK_FALSE(withIp(ip));
  }
  CHECK(mentions(withIp("::ffff:10.0.0.1"), "IPv4-mapped"));
  CHECK(mentions(withIp("::10.0.0.1"), "IPv4-compatible"));
}

TEST_CASE("hardening: CN and O are bounded to 64 characters and refuse control characters") {
  auto r = servingReq();
  r.commonName = std::string(65, 'c');
  CHECK(mentions(validateSubjectText(r), "longer than 64"));
  r.commonName.clear();
  for (int i = 0; i < 64; ++i) r.commonName += "\xC3\xA9";  // 64 characters, 128 bytes
  CHECK_FALSE(validateSubjectText(r));
  for (const std::string& bad : {std::string("system:node:w1\n"), std::string("a\x7f"), std::string("a\x1b[2J"),
                                 std::string("a\xC2\x85"
                                             "b"),
                                 std::string(1, '\0')}) {
    r = servingReq();
    r.commonName = bad;
    CHECK(mentions(validateSubjectText(r), "control character"));
    r = servingReq();
    r.organizations = {"system:nodes", bad};
    CHECK(mentions(validateSubjectText(r), "subject organization"));
  }
  r = servingReq();
  r.commonName = "line\nforged";
  const auto message = validateSubjectText(r);
  REQUIRE(message);
  CHECK(message->find('\n') == std::string::npos);
}

TEST_CASE("hardening: a node gets only its own CN from the kubelet signers, bootstrap keeps KCM's rule") {
  auto other = servingReq();
  other.commonName = "system:node:w2";
  CHECK(mentions(servingProfile(other), "not the requesting node"));
  auto client = other;
  client.dnsNames.clear();
  client.ipAddresses.clear();
  CHECK(mentions(validateKubernetesProfile(kKubeletClientSigner, client, kClientUsages, kNode, KeyPolicy{}), "not the requesting node"));
  const Requester bootstrap{"system:bootstrap:abcdef", {"system:bootstrappers"}};
  CHECK_FALSE(validateKubernetesProfile(kKubeletClientSigner, client, kClientUsages, bootstrap, KeyPolicy{}));
  const Requester nodeNameWithoutGroup{"system:node:w1", {"system:authenticated"}};
  CHECK_FALSE(validateNodeCommonName(other, nodeNameWithoutGroup));
  CHECK_FALSE(validateNodeCommonName(other, Requester{}));
}

TEST_CASE("hardening: the kubernetes.io profile runs subject text, KCM, hardening, then the common rules") {
  auto r = servingReq();
  r.organizations = {"system:masters"};
  CHECK(servingProfile(r) == "subject organization is not system:nodes");
  r = servingReq();
  r.requestsCa = true;
  CHECK(mentions(servingProfile(r), "CA certificates"));
  r = servingReq();
  r.keyType = KeyType::Rsa;
  r.keyBits = 1024;
  CHECK(mentions(servingProfile(r), "RSA key of 1024 bits is too small"));
  r = servingReq();
  r.dnsNames = {"w1", "w1"};
  CHECK(mentions(servingProfile(r), "listed more than once"));
  r = servingReq();
  r.commonName = "system:node:w1\r";
  CHECK(mentions(servingProfile(r), "control character"));
  CHECK(
      mentions(validateKubernetesProfile("example.com/x", servingReq(), kServingUsages, kNode, KeyPolicy{}), "not a kubernetes.io signer"));
}

TEST_CASE("escapeForLog: one decision stays one line, quotes cannot close a field") {
  CHECK(escapeForLog("plain system:node:w1") == "plain system:node:w1");
  CHECK(escapeForLog("a\nb") == "a\\nb");
  CHECK(escapeForLog("x\" reason=AutoApproved") == "x\\\" reason=AutoApproved");
  CHECK(escapeForLog("back\\slash") == "back\\\\slash");
  CHECK(escapeForLog(std::string("\x1b[31m\t\r\x7f", 8)) == "\\x1B[31m\\t\\r\\x7F");
  CHECK(escapeForLog(std::string("nul\0", 4)) == "nul\\x00");
  CHECK(escapeForLog("C1 \xC2\x85 NEL") == "C1 \\u0085 NEL");
  CHECK(escapeForLog("caf\xC3\xA9 \xE2\x82\xAC") == "caf\xC3\xA9 \xE2\x82\xAC");
  CHECK(escapeForLog("bad \xFF \xC3") == "bad \\xFF \\xC3");
  CHECK(escapeForLog("overlong \xC0\xAF") == "overlong \\xC0\\xAF");
}
