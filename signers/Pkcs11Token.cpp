#include "signers/Pkcs11Token.h"

#include <vector>

namespace signers {
namespace {

std::string trimmedField(const unsigned char* field, std::size_t size) {
  std::string s(reinterpret_cast<const char*>(field), size);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

bool matches(const std::optional<std::string>& wanted, const unsigned char* field, std::size_t size) {
  return !wanted || *wanted == trimmedField(field, size);
}

}  // namespace

FoundToken findToken(const Pkcs11Module::Use& f, const Pkcs11Uri& uri) {
  FoundToken out;
  CK_ULONG count = 0;
  CK_RV rv = f->C_GetSlotList(CK_TRUE, nullptr, &count);
  std::vector<CK_SLOT_ID> slots(count);
  if (rv == CKR_OK && count > 0) rv = f->C_GetSlotList(CK_TRUE, slots.data(), &count);
  if (rv != CKR_OK) {
    out.error = "C_GetSlotList failed with " + pkcs11ErrorName(rv);
    out.missing = true;
    return out;
  }
  slots.resize(count);
  std::vector<CK_SLOT_ID> found;
  for (const auto slot : slots) {
    if (uri.slotId && *uri.slotId != slot) continue;
    if (uri.slotDescription || uri.slotManufacturer) {
      CK_SLOT_INFO si{};
      if (f->C_GetSlotInfo(slot, &si) != CKR_OK) continue;
      if (!matches(uri.slotDescription, si.slotDescription, sizeof si.slotDescription) ||
          !matches(uri.slotManufacturer, si.manufacturerID, sizeof si.manufacturerID))
        continue;
    }
    CK_TOKEN_INFO ti{};
    if (f->C_GetTokenInfo(slot, &ti) != CKR_OK) continue;
    if ((ti.flags & CKF_TOKEN_INITIALIZED) == 0) continue;
    if (matches(uri.token, ti.label, sizeof ti.label) && matches(uri.manufacturer, ti.manufacturerID, sizeof ti.manufacturerID) &&
        matches(uri.model, ti.model, sizeof ti.model) && matches(uri.serial, ti.serialNumber, sizeof ti.serialNumber))
      found.push_back(slot);
  }
  if (found.empty()) {
    out.error = "no token present matches; check that the token is plugged in / the HSM is reachable, and the URI's token=";
    out.missing = true;
    return out;
  }
  if (found.size() > 1) {
    out.error = std::to_string(found.size()) + " tokens match; add serial= (or slot-id=) to the URI to pick one";
    return out;
  }
  out.slot = found.front();
  return out;
}

Result<CK_SESSION_HANDLE> openTokenSession(const Pkcs11Module::Use& f, CK_SLOT_ID slot, const std::optional<std::string>& pin,
                                           bool readWrite) {
  using R = Result<CK_SESSION_HANDLE>;
  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
  CK_RV rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | (readWrite ? CKF_RW_SESSION : 0), nullptr, nullptr, &session);
  if (rv != CKR_OK) return R::fail("C_OpenSession failed with " + pkcs11ErrorName(rv));
  if (pin) {
    auto* bytes = reinterpret_cast<CK_UTF8CHAR*>(const_cast<char*>(pin->data()));
    rv = f->C_Login(session, CKU_USER, bytes, pin->size());
    // Login is per application and token: a second session of ours is logged in already.
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
      f->C_CloseSession(session);
      return R::fail("C_Login failed with " + pkcs11ErrorName(rv));
    }
  }
  return R::ok(session);
}

}  // namespace signers
