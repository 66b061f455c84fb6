#include "tests/goparity/RequestBuilder.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <map>
#include <mutex>
#include <stdexcept>

#include "signers/Der.h"

namespace goparity {

namespace {

// Fixed test keys (generated with openssl genpkey for this test only) so that the corpus is the
// same on every run: the PEM-level and byte-level mutations then edit the same text each time.
const char* testKeyPem(Key key) {
  switch (key) {
    case Key::P256:
      return R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgzh/7wrBVED19kvka
LaqmC/TCmIxnGeElXiv82Cuxg3ShRANCAATTU9BXmrgkTu2XcS6h7FIsQCn2Lnvo
31fLZNeILJrsMzU0L4z9nibscxquwnElBfv/rAO0grfIc5VdWec3EyHS
-----END PRIVATE KEY-----
)";
    case Key::P384:
      return R"(-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDCJDPWRlo7BezhFIwpy
ABSu1FQRzxzF1oWu9osRCDIg5w7+gKDD2R+YfWKCVLuxFNChZANiAAS+dm35LHWQ
Zh1mNPSb3WXKC5sBdtQ6MO9MtDipsVlK/klgyQvMd1sSaVI28weojesaEt9p4Vyk
+sGQJ5VAreV3/QxZw7Aczz3wEBsJmkQ6X/pCosTVX8R/aydJp4pM41U=
-----END PRIVATE KEY-----
)";
    case Key::P224:
      return R"(-----BEGIN PRIVATE KEY-----
MHgCAQAwEAYHKoZIzj0CAQYFK4EEACEEYTBfAgEBBBwRDeWyxc1Gbg8o1Qw5ZFqC
bB5WBQZElN0nNgfNoTwDOgAEVkQ3KbuqyZq3sC216tfJy9adnXobWddQHIJJNFFW
6Cr3KHBpWr/APD76y2vJbEhUrmUvjR0p1ug=
-----END PRIVATE KEY-----
)";
    case Key::Secp256k1:
      return R"(-----BEGIN PRIVATE KEY-----
MIGEAgEAMBAGByqGSM49AgEGBSuBBAAKBG0wawIBAQQg9OcpWBuBbX7IXhjAyUY0
Xh9Vr+9dzryhvPYCSRjSVT2hRANCAARQxNA7TsRzshX12xvhrMEl4E0kcVqJXgUX
8BDIJrxde0Yu4/VXcfdr4M89SC1I+itATKWtChRdjKsYDhX9Xl08
-----END PRIVATE KEY-----
)";
    case Key::Rsa2048:
      return R"(-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDkdRK8j3FstDOZ
