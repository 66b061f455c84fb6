#include "tests/goparity/RequestBuilder.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <map>
#include <mutex>
#include <stdexcept>

#include "signers/Der.h"

namespace goparity {

EVP_PKEY* testKey(Key key) {
  static std::mutex mu;
  static std::map<Key, signers::EvpPkeyPtr> keys;
  std::lock_guard lock(mu);
  auto& slot = keys[key];
  if (!slot) {
    switch (key) {
      case Key::P256: slot.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")); break;
      case Key::P384: slot.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384")); break;
      case Key::P224: slot.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-224")); break;
      case Key::Secp256k1: slot.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1")); break;
      case Key::Rsa2048: slot.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048))); break;
      case Key::Ed25519: slot.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")); break;
    }
    if (!slot) throw std::runtime_error("test key generation failed");
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
  Bytes sans = sanExtension({generalName(2, "worker-1.example.com"), generalName(2, "worker-1"),
                             generalName(1, "alice@example.com"), generalName(6, "spiffe://cluster.local/ns/a/sa/b"),
                             generalName(7, Bytes(std::begin(v4), std::end(v4))), generalName(7, Bytes(std::begin(v6), std::end(v6)))});
  Bytes ku = extension("2.5.29.15", Bytes{0x03, 0x02, 0x05, 0xa0}, Bytes{0x01, 0x01, 0xff});
  Bytes bc = extension("2.5.29.19", Bytes{0x30, 0x00});
  p.attributes = extensionRequest({sans, ku, bc});
  return p;
}

}  // namespace goparity
