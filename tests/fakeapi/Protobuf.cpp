#include "tests/fakeapi/Protobuf.h"

#include <functional>

namespace fakeapi::pb {

namespace {

class Reader {
 public:
  explicit Reader(const std::string& d) : d_(d) {}
  bool done() const { return pos_ >= d_.size(); }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= d_.size()) fail();
      auto b = static_cast<uint8_t>(d_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    fail();
  }
  // Calls fn(fieldNumber, wireType, bytesForLengthDelimited, varintValue) for each field.
  void each(const std::function<void(int, int, const std::string&, uint64_t)>& fn) {
    while (!done()) {
      uint64_t tag = varint();
      int num = static_cast<int>(tag >> 3), wt = static_cast<int>(tag & 7);
      if (wt == 0) {
        fn(num, wt, {}, varint());
      } else if (wt == 2) {
        uint64_t len = varint();
        if (len > d_.size() - pos_) fail();
        std::string b = d_.substr(pos_, len);
        pos_ += len;
        fn(num, wt, b, 0);
      } else if (wt == 1) {
        skip(8);
      } else if (wt == 5) {
        skip(4);
      } else {
        fail();
      }
    }
  }

 private:
  void skip(size_t n) {
    if (n > d_.size() - pos_) fail();
    pos_ += n;
  }
  [[noreturn]] static void fail() { throw badRequest("unable to decode protobuf body: truncated or malformed message"); }
  const std::string& d_;
  size_t pos_ = 0;
};

json decodeTime(const std::string& b) {
  int64_t seconds = 0;
  Reader(b).each([&](int n, int, const std::string&, uint64_t v) {
    if (n == 1) seconds = static_cast<int64_t>(v);
  });
  // Go encodes a zero metav1.Time as an empty message; JSON spells it null.
  if (seconds == 0) return nullptr;
  return formatRfc3339(seconds);
}

json decodeStringMap(const std::string& b, json& into) {
  std::string k, v;
  Reader(b).each([&](int n, int, const std::string& s, uint64_t) {
    if (n == 1) k = s;
    if (n == 2) v = s;
  });
  into[k] = v;
  return into;
}

json decodeMeta(const std::string& b) {
  json m = json::object();
  Reader(b).each([&](int n, int, const std::string& s, uint64_t) {
    switch (n) {
      case 1: m["name"] = s; break;
      case 2: m["generateName"] = s; break;
      case 3: m["namespace"] = s; break;
      case 5: m["uid"] = s; break;
      case 6: m["resourceVersion"] = s; break;
      case 8: m["creationTimestamp"] = decodeTime(s); break;
      case 11: decodeStringMap(s, m["labels"]); break;
      case 12: decodeStringMap(s, m["annotations"]); break;
      case 14: m["finalizers"].push_back(s); break;
      default: break;
    }
  });
  return m;
}

json decodeSpec(const std::string& b) {
  json spec = json::object();
  Reader(b).each([&](int n, int, const std::string& s, uint64_t v) {
    switch (n) {
      case 1: spec["request"] = base64Encode(s); break;
      case 2: spec["username"] = s; break;
      case 3: spec["uid"] = s; break;
      case 4: spec["groups"].push_back(s); break;
      case 5: spec["usages"].push_back(s); break;
      case 6: {
        std::string key;
        json items = json::array();
        Reader(s).each([&](int en, int, const std::string& es, uint64_t) {
          if (en == 1) key = es;
          if (en == 2)
            Reader(es).each([&](int in, int, const std::string& is, uint64_t) {
              if (in == 1) items.push_back(is);
            });
        });
        spec["extra"][key] = items;
        break;
      }
      case 7: spec["signerName"] = s; break;
      case 8: spec["expirationSeconds"] = static_cast<int32_t>(v); break;
      default: break;
    }
  });
  return spec;
}

json decodeCondition(const std::string& b) {
  json c = json::object();
  Reader(b).each([&](int n, int, const std::string& s, uint64_t) {
    switch (n) {
      case 1: c["type"] = s; break;
      case 2: c["reason"] = s; break;
      case 3: c["message"] = s; break;
      case 4: c["lastUpdateTime"] = decodeTime(s); break;
      case 5: c["lastTransitionTime"] = decodeTime(s); break;
      case 6: c["status"] = s; break;
      default: break;
    }
  });
  return c;
}

json decodeStatus(const std::string& b) {
  json st = {{"conditions", json::array()}};
  Reader(b).each([&](int n, int, const std::string& s, uint64_t) {
    if (n == 1) st["conditions"].push_back(decodeCondition(s));
    if (n == 2) st["certificate"] = base64Encode(s);
  });
  return st;
}

}  // namespace

json decodeCsr(const std::string& body) {
  static const std::string magic("k8s\0", 4);
  if (body.compare(0, magic.size(), magic) != 0) throw badRequest("protobuf body does not start with the k8s magic prefix");
  std::string payload = body.substr(magic.size());
  std::string apiVersion, kind, raw;
  Reader(payload).each([&](int n, int, const std::string& s, uint64_t) {
    if (n == 1)
      Reader(s).each([&](int tn, int, const std::string& ts, uint64_t) {
        if (tn == 1) apiVersion = ts;
        if (tn == 2) kind = ts;
      });
    if (n == 2) raw = s;
  });
  if (kind != "CertificateSigningRequest" || apiVersion != "certificates.k8s.io/v1")
    throw ApiError(415, "UnsupportedMediaType",
                   "the protobuf body holds " + apiVersion + "/" + kind +
                       "; this server decodes only certificates.k8s.io/v1 CertificateSigningRequest");
  json obj = {{"apiVersion", apiVersion}, {"kind", kind}, {"metadata", json::object()}};
  Reader(raw).each([&](int n, int, const std::string& s, uint64_t) {
    if (n == 1) obj["metadata"] = decodeMeta(s);
    if (n == 2) obj["spec"] = decodeSpec(s);
    if (n == 3) obj["status"] = decodeStatus(s);
  });
  return obj;
}

std::string varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
  return out;
}

std::string field(int number, const std::string& bytes) {
  return varint(static_cast<uint64_t>(number) << 3 | 2) + varint(bytes.size()) + bytes;
}

std::string fieldVarint(int number, uint64_t v) { return varint(static_cast<uint64_t>(number) << 3) + varint(v); }

std::string envelope(const std::string& apiVersion, const std::string& kind, const std::string& raw) {
  return std::string("k8s\0", 4) + field(1, field(1, apiVersion) + field(2, kind)) + field(2, raw) + field(3, "") + field(4, "");
}

}  // namespace fakeapi::pb
