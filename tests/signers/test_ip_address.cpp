#include <doctest/doctest.h>

#include "signers/IpAddress.h"

using signers::Cidr;
using signers::IpAddress;

TEST_CASE("IpAddress parses strict v4 and v6 and prints canonical text") {
  auto v4 = IpAddress::parse("10.1.2.3");
  REQUIRE(v4);
  CHECK(v4->family == 4);
  CHECK(v4->toString() == "10.1.2.3");
  auto v6 = IpAddress::parse("2001:0DB8:0000:0000:0000:0000:0000:0001");
  REQUIRE(v6);
  CHECK(v6->family == 6);
  CHECK(v6->toString() == "2001:db8::1");
  CHECK(IpAddress::parse("2001:db8:0:1:1:1:1:1")->toString() == "2001:db8:0:1:1:1:1:1");  // single zero group kept
  CHECK(IpAddress::parse("2001:0:0:1:0:0:0:1")->toString() == "2001:0:0:1::1");           // longest run compressed
  CHECK(IpAddress::parse("::ffff:10.0.0.1")->toString() == "::ffff:10.0.0.1");
}

TEST_CASE("IpAddress refuses malformed text") {
  for (const char* bad :
       {"", "10.0.0", "10.0.0.256", "010.0.0.1", "10.0.0.1 ", "1.2.3.4.5", "fe80::1%eth0", "::g", "1:2:3:4:5:6:7:8:9", "localhost"}) {
    CAPTURE(bad);
    CHECK_FALSE(IpAddress::parse(bad));
  }
}

TEST_CASE("IpAddress equality is family-strict") {
  CHECK(*IpAddress::parse("10.0.0.1") == *IpAddress::parse("10.0.0.1"));
  CHECK_FALSE(*IpAddress::parse("10.0.0.1") == *IpAddress::parse("::ffff:10.0.0.1"));
  CHECK(*IpAddress::parse("2001:db8::1") == *IpAddress::parse("2001:DB8:0::1"));
}

TEST_CASE("Cidr parses, masks host bits and checks containment") {
  auto c = Cidr::parse("10.1.2.3/8");
  REQUIRE(c);
  CHECK(c->toString() == "10.0.0.0/8");
  CHECK(c->contains(*IpAddress::parse("10.255.0.1")));
  CHECK_FALSE(c->contains(*IpAddress::parse("11.0.0.1")));
  auto odd = Cidr::parse("192.168.4.0/22");
  REQUIRE(odd);
  CHECK(odd->contains(*IpAddress::parse("192.168.7.255")));
  CHECK_FALSE(odd->contains(*IpAddress::parse("192.168.8.0")));
  auto v6 = Cidr::parse("fd00::/8");
  REQUIRE(v6);
  CHECK(v6->contains(*IpAddress::parse("fd12::1")));
  CHECK_FALSE(v6->contains(*IpAddress::parse("fe80::1")));
  CHECK(Cidr::parse("0.0.0.0/0")->contains(*IpAddress::parse("8.8.8.8")));
}

TEST_CASE("Cidr never matches across families (IPv4-mapped v6 vs v4 range)") {
  auto v4 = Cidr::parse("10.0.0.0/8");
  CHECK_FALSE(v4->contains(*IpAddress::parse("::ffff:10.0.0.1")));
  auto all6 = Cidr::parse("::/0");
  CHECK_FALSE(all6->contains(*IpAddress::parse("10.0.0.1")));
}

TEST_CASE("Cidr refuses malformed text") {
  for (const char* bad : {"10.0.0.0", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/08", "fd00::/129", "x/8", "10.0.0.0/8/8"}) {
    CAPTURE(bad);
    CHECK_FALSE(Cidr::parse(bad));
  }
}
