#include "signers/Pkcs11Module.h"

#include <dlfcn.h>

#include <cstdio>
#include <map>
#include <mutex>

namespace signers {
namespace {

CK_RV initialize(CK_FUNCTION_LIST* f) {
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  return f->C_Initialize(&args);
}

struct Registry {
  std::mutex mutex;
  std::map<std::string, std::weak_ptr<Pkcs11Module>> modules;
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

Pkcs11Module::Pkcs11Module(std::string path, void* handle, CK_FUNCTION_LIST* functions)
    : path_(std::move(path)), handle_(handle), functions_(functions) {}

Pkcs11Module::~Pkcs11Module() {
  functions_->C_Finalize(nullptr);
  dlclose(handle_);
}

Result<std::shared_ptr<Pkcs11Module>> Pkcs11Module::load(const std::string& path) {
  using R = Result<std::shared_ptr<Pkcs11Module>>;
  auto& reg = registry();
  std::lock_guard lock(reg.mutex);
  if (auto existing = reg.modules[path].lock()) return R::ok(std::move(existing));
  if (!path.starts_with("/")) return R::fail("PKCS#11 module " + path + ": give the absolute path of the module's shared library");
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return R::fail("cannot load PKCS#11 module " + path + ": " + (why ? why : "dlopen failed") +
                   "; check pkcs11Module and that the module's package is installed");
  }
  auto getList = reinterpret_cast<CK_C_GetFunctionList>(dlsym(handle, "C_GetFunctionList"));
  CK_FUNCTION_LIST* functions = nullptr;
  if (getList == nullptr || getList(&functions) != CKR_OK || functions == nullptr) {
    dlclose(handle);
    return R::fail("PKCS#11 module " + path + " has no usable C_GetFunctionList; it is not a PKCS#11 module");
  }
  const CK_RV rv = initialize(functions);
  // Another component of this process (a library) may have initialised it already: share that.
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    dlclose(handle);
    return R::fail("PKCS#11 module " + path + ": C_Initialize failed with " + pkcs11ErrorName(rv) +
                   "; check the module's own configuration (for SoftHSM2, SOFTHSM2_CONF and its token directory)");
  }
  std::shared_ptr<Pkcs11Module> module(new Pkcs11Module(path, handle, functions));
  reg.modules[path] = module;
  return R::ok(std::move(module));
}

std::uint64_t Pkcs11Module::generation() const {
  std::shared_lock lock(mutex_);
  return generation_;
}

Result<std::uint64_t> Pkcs11Module::reinitialize(std::uint64_t seen) {
  std::unique_lock lock(mutex_);
  if (seen != generation_) return Result<std::uint64_t>::ok(generation_);
  functions_->C_Finalize(nullptr);
  ++generation_;
  const CK_RV rv = initialize(functions_);
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
    return Result<std::uint64_t>::fail("PKCS#11 module " + path_ + ": C_Initialize failed with " + pkcs11ErrorName(rv));
  return Result<std::uint64_t>::ok(generation_);
}

bool isTokenGone(CK_RV rv) {
  switch (rv) {
    case CKR_DEVICE_REMOVED:
    case CKR_DEVICE_ERROR:
    case CKR_DEVICE_MEMORY:
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_TOKEN_NOT_RECOGNIZED:
    case CKR_SESSION_HANDLE_INVALID:
    case CKR_SESSION_CLOSED:
    case CKR_SESSION_COUNT:
    case CKR_OBJECT_HANDLE_INVALID:
    case CKR_KEY_HANDLE_INVALID:
    case CKR_USER_NOT_LOGGED_IN:
    case CKR_SLOT_ID_INVALID:
    case CKR_CRYPTOKI_NOT_INITIALIZED:
    case CKR_GENERAL_ERROR: return true;
    default: return false;
  }
}

std::string pkcs11ErrorName(CK_RV rv) {
  const char* name = nullptr;
  switch (rv) {
    case CKR_OK: name = "CKR_OK"; break;
    case CKR_GENERAL_ERROR: name = "CKR_GENERAL_ERROR"; break;
    case CKR_ARGUMENTS_BAD: name = "CKR_ARGUMENTS_BAD"; break;
    case CKR_DEVICE_ERROR: name = "CKR_DEVICE_ERROR"; break;
    case CKR_DEVICE_MEMORY: name = "CKR_DEVICE_MEMORY"; break;
    case CKR_DEVICE_REMOVED: name = "CKR_DEVICE_REMOVED"; break;
    case CKR_FUNCTION_FAILED: name = "CKR_FUNCTION_FAILED"; break;
    case CKR_KEY_HANDLE_INVALID: name = "CKR_KEY_HANDLE_INVALID"; break;
    case CKR_KEY_TYPE_INCONSISTENT: name = "CKR_KEY_TYPE_INCONSISTENT"; break;
    case CKR_MECHANISM_INVALID: name = "CKR_MECHANISM_INVALID"; break;
    case CKR_OBJECT_HANDLE_INVALID: name = "CKR_OBJECT_HANDLE_INVALID"; break;
    case CKR_PIN_INCORRECT: name = "CKR_PIN_INCORRECT"; break;
    case CKR_PIN_LOCKED: name = "CKR_PIN_LOCKED"; break;
    case CKR_SESSION_CLOSED: name = "CKR_SESSION_CLOSED"; break;
    case CKR_SESSION_COUNT: name = "CKR_SESSION_COUNT"; break;
    case CKR_SESSION_HANDLE_INVALID: name = "CKR_SESSION_HANDLE_INVALID"; break;
    case CKR_SLOT_ID_INVALID: name = "CKR_SLOT_ID_INVALID"; break;
    case CKR_TOKEN_NOT_PRESENT: name = "CKR_TOKEN_NOT_PRESENT"; break;
    case CKR_TOKEN_NOT_RECOGNIZED: name = "CKR_TOKEN_NOT_RECOGNIZED"; break;
    case CKR_USER_NOT_LOGGED_IN: name = "CKR_USER_NOT_LOGGED_IN"; break;
    case CKR_USER_PIN_NOT_INITIALIZED: name = "CKR_USER_PIN_NOT_INITIALIZED"; break;
    case CKR_CRYPTOKI_NOT_INITIALIZED: name = "CKR_CRYPTOKI_NOT_INITIALIZED"; break;
    case CKR_BUFFER_TOO_SMALL: name = "CKR_BUFFER_TOO_SMALL"; break;
    default: break;
  }
  char hex[24];
  std::snprintf(hex, sizeof hex, "0x%lx", static_cast<unsigned long>(rv));
  return name ? std::string(name) + " (" + hex + ")" : std::string("CKR ") + hex;
}

}  // namespace signers
