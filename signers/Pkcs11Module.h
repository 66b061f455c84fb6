#pragma once
// A PKCS#11 module (a shared library such as p11-kit's proxy, SoftHSM2 or a cloud KMS client),
// loaded once per path for the whole process: PKCS#11 allows one C_Initialize per process, so two
// signers on the same module share it.
//
// Why the C API and not libengine-pkcs11-openssl: Debian bookworm's engine (libp11 0.4.12) keeps
// the slot, session and key handles it found first. Once a token went away (HSM restart, unplugged,
// sessions closed), signing failed with CKR_OBJECT_HANDLE_INVALID for good, even after the token
// came back, a fresh ENGINE_load_private_key and ENGINE_finish/ENGINE_init (checked against SoftHSM2
// 2.6.1). SoftHSM2 (and network HSM clients) only see a returning token after C_Finalize and
// C_Initialize, which the engine never does. Recovering without a restart needs that control.
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>

#include <p11-kit/pkcs11.h>

#include "signers/Result.h"

namespace signers {

class Pkcs11Module {
 public:
  // dlopen + C_GetFunctionList + C_Initialize (OS locking: the module must be thread-safe). The
  // same path gives the same module while anyone holds it.
  static Result<std::shared_ptr<Pkcs11Module>> load(const std::string& path);
  ~Pkcs11Module();  // C_Finalize, dlclose
  Pkcs11Module(const Pkcs11Module&) = delete;
  Pkcs11Module& operator=(const Pkcs11Module&) = delete;

  const std::string& path() const { return path_; }

  // Every call into the module holds a Use; reinitialize() waits for them to end, so no thread is
  // inside the module while it is finalised.
  class Use {
   public:
    explicit Use(const Pkcs11Module& m) : lock_(m.mutex_), functions_(m.functions_), generation_(m.generation_) {}
    CK_FUNCTION_LIST* operator->() const { return functions_; }
    // The generation this use runs in (handles from another one are invalid).
    std::uint64_t generation() const { return generation_; }

   private:
    std::shared_lock<std::shared_mutex> lock_;
    CK_FUNCTION_LIST* functions_;
    std::uint64_t generation_;
  };

  // Bumped by each reinitialize(); handles from an older generation are invalid.
  std::uint64_t generation() const;
  // C_Finalize + C_Initialize, so the module sees tokens that came back. Only when `seen` is still
  // the current generation: several keys noticing the same outage reinitialise once.
  Result<std::uint64_t> reinitialize(std::uint64_t seen);

 private:
  Pkcs11Module(std::string path, void* handle, CK_FUNCTION_LIST* functions);

  std::string path_;
  void* handle_;
  CK_FUNCTION_LIST* functions_;
  mutable std::shared_mutex mutex_;
  std::uint64_t generation_ = 0;  // guarded by mutex_
};

// "CKR_DEVICE_REMOVED (0x32)" for logs and errors.
std::string pkcs11ErrorName(CK_RV rv);

// The return values that mean the token, its session or its login went away (removed, restarted,
// sessions closed, the module finalised): transient, the key reconnects instead of failing for good.
bool isTokenGone(CK_RV rv);

}  // namespace signers
