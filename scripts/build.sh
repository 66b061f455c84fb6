#!/usr/bin/env bash
# Configures and builds csr-operator into build/<name>. Usage: scripts/build.sh NAME [cmake args...] -- [targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1; shift
cmake_args=(); targets=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do cmake_args+=("$1"); shift; done
[ $# -gt 0 ] && shift
targets=("$@")
export CCACHE_DIR=${CCACHE_DIR:-$PWD/.cache/ccache}
cmake -S . -B "build/$name" -G Ninja -DCSR_WERROR=ON "${cmake_args[@]}" >/dev/null
if [ ${#targets[@]} -gt 0 ]; then
  cmake --build "build/$name" -j "$(nproc)" --target "${targets[@]}"
else
  cmake --build "build/$name" -j "$(nproc)"
fi
