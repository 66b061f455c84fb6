#!/usr/bin/env bash
# README command 1: installs what is needed, builds, and runs the demo: the bundled fake API
# server with simulated kubelets (honest and hostile) and csr-operator approving and signing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release -DCSR_BUILD_BENCH=OFF -- csr-operator fake-apiserver csr-demo
exec build/release/tests/demo/csr-demo