CV6vjsLdLE0/SdRUpATtzz+B3vjW65Ufz93bSm9c8FCZA1TOthWM6h5X3CeMicVk
FjhnEIHekobC6BpPXisQyvz3KDylIxKo5/0tzF4rXwoV5rtJhmVkGtDVRl44yQH9
3QIqWLPOmQ0QBjKYYunscVttWHB/dpJv8RjmVcOaKgUZbN/wXQen7gpMvPQ+p+Mo
FXIX7+vLK7Tih2yAfybjH3ZX0dVkgvc22NgprSVhRHWM3wSbQgQL4SOHME4Nv3/c
I4XraQzQEroj6PizAWWgN2y8A4jNjKYeWpSpy02cI7F5Ifw0thUlGartVuhALC4R
W+TqSIjbAgMBAAECggEAG9KsQP2hPTFnFUzAVNYookIKeFo3+0Tser/iRqFOofIX
+8NXjCTxEhsMXc47jl87malLn7ymrmV6/jj8joTCpEYpFmSpC6B20zk9fKZQWHZA
iASU33aDw3l0I32xsn8lKv9fDpJe2ECWtwGrCVg7Mb6PCjQPBmMJhSu7DEKYlNUz
kD+rAgGVuiL9TzkKFB+ykr399EJV1kO3NPEU5+YaeHL4YAvtyJ5YB5rJmFynSQlO
glqXCPH15tDjaB+Yi2gIZfWw+t8dm77lrwm+9BIS8uyG5RR1VxLDvlEc0k9j0xnm
cYCZ3Hoz0FRN/31rhc5j7rOUJse5pNl3f5H79gwXhQKBgQD1AmCGI2OPTOLwk82U
OJyaZK0r9He16D6Q+fJ8EST7WvZMw+uDpCWY+L5fkf/g21EfJ5OZ0WFCk+8y7LE+
3q9LdZ6/2BXdE8ZnMiZZd4JKsUucOycTvHNFRj89e1Mfsbt9jTTa8v+K363IyR2p
56zplK8yOFrxluDkJk5bRb4KFQKBgQDutJ4dzCX/Ib79vhPgLxMjyGAJ0DPbMW2e
sCfv+y58T+VSub32N9ZZpv9N734XsvwBit14m0R3N2i43eOxFK2ra7XHNUhS9aB2
LafbS4DLOrcV5z0T6y54lbpv9v3t9c1KxvdmD+Vc0ck+QIN+w7aKGYx1dLpDE1wd
1L7wW/izLwKBgQDBUinVTZEeHf2m9AivHmg6zptxZkkayHCttfql+GUky6Yx9hkb
2uYrqIGWKT4sLwD4QyMMqJBElzOTC/3i7JSGRv2GxDqkIRlYjdKCn3C3/OL7GBWC
VhziGUaG/YseJAAbVdLRvBD0g/+8wSvdx0bBW6dNSfhATduPScZj8Ei97QKBgQCf
DkERj9d9smnGQCKUTinNvRWpVE9Jbh0iETT7Zn6qHL6sqdGXP8uXf3w83SlC92OO
T46Vb7hmS8h+7nNqqmGyiJnefHWNudfLB08DA8N1J9GZSbTcEeisNvC87HJ1XkUF
36A4JL1rZOpYjbpQ/G4khTOfjEEUstC9m+YC2PXVxwKBgHvkxsMXK4WYgcaALtOd
1CPshAW7F4HzyCRMtWkN5ICsMgElJ82jtAmC24tWVRydoR5yd/0Dm3FBwRxrYY8x
i/U49v8GdizIxq704r0gLIVHblhLsP6U7LSvUcQuIBoo9Hl5AhwcCydl2t0iiZhk
O0Jw4GRCOt4x3dqdJwrgY0rz
-----END PRIVATE KEY-----
)";
    case Key::Ed25519:
      return R"(-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIAjIQwzlBtFGZhsxwWwC5beiL2iIJ2eLJ0OawdK+LMxQ
-----END PRIVATE KEY-----
)";
  }
  return "";
}

}  // namespace

EVP_PKEY* testKey(Key key) {
  static std::mutex mu;
  static std::map<Key, signers::EvpPkeyPtr> keys;
  std::lock_guard lock(mu);
  auto& slot = keys[key];
  if (!slot) {
    const char* text = testKeyPem(key);
    signers::BioPtr bio(BIO_new_mem_buf(text, -1));
    slot.reset(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!slot) throw std::runtime_error("cannot read a fixed test key");
  }
  return slot.get();
}

Bytes tlv(unsigned char tag, const Bytes& content) { return signers::der::tlv(tag, content); }
Bytes tlv(unsigned char tag, std::string_view content) { return tlv(tag, Bytes(content.begin(), content.end())); }

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes seq(std::initializer_list<Bytes> parts) { return tlv(0x30, cat(parts)); }
Bytes set(std::initializer_list<Bytes> parts) { return tlv(0x31, cat(parts)); }
Bytes oid(std::string_view dotted) { return signers::der::oid(dotted); }
Bytes bitString(const Bytes& content) {
  Bytes bits(content.size() + 1, 0);
  std::copy(content.begin(), content.end(), bits.begin() + 1);
  return tlv(0x03, bits);
}
Bytes utf8(std::string_view s) { return tlv(0x0c, s); }
Bytes printable(std::string_view s) { return tlv(0x13, s); }

Bytes name(const std::vector<std::vector<Atv>>& rdns) {
  Bytes all;
  for (const auto& rdn : rdns) {
    Bytes atvs;
    for (const auto& atv : rdn) {
      Bytes one = seq({oid(atv.type), atv.value});
      atvs.insert(atvs.end(), one.begin(), one.end());
    }
    Bytes s = tlv(0x31, atvs);
    all.insert(all.end(), s.begin(), s.end());
  }
  return tlv(0x30, all);
}

Bytes generalName(unsigned char tag, std::string_view value) { return tlv(static_cast<unsigned char>(0x80 | tag), value); }
Bytes generalName(unsigned char tag, const Bytes& value) { return tlv(static_cast<unsigned char>(0x80 | tag), value); }

Bytes extension(std::string_view dotted, const Bytes& value, std::optional<Bytes> critical) {
  return seq({oid(dotted), critical.value_or(Bytes{}), tlv(0x04, value)});
}

