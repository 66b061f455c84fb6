#include "signers/Pkcs11Uri.h"

#include <cctype>
#include <set>

namespace signers {
namespace {

constexpr std::size_t kMaxUriLength = 2048;

// RFC 7512 section 2.3: besides unreserved characters and percent-encoding, a path value may hold
// pk11-path-res-avail and "&"; a query value pk11-query-res-avail and ";".
bool allowedInPath(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("-._~:[]@!$'()*+,=&").find(c) != std::string_view::npos;
}
bool allowedInQuery(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("-._~:[]@!$'()*+,=/?|;").find(c) != std::string_view::npos;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> decode(std::string_view name, std::string_view value, bool query) {
  using R = Result<std::string>;
  if (value.empty()) return R::fail("attribute " + std::string(name) + " has an empty value; give a value or leave the attribute out");
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '%') {
      const bool twoMore = i + 2 < value.size();
      const int hi = twoMore ? hexValue(value[i + 1]) : -1;
      const int lo = twoMore ? hexValue(value[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        return R::fail("attribute " + std::string(name) + " has a '%' not followed by two hex digits; percent-encode it as %25");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (query ? allowedInQuery(c) : allowedInPath(c)) {
      out.push_back(c);
    } else {
      return R::fail("attribute " + std::string(name) + " holds a character RFC 7512 does not allow unencoded there (byte " +
                     std::to_string(static_cast<unsigned char>(c)) + "); percent-encode it");
    }
  }
  return R::ok(std::move(out));
}

std::string encode(const std::string& value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (const char c : value) {
    if (allowedInPath(c) && c != '&') {
      out.push_back(c);
    } else {
      const auto b = static_cast<unsigned char>(c);
      out += '%';
      out += hex[b >> 4];
      out += hex[b & 15];
    }
  }
  return out;
}

// Longest value each attribute can match: the fixed-size fields of CK_TOKEN_INFO / CK_SLOT_INFO,
// generous bounds for labels and ids (which are variable-length attributes).
std::size_t maxLength(std::string_view name) {
  if (name == "token" || name == "manufacturer" || name == "slot-manufacturer") return 32;
  if (name == "model" || name == "serial") return 16;
  if (name == "slot-description") return 64;
  if (name == "object") return 256;
  if (name == "id") return 128;
  if (name == "slot-id") return 20;
  return 1024;
}

std::string refusedAttribute(std::string_view name) {
  const std::string n(name);
  if (name == "pin-value" || name == "pin-source")
    return n +
           " is not accepted: a PIN in the URI would be in the configuration and in logs; put it in a file (caKeyPinFile, "
           "or --ca-key-pin-file) or an environment variable (caKeyPinEnv) instead";
  if (name == "module-name") return "module-name is not accepted: name the module by its path (pkcs11Module, or module-path)";
  if (name.starts_with("library-"))
    return n + " is not accepted: the module is chosen by its path (pkcs11Module, or module-path), not matched by its library info";
  return "unknown attribute \"" + n +
         "\"; the path accepts token, manufacturer, model, serial, slot-description, slot-manufacturer, slot-id, object, id, type "
         "and the query module-path";
}

}  // namespace

bool isPkcs11Uri(std::string_view text) {
  constexpr std::string_view scheme = "pkcs11:";
  if (text.size() < scheme.size()) return false;
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) != scheme[i]) return false;
  return true;
}

Result<Pkcs11Uri> parsePkcs11Uri(std::string_view text) {
  using R = Result<Pkcs11Uri>;
  const std::string where = "PKCS#11 URI: ";
  if (!isPkcs11Uri(text)) return R::fail(where + "must start with \"pkcs11:\"");
  if (text.size() > kMaxUriLength) return R::fail(where + "longer than " + std::to_string(kMaxUriLength) + " characters");
  text.remove_prefix(7);
  std::string_view path = text, query;
  if (const auto q = text.find('?'); q != std::string_view::npos) {
    path = text.substr(0, q);
    query = text.substr(q + 1);
    if (query.empty()) return R::fail(where + "ends with an empty query after '?'; remove the '?'");
  }
  if (text.find('#') != std::string_view::npos) return R::fail(where + "has a '#' fragment, which RFC 7512 does not define; remove it");

  Pkcs11Uri uri;
  std::set<std::string, std::less<>> seen;
  auto each = [&](std::string_view part, char separator, bool isQuery) -> std::optional<std::string> {
    if (part.empty()) return std::nullopt;
    std::size_t start = 0;
    while (start <= part.size()) {
      const auto end = std::min(part.find(separator, start), part.size());
      const std::string_view attr = part.substr(start, end - start);
      start = end + 1;
      if (attr.empty()) return std::string("has an empty attribute (two '") + separator + "' in a row, or one at the end); remove it";
      const auto eq = attr.find('=');
      if (eq == std::string_view::npos || eq == 0) return "attribute \"" + std::string(attr.substr(0, 64)) + "\" is not name=value";
      const std::string_view name = attr.substr(0, eq);
      for (const char c : name)
        if (!std::islower(static_cast<unsigned char>(c)) && c != '-')
          return "attribute name \"" + std::string(name.substr(0, 64)) + "\" is not a lowercase RFC 7512 name";
      if (!seen.insert(std::string(name)).second) return "attribute " + std::string(name) + " is given twice; keep one";
      const bool known =
          isQuery ? name == "module-path"
                  : (name == "token" || name == "manufacturer" || name == "model" || name == "serial" || name == "slot-description" ||
                     name == "slot-manufacturer" || name == "slot-id" || name == "object" || name == "id" || name == "type");
      if (!known) return refusedAttribute(name);
      auto value = decode(name, attr.substr(eq + 1), isQuery);
      if (!value) return value.error();
      std::string v = std::move(value.value());
      if (v.size() > maxLength(name))
        return "attribute " + std::string(name) + " is longer than " + std::to_string(maxLength(name)) +
               " bytes, more than the PKCS#11 field it is matched against holds";
      if (name != "id" && v.find('\0') != std::string::npos) return "attribute " + std::string(name) + " holds a NUL byte";
      if (name == "token") uri.token = v;
      if (name == "manufacturer") uri.manufacturer = v;
      if (name == "model") uri.model = v;
      if (name == "serial") uri.serial = v;
      if (name == "slot-description") uri.slotDescription = v;
      if (name == "slot-manufacturer") uri.slotManufacturer = v;
      if (name == "object") uri.object = v;
      if (name == "id") uri.id = v;
      if (name == "module-path") {
        if (!v.starts_with("/")) return "module-path must be an absolute path to the module's shared library";
        uri.modulePath = v;
      }
      if (name == "slot-id") {
        unsigned long id = 0;
        for (const char c : v) {
          if (!std::isdigit(static_cast<unsigned char>(c))) return "slot-id must be a decimal number";
          if (id > (~0UL - 9) / 10) return "slot-id is out of range";
          id = id * 10 + static_cast<unsigned long>(c - '0');
        }
        uri.slotId = id;
      }
      if (name == "type") {
        if (v != "private") return "type=" + v + " does not name a private key; a CA key is type=private (or leave type out)";
      }
    }
    return std::nullopt;
  };
  if (auto err = each(path, ';', false)) return R::fail(where + *err);
  if (auto err = each(query, '&', true)) return R::fail(where + *err);
  if (!uri.object && !uri.id) return R::fail(where + "names no key; add object=<label> or id=<hex bytes as %XX>");
  return R::ok(std::move(uri));
}

std::string Pkcs11Uri::display() const {
  std::string out = "pkcs11:";
  auto add = [&out](const char* name, const std::optional<std::string>& v) {
    if (!v) return;
    if (out.size() > 7) out += ';';
    out += name;
    out += '=';
    out += encode(*v);
  };
  add("token", token);
  add("manufacturer", manufacturer);
  add("model", model);
  add("serial", serial);
  add("slot-description", slotDescription);
  add("slot-manufacturer", slotManufacturer);
  if (slotId) add("slot-id", std::to_string(*slotId));
  add("object", object);
  add("id", id);
  if (out.size() > 7) out += ';';
  out += "type=private";
  return out;
}

}  // namespace signers
