#pragma once
#include <string>
#include <sys/types.h>

#include "signers/Result.h"

namespace signers {

// Reads a whole (small) file. Refuses files bigger than maxBytes so a wrong path such as a device
// or a log file cannot exhaust memory.
Result<std::string> readSmallFile(const std::string& path, std::size_t maxBytes = 1024 * 1024);

// Writes content to path through a fresh temporary file in the same directory, created with
// O_CREAT|O_EXCL and `mode` (so a key file is never readable by others, not even for the moment
// between creation and a chmod), then renamed over path. The mode is exact whatever the umask.
// Any failure (create, chmod, write, sync, rename) is an error and leaves path untouched.
Result<bool> writeFileAtomically(const std::string& path, const std::string& content, mode_t mode);

// Creates path and its missing parents with `mode` (0700 for key directories, as kubeadm does);
// existing directories are left as they are.
Result<bool> createDirectories(const std::string& path, mode_t mode = 0700);

}  // namespace signers
