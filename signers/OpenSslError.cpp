#include "signers/OpenSslError.h"

#include <openssl/err.h>

namespace signers {

std::string drainOpenSslErrors() {
  std::string out;
  unsigned long code = 0;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

std::string withOpenSslErrors(const std::string& what) {
  std::string details = drainOpenSslErrors();
  return details.empty() ? what : what + ": " + details;
}

}  // namespace signers
