#!/usr/bin/env bash
# Runs the in-process signing benchmark and `openssl speed -seconds 3 rsa2048 ecdsap256` in the
# same run, then compares the measured rate with the limit 1 / (1/verify_p256 + 1/sign_ca): one
# verification of the (P-256) request plus one CA signature per certificate.
# Both sides divide by CPU time. Rounds alternate openssl speed and sign_bench, and the best
# figure of each is kept, so that load from other processes on a shared machine (which only ever
# slows a side down) distorts the ratio as little as possible.
# Usage: bench/sign_bench.sh [path/to/sign_bench] [rounds]
set -euo pipefail
BIN=${1:-build/signers/bench/sign_bench}
ROUNDS=${2:-3}
[[ -x "$BIN" ]] || { echo "sign_bench binary not found at $BIN; build the sign_bench target first" >&2; exit 2; }

max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 > a + 0) ? b : a }'; }
best_rsa_sign="" best_p256_sign="" best_p256_verify="" best_rsa_rate="" best_p256_rate=""

echo "$(openssl version) | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') | $(nproc) cores | load $(cut -d' ' -f1-3 /proc/loadavg)"
for ((round = 1; round <= ROUNDS; round++)); do
  speed=$(openssl speed -seconds 3 rsa2048 ecdsap256 2>/dev/null)
  rsa_sign=$(awk '/^rsa 2048 bits/ {print $(NF-1)}' <<<"$speed")
  p256_sign=$(awk '/bits ecdsa \(nistp256\)/ {print $(NF-1)}' <<<"$speed")
  p256_verify=$(awk '/bits ecdsa \(nistp256\)/ {print $NF}' <<<"$speed")
  [[ -n "$rsa_sign" && -n "$p256_sign" && -n "$p256_verify" ]] || { echo "cannot parse openssl speed output:" >&2; echo "$speed" >&2; exit 1; }
  bench=$("$BIN" 3)
  rsa_rate=$(awk -F'certs_per_sec=' '/^ca=rsa2048/ {split($2, a, " "); print a[1]}' <<<"$bench")
  p256_rate=$(awk -F'certs_per_sec=' '/^ca=ecdsap256/ {split($2, a, " "); print a[1]}' <<<"$bench")
  printf 'round %d: openssl rsa2048 sign/s=%s ecdsap256 sign/s=%s verify/s=%s | sign_bench rsa2048=%s ecdsap256=%s certs/s\n' \
    "$round" "$rsa_sign" "$p256_sign" "$p256_verify" "$rsa_rate" "$p256_rate"
  best_rsa_sign=$(max "$best_rsa_sign" "$rsa_sign")
  best_p256_sign=$(max "$best_p256_sign" "$p256_sign")
  best_p256_verify=$(max "$best_p256_verify" "$p256_verify")
  best_rsa_rate=$(max "$best_rsa_rate" "$rsa_rate")
  best_p256_rate=$(max "$best_p256_rate" "$p256_rate")
done

echo "best of $ROUNDS: openssl rsa2048 sign/s=$best_rsa_sign ecdsap256 sign/s=$best_p256_sign verify/s=$best_p256_verify"
awk -v rs="$best_rsa_sign" -v ps="$best_p256_sign" -v pv="$best_p256_verify" -v rr="$best_rsa_rate" -v pr="$best_p256_rate" 'BEGIN {
  lr = 1 / (1 / pv + 1 / rs); lp = 1 / (1 / pv + 1 / ps);
  printf "%-10s %12s %12s %8s\n", "CA", "measured/s", "limit/s", "ratio";
  printf "%-10s %12.0f %12.0f %8.2f\n", "rsa2048", rr, lr, rr / lr;
  printf "%-10s %12.0f %12.0f %8.2f\n", "ecdsap256", pr, lp, pr / lp;
  ok = (rr / lr >= 0.8 && pr / lp >= 0.8);
  print ok ? "target >= 0.8: met" : "target >= 0.8: NOT met";
}'
