#!/usr/bin/env bash
# Builds (if asked) and runs the end-to-end benchmark: csr-operator against fake-apiserver on
# loopback, 500 nodes creating 5,000 kubelet-serving CSRs at once, then 5,000 more so that the
# operator caches 10,000. Extra arguments go to e2e_bench (--nodes, --csrs-per-node, --rounds,
# --workers, --create-threads, --timeout, --pin, and --pod-certificates: the same burst as
# PodCertificateRequests for pods bound to those nodes, signed by a pod-certificate signer).
# Usage: bench/e2e_bench.sh [--build DIR] [e2e_bench flags...]
# The report goes to stdout and to DIR/e2e_bench.log.
set -euo pipefail
BUILD=build/bench
if [[ "${1:-}" == "--build" ]]; then
  BUILD=$2
  shift 2
  cmake -S . -B "$BUILD" -G Ninja -DCSR_WERROR=ON >/dev/null
  cmake --build "$BUILD" -j2 --target e2e_bench csr-operator fake-apiserver
fi
BIN=$BUILD/bench/e2e_bench
[[ -x "$BIN" ]] || { echo "e2e_bench not found at $BIN; run with --build DIR or build the e2e_bench target" >&2; exit 2; }
"$BIN" "$@" 2>&1 | tee "$BUILD/e2e_bench.log"
exit "${PIPESTATUS[0]}"