Bytes sanExtension(const std::vector<Bytes>& names) {
  Bytes all;
  for (const auto& n : names) all.insert(all.end(), n.begin(), n.end());
  return extension("2.5.29.17", tlv(0x30, all));
}

Bytes attribute(std::string_view dotted, const std::vector<Bytes>& values) {
  Bytes all;
  for (const auto& v : values) all.insert(all.end(), v.begin(), v.end());
  return seq({oid(dotted), tlv(0x31, all)});
}

Bytes extensionRequest(const std::vector<Bytes>& extensions, std::string_view dotted) {
  Bytes all;
  for (const auto& e : extensions) all.insert(all.end(), e.begin(), e.end());
  return attribute(dotted, {tlv(0x30, all)});
}

Bytes spkiOf(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(key, &der);
  if (n <= 0) throw std::runtime_error("i2d_PUBKEY failed");
  Bytes out(der, der + n);
  OPENSSL_free(der);
  return out;
}

Bytes signatureAlgorithmOf(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: return seq({oid("1.2.840.113549.1.1.11"), Bytes{0x05, 0x00}});
    case EVP_PKEY_ED25519: return seq({oid("1.3.101.112")});
    default: return seq({oid("1.2.840.10045.4.3.2")});
  }
}

Bytes requestInfo(const RequestParts& parts, EVP_PKEY* signer) {
  Bytes body = cat({parts.version, parts.subject, parts.spki.empty() ? spkiOf(signer) : parts.spki});
  if (parts.attributes) {
    Bytes a = tlv(0xa0, *parts.attributes);
    body.insert(body.end(), a.begin(), a.end());
  }
  return tlv(0x30, body);
}

Bytes signRequest(const Bytes& info, EVP_PKEY* signer, const Bytes& signatureAlgorithm) {
  signers::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  const char* md = EVP_PKEY_get_base_id(signer) == EVP_PKEY_ED25519 ? nullptr : "SHA256";
  std::size_t len = 0;
  if (!ctx || EVP_DigestSignInit_ex(ctx.get(), nullptr, md, nullptr, nullptr, signer, nullptr) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, info.data(), info.size()) != 1) {
    throw std::runtime_error("signing failed");
  }
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, info.data(), info.size()) != 1) throw std::runtime_error("signing failed");
  sig.resize(len);
  return seq({info, signatureAlgorithm.empty() ? signatureAlgorithmOf(signer) : signatureAlgorithm, bitString(sig)});
}

Bytes buildRequest(const RequestParts& parts, EVP_PKEY* signer) {
  return signRequest(requestInfo(parts, signer), signer, parts.signatureAlgorithm);
}

std::string pem(const Bytes& der, std::string_view label) {
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  unsigned char line[80];
  for (std::size_t off = 0; off < der.size(); off += 48) {
    int n = EVP_EncodeBlock(line, der.data() + off, static_cast<int>(std::min<std::size_t>(48, der.size() - off)));
    out.append(reinterpret_cast<char*>(line), static_cast<std::size_t>(n));
    out += '\n';
  }
  return out + "-----END " + std::string(label) + "-----\n";
}

RequestParts richRequest(EVP_PKEY* key) {
  RequestParts p;
  p.subject = name({{{"2.5.4.6", printable("CH")}},
                    {{"2.5.4.10", printable("system:nodes")}},
                    {{"2.5.4.10", utf8("Zürich AG")}},
                    {{"2.5.4.11", utf8("unit")}, {"2.5.4.7", printable("Bern")}},
                    {{"2.5.4.3", printable("system:node:worker-1")}}});
  p.spki = spkiOf(key);
  const unsigned char v4[] = {10, 0, 0, 1};
  const unsigned char v6[] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  Bytes sans = sanExtension({generalName(2, "worker-1.example.com"), generalName(2, "worker-1"), generalName(1, "alice@example.com"),
                             generalName(6, "spiffe://cluster.local/ns/a/sa/b"), generalName(7, Bytes(std::begin(v4), std::end(v4))),
                             generalName(7, Bytes(std::begin(v6), std::end(v6)))});
  Bytes ku = extension("2.5.29.15", Bytes{0x03, 0x02, 0x05, 0xa0}, Bytes{0x01, 0x01, 0xff});
  Bytes bc = extension("2.5.29.19", Bytes{0x30, 0x00});
  p.attributes = extensionRequest({sans, ku, bc});
  return p;
}

}  // namespace goparity
