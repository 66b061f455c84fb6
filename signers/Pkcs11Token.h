#pragma once
// Finding the one token a PKCS#11 URI names and opening a logged-in session on it: the first steps
// of both signing with a token key (Pkcs11Key) and creating one (Pkcs11KeyGeneration). PKCS#11
// types, so for signers/ only.
#include <optional>
#include <string>

#include "signers/Pkcs11Module.h"
#include "signers/Pkcs11Uri.h"
#include "signers/Result.h"

namespace signers {

struct FoundToken {
  std::string error;     // empty: found
  bool missing = false;  // no token (or no slot list): may come back, unlike a URI matching two
  CK_SLOT_ID slot = 0;
};

// The slot of the single initialised token matching the URI's token and slot attributes.
FoundToken findToken(const Pkcs11Module::Use& f, const Pkcs11Uri& uri);

// C_OpenSession (read-write when creating objects), then C_Login as the user when a PIN is given.
// The error names the failing call and its CKR_ value (CKR_PIN_... when the PIN is refused).
Result<CK_SESSION_HANDLE> openTokenSession(const Pkcs11Module::Use& f, CK_SLOT_ID slot, const std::optional<std::string>& pin,
                                           bool readWrite);

}  // namespace signers
