#!/usr/bin/env bash
# Runs the in-process signing benchmark and `openssl speed` in the same run, then compares the
# measured rate with the limit 1 / (1/verify_p256 + 1/sign_ca) (one request verification plus
# one CA signature per certificate). Usage: bench/sign_bench.sh [path/to/sign_bench] [seconds]
set -euo pipefail
BIN=${1:-build/signers/bench/sign_bench}
SECONDS_PER_RUN=${2:-3}
[[ -x "$BIN" ]] || { echo "sign_bench binary not found at $BIN; build the sign_bench target first" >&2; exit 2; }

speed=$(openssl speed -seconds "$SECONDS_PER_RUN" rsa2048 ecdsap256 2>/dev/null)
rsa_sign=$(awk '/^rsa 2048 bits/ {print $(NF-1)}' <<<"$speed")
p256_sign=$(awk '/bits ecdsa \(nistp256\)/ {print $(NF-1)}' <<<"$speed")
p256_verify=$(awk '/bits ecdsa \(nistp256\)/ {print $NF}' <<<"$speed")
[[ -n "$rsa_sign" && -n "$p256_sign" && -n "$p256_verify" ]] || { echo "cannot parse openssl speed output:" >&2; echo "$speed" >&2; exit 1; }

bench=$("$BIN" "$SECONDS_PER_RUN")
rsa_rate=$(awk -F'certs_per_sec=' '/^ca=rsa2048/ {split($2, a, " "); print a[1]}' <<<"$bench")
p256_rate=$(awk -F'certs_per_sec=' '/^ca=ecdsap256/ {split($2, a, " "); print a[1]}' <<<"$bench")

echo "$(openssl version) | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "openssl speed: rsa2048 sign/s=$rsa_sign  ecdsap256 sign/s=$p256_sign verify/s=$p256_verify"
awk -v rs="$rsa_sign" -v ps="$p256_sign" -v pv="$p256_verify" -v rr="$rsa_rate" -v pr="$p256_rate" 'BEGIN {
  lr = 1 / (1 / pv + 1 / rs); lp = 1 / (1 / pv + 1 / ps);
  printf "%-10s %12s %12s %8s\n", "CA", "measured/s", "limit/s", "ratio";
  printf "%-10s %12.0f %12.0f %8.2f\n", "rsa2048", rr, lr, rr / lr;
  printf "%-10s %12.0f %12.0f %8.2f\n", "ecdsap256", pr, lp, pr / lp;
  ok = (rr / lr >= 0.8 && pr / lp >= 0.8);
  print ok ? "target >= 0.8: met" : "target >= 0.8: NOT met";
}'
