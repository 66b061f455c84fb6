#pragma once
#include <string>

#include "signers/Result.h"

namespace signers {

// Reads a whole (small) file. Refuses files bigger than maxBytes so a wrong path such as a device
// or a log file cannot exhaust memory.
Result<std::string> readSmallFile(const std::string& path, std::size_t maxBytes = 1024 * 1024);

}  // namespace signers
