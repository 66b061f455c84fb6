#pragma once
#include <string>

namespace signers {

// Drains the calling thread's OpenSSL error queue into one readable line ("" when empty).
// Always call it after a failed OpenSSL call so stale errors never leak into a later message.
std::string drainOpenSslErrors();

// "<what>: <openssl errors>" or just "<what>" when the queue was empty.
std::string withOpenSslErrors(const std::string& what);

}  // namespace signers
