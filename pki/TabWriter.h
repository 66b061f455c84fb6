// The column layout of Go's text/tabwriter, which kubeadm prints its tables with
// (cmd/kubeadm/app/cmd/certs.go: tabwriter.NewWriter(out, 10, 4, 3, ' ', 0)), so `pki
// check-expiration` lines up byte for byte, trailing padding included.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace csrop::pki {

// Each line is given already split at its tabs: every segment but the last is a tab-terminated
// cell that is padded to its column; the last is trailing text written as is. Consecutive lines
// with a cell in a column form that column's block, as in Go: a line with fewer cells (an empty
// line between two tables) starts new blocks. Widths count bytes, which for the ASCII tables here
// is Go's rune count.
std::string tabwrite(const std::vector<std::vector<std::string>>& lines, std::size_t minWidth = 10, std::size_t padding = 3);

}  // namespace csrop::pki
