#!/usr/bin/env bash
# Prints, one per line, the Debian packages that own the shared libraries BINARY links (as ldd
# resolves them): what the image's runtime stage installs, and nothing more. dpkg records a file
# under either its /usr or its merged-/usr path, so both are asked. Fails when a library has no
# owning package (it would be missing from the image).
#   scripts/runtime-packages.sh BINARY
set -euo pipefail
BIN=${1:?usage: runtime-packages.sh BINARY}
libs=$(ldd "$BIN" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
[ -n "$libs" ] || { echo "runtime-packages: ldd lists no shared library for $BIN" >&2; exit 1; }
packages=()
for lib in $libs; do
  real=$(readlink -f "$lib")
  pkg=""
  for path in "$lib" "$real" "/usr${real#/usr}" "${real#/usr}"; do
    pkg=$(dpkg -S "$path" 2>/dev/null | head -n 1 | cut -d: -f1) || true
    [ -n "$pkg" ] && break
  done
  [ -n "$pkg" ] || { echo "runtime-packages: no Debian package owns $lib" >&2; exit 1; }
  packages+=("$pkg")
done
printf '%s\n' "${packages[@]}" | sort -u
