#!/usr/bin/env bash
# scripts/soak.sh [--minutes N] [--seed S]: builds the release tree and runs the soak tests
# (tests/soak/README.md) with the soak N minutes long (default 15) instead of CI's 3, then the
# crash-restart and CA rotation cases once each. --seed replays a run (the seed is printed first).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=15
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --seed) export CSR_SOAK_SEED=$2; shift 2 ;;
    *) echo "usage: scripts/soak.sh [--minutes N] [--seed S]" >&2; exit 2 ;;
  esac
done
case "$minutes" in ''|*[!0-9]*|0) echo "scripts/soak.sh: --minutes wants a positive whole number, got '$minutes'" >&2; exit 2 ;; esac
export CSR_SOAK_SECONDS=$((minutes * 60))
scripts/build.sh release -- soak_tests csr-operator fake-apiserver
build/release/tests/soak/soak_tests
