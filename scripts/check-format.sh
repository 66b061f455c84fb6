#!/usr/bin/env bash
# Fails, listing the files, when a C++ source does not follow .clang-format. With --fix, formats them.
set -euo pipefail
cd "$(dirname "$0")/.."
fmt=$(command -v clang-format-14 || command -v clang-format || true)
if [ -z "$fmt" ]; then echo "check-format: clang-format-14 is not installed (scripts/install-deps.sh installs it)" >&2; exit 1; fi
mapfile -t files < <(find k8sclient signers pki controller tests bench -name '*.cpp' -o -name '*.h' | sort)
if [ "${1:-}" = "--fix" ]; then "$fmt" -i "${files[@]}"; exit 0; fi
bad=()
for f in "${files[@]}"; do "$fmt" --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f"); done
if [ ${#bad[@]} -gt 0 ]; then
  printf 'check-format: %s does not follow .clang-format (scripts/check-format.sh --fix)\n' "${bad[@]}" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files follow .clang-format"
