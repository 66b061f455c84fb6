#pragma once
// PKCS#11 URIs (RFC 7512) naming a CA's private key on a token, e.g.
// pkcs11:token=k8s-ca;object=kubernetes-ca;type=private. The parser is strict and bounded: every
// attribute is known, given once, well-formed and short enough for the PKCS#11 field it is matched
// against; anything else is refused with the reason, because a typo that widened the match could
// select another key.
#include <optional>
#include <string>
#include <string_view>

#include "signers/Result.h"

namespace signers {

struct Pkcs11Uri {
  // Path attributes, percent-decoded. Unset: matches anything.
  std::optional<std::string> token;  // CK_TOKEN_INFO.label
  std::optional<std::string> manufacturer;
  std::optional<std::string> model;
  std::optional<std::string> serial;
  std::optional<std::string> slotDescription;
  std::optional<std::string> slotManufacturer;
  std::optional<unsigned long> slotId;
  std::optional<std::string> object;  // CKA_LABEL
  std::optional<std::string> id;      // CKA_ID, raw bytes
  // Query attribute: the module to load (pkcs11Module, when set, must name the same one).
  std::optional<std::string> modulePath;

  // The URI without its query, re-encoded: what logs and errors show (never a PIN: the parser
  // refuses URIs that carry one).
  std::string display() const;
};

// True when the text is meant as a PKCS#11 URI (scheme "pkcs11:", any case), so a caller can tell a
// bad URI from a file name.
bool isPkcs11Uri(std::string_view text);

// Refuses: no "pkcs11:" scheme, more than 2048 characters, an unknown or repeated attribute, an
// empty or malformed value (bad percent-encoding, a character RFC 7512 does not allow there), a value
// longer than its PKCS#11 field, type other than "private", neither object nor id (the key would be
// "any private key"), pin-value and pin-source (the PIN comes from caKeyPinFile or caKeyPinEnv, so it
// is never in a configuration or a log), module-name and library-* (the module is chosen by path).
Result<Pkcs11Uri> parsePkcs11Uri(std::string_view text);

}  // namespace signers
