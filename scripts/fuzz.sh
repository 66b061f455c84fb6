#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang, ASan+UBSan) into build/fuzz and runs each one.
#   scripts/fuzz.sh --ci          every target for 20 s, one per core at a time (CI: about 2 minutes on 2 cores)
#   scripts/fuzz.sh --minutes N   N minutes split across the targets; appends executions and
#                                 findings to tests/fuzz/README.md
#   scripts/fuzz.sh ... TARGET..  only these targets (names as in tests/fuzz/corpus/)
# Fails when any target crashes, leaks, times out (5 s per input) or runs out of memory (1 GiB);
# the input that did it is kept in build/fuzz/artifacts/TARGET/ and its path printed.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=ci; minutes=0; only=()
while [ $# -gt 0 ]; do
  case $1 in
    --ci) mode=ci; shift ;;
    --minutes) mode=long; minutes=${2:?--minutes needs a number}; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) only+=("$1"); shift ;;
  esac
done
if [ "$mode" = long ] && ! [[ $minutes =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz.sh: --minutes expects a positive whole number, got '$minutes'" >&2; exit 2
fi

all=(pem request request_key base64 watch objects kubeconfig config_yaml config_set health_request pki_pem ca_load)
targets=("${only[@]:-${all[@]}}")
declare -A dict=([pem]=pem [request]=asn1 [request_key]=asn1 [watch]=json [objects]=json [kubeconfig]=kubeconfig
                 [config_yaml]=config [config_set]=config [health_request]=http [pki_pem]=pem [ca_load]=pem)
for t in "${targets[@]}"; do
  [ -d "tests/fuzz/corpus/$t" ] || { echo "fuzz.sh: no target '$t' (one of: ${all[*]})" >&2; exit 2; }
done

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found; run scripts/install-deps.sh" >&2; exit 1; }
CC=clang CXX=clang++ scripts/build.sh fuzz -DCSR_FUZZ=ON -DCSR_BUILD_TESTS=OFF -DCSR_BUILD_BENCH=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -- "${targets[@]/#/fuzz_}"

if [ "$mode" = ci ]; then seconds=20; else seconds=$(( minutes * 60 / ${#targets[@]} )); [ "$seconds" -ge 1 ] || seconds=1; fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

out=build/fuzz/runs
mkdir -p "$out"
rm -f "$out"/*.status
# One target per core at a time: the same fuzzing time per target, in half the wall-clock time on
# the 2-core CI machine.
run_target() {
  local t=$1 work=build/fuzz/corpus-work/$1 artifacts=build/fuzz/artifacts/$1 status=0
  mkdir -p "$work" "$artifacts"
  local args=(-max_total_time="$seconds" -rss_limit_mb=1024 -timeout=5 -print_final_stats=1
              -artifact_prefix="$artifacts/")
  [ -n "${dict[$t]:-}" ] && args+=(-dict="tests/fuzz/dict/${dict[$t]}.dict")
  # New inputs go to the work directory; the seed corpus in the repository is only read.
  "build/fuzz/tests/fuzz/fuzz_$t" "${args[@]}" "$work" "tests/fuzz/corpus/$t" >"$out/$t.log" 2>&1 || status=$?
  echo "$status" >"$out/$t.status"
}
parallel=$(nproc)
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
  run_target "$t" &
done
wait

failed=(); total=0; rows=""
for t in "${targets[@]}"; do
  status=$(cat "$out/$t.status" 2>/dev/null || echo "no status")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log" | tail -1)
  execs=${execs:-0}; total=$(( total + execs ))
  if [ "$status" != 0 ]; then
    failed+=("$t")
    found=$(grep -ho "Test unit written to .*" "$out/$t.log" | sed 's/Test unit written to //' | tr '\n' ' ')
    echo "== fuzz $t: FAILED (exit $status) after $execs executions; input: ${found:-none}; log: $out/$t.log"
    grep -m1 -E "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|invariant broken" "$out/$t.log" || true
    rows+="| $t | $execs | exit $status: ${found:-see log} |"$'\n'
  else
    echo "== fuzz $t: ${seconds}s, $execs executions, no finding"
    rows+="| $t | $execs | none |"$'\n'
  fi
done
echo "== fuzz: ${#targets[@]} targets, $total executions, ${#failed[@]} failing${failed:+: ${failed[*]}}"

if [ "$mode" = long ]; then
  {
    echo
    echo "### $(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD), --minutes $minutes (${seconds}s per target)"
    echo
    echo "| target | executions | findings |"
    echo "|---|---|---|"
    printf '%s' "$rows"
    echo "| **total** | **$total** | ${#failed[@]} failing |"
  } >> tests/fuzz/README.md
  echo "== fuzz: appended to tests/fuzz/README.md"
fi
[ ${#failed[@]} -eq 0 ]
