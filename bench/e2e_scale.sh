#!/usr/bin/env bash
# Cost as the work grows: e2e_bench (pinned, 16 workers, one round each) for bursts of 1,000,
# 5,000 and 20,000 CSRs in a 1,000-Node cluster, for 5,000 CSRs in clusters of 1,000, 10,000 and
# 100,000 Nodes (2-4 addresses each), and 20,000 CSRs with 100,000 Nodes. 500 of the Nodes' kubelets
# file the CSRs. Each round's csv line goes to bench/e2e_scale.csv, the full reports to
# DIR/e2e_scale.log, and gnuplot draws bench/e2e_scale.png from the csv.
# Usage: bench/e2e_scale.sh [--build DIR] [--plot-only]
set -euo pipefail
BUILD=build/bench
PLOT_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD=$2; shift 2
      cmake -S . -B "$BUILD" -G Ninja -DCSR_WERROR=ON >/dev/null
      cmake --build "$BUILD" -j2 --target e2e_bench csr-operator fake-apiserver ;;
    --plot-only) PLOT_ONLY=1; shift ;;
    *) echo "unknown argument $1; usage: bench/e2e_scale.sh [--build DIR] [--plot-only]" >&2; exit 2 ;;
  esac
done
CSV=bench/e2e_scale.csv
if [ "$PLOT_ONLY" = 0 ]; then
  BIN=$BUILD/bench/e2e_bench
  [[ -x "$BIN" ]] || { echo "e2e_bench not found at $BIN; run with --build DIR" >&2; exit 2; }
  echo "nodes,kubelets,csrs,cached,csrs_per_s,p50_s,p99_s,start_to_ready_s,idle_rss_mib,rss_after_mib,vmhwm_mib,cpu_ms_per_csr,crypto_ratio" > "$CSV"
  : > "$BUILD/e2e_scale.log"
  for run in "1000 2" "1000 10" "1000 40" "10000 10" "100000 10" "100000 40"; do
    set -- $run
    "$BIN" --nodes "$1" --kubelets 500 --csrs-per-node "$2" --rounds 1 --workers 16 --pin 2>&1 | tee -a "$BUILD/e2e_scale.log" |
      sed -n 's/^csv,//p' >> "$CSV"
  done
fi
command -v gnuplot >/dev/null || { echo "gnuplot not found: scripts/install-deps.sh installs gnuplot-nox" >&2; exit 2; }
gnuplot <<'PLOT'
set datafile separator ","
set terminal pngcairo size 1200,800 noenhanced font ",10"
set output "bench/e2e_scale.png"
set multiplot layout 2,2 title "csr-operator against fake-apiserver (pinned: API server on CPU 0, operator on CPU 1); bench/e2e_scale.csv"
set key top left
set grid
set xlabel "CSRs in the burst (1,000 Nodes)"
set ylabel "MiB"
set yrange [0:*]
plot "bench/e2e_scale.csv" every ::1 using ($1==1000 ? $3 : 1/0):9 with linespoints title "idle VmRSS", \
     "" every ::1 using ($1==1000 ? $3 : 1/0):11 with linespoints title "VmHWM (peak during the burst)", \
     64 with lines dashtype 2 title "64 MiB target"
# The 5,000-CSR rows are not adjacent in the csv, and gnuplot breaks a line at a skipped row: awk
# picks them out first.
set xlabel "Nodes cached (5,000 CSRs), log scale"
set logscale x
plot "< awk -F, 'NR > 1 && $3 == 5000' bench/e2e_scale.csv" using 1:9 with linespoints title "idle VmRSS", \
     "" using 1:11 with linespoints title "VmHWM (peak during the burst)", \
     64 with lines dashtype 2 title "64 MiB target"
unset logscale x
set xlabel "CSRs in the burst (1,000 Nodes)"
set ylabel "CSRs/s"
set y2label "seconds"
set y2tics
set y2range [0:*]
set ytics nomirror
plot "bench/e2e_scale.csv" every ::1 using ($1==1000 ? $3 : 1/0):5 with linespoints title "throughput (CSRs/s)", \
     "" every ::1 using ($1==1000 ? $3 : 1/0):7 axes x1y2 with linespoints title "p99 create->certificate (s)", \
     "" every ::1 using ($1==1000 ? $3 : 1/0):6 axes x1y2 with linespoints title "p50 (s)"
set xlabel "Nodes cached (5,000 CSRs), log scale"
set logscale x
plot "< awk -F, 'NR > 1 && $3 == 5000' bench/e2e_scale.csv" using 1:5 with linespoints title "throughput (CSRs/s)", \
     "" using 1:8 axes x1y2 with linespoints title "start to ready (s)", \
     "" using 1:7 axes x1y2 with linespoints title "p99 create->certificate (s)"
unset multiplot
PLOT
echo "wrote $CSV and bench/e2e_scale.png"
