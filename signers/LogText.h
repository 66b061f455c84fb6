#pragma once
// Text a requester controls (CN, O, SANs, usernames, messages that quote them) is written into log
// lines and Events through this one function, so that a request cannot forge a log line or an
// Event with a newline, a quote or a terminal escape.
#include <string>
#include <string_view>

namespace signers {

// Backslash and double quote are backslash-escaped; C0 controls, DEL and C1 controls (U+0080..U+009F)
// become \n, \r, \t or \xNN / \u00NN; bytes that are not UTF-8 become \xNN. Everything else is kept.
std::string escapeForLog(std::string_view text);

}  // namespace signers
