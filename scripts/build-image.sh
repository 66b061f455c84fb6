#!/usr/bin/env bash
# Builds the csr-operator image without a Docker engine (buildah + podman, toolchain notes
# section 5) and proves that it starts: `version`, `check-config`, then `run` answering /healthz.
# Run as root. Needs the controller sources (the image builds the csr-operator target).
#   scripts/build-image.sh [--tag IMAGE] [--archive FILE.tar]
# No registry is reachable here, so the Debian base is debootstrapped once (.cache/bookworm-rootfs)
# and imported as docker.io/library/debian:bookworm-slim. crun fails in this environment
# (hybrid cgroups, RLIMIT_NOFILE), hence runc and explicit ulimits on every build and run.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TAG=localhost/csr-operator:dev
ARCHIVE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) TAG=$2; shift 2 ;;
    --archive) ARCHIVE=$2; shift 2 ;;
    *) echo "usage: $0 [--tag IMAGE] [--archive FILE.tar]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "build-image: run as root (buildah/podman with runc)" >&2; exit 1; }

RUN_OPTS=(--runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
BASE=docker.io/library/debian:bookworm-slim
PORT=${PORT:-18080}

missing=()
for tool in buildah podman runc debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends buildah podman runc debootstrap
fi

if ! podman image exists "$BASE"; then
  ROOTFS="$REPO/.cache/bookworm-rootfs"
  if [ ! -x "$ROOTFS/bin/bash" ]; then
    rm -rf "$ROOTFS"
    debootstrap --variant=minbase bookworm "$ROOTFS" http://deb.debian.org/debian
  fi
  # What makes the official image "slim": no downloaded .debs, no package lists, no docs, man
  # pages or translations (copyright files stay), and dpkg keeps them out of later installs.
  rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* \
    "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/usr/share/locale/*
  find "$ROOTFS/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
  cat > "$ROOTFS/etc/dpkg/dpkg.cfg.d/slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
CFG
  # The official image's package sources: debootstrap only writes "bookworm main", which would
  # leave the runtime libraries (libssl3 above all) without security updates.
  rm -f "$ROOTFS/etc/apt/sources.list"
  cat > "$ROOTFS/etc/apt/sources.list.d/debian.sources" <<'CFG'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
CFG
  # The official image's apt configuration: no package caches left behind by apt-get update.
  cat > "$ROOTFS/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
  tar -C "$ROOTFS" -c . | podman import - "$BASE"
fi

start=$(date +%s)
# The build context has no .git (.dockerignore): the commit and version come in as arguments.
COMMIT=$(git -C "$REPO" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
VERSION=$(sed -n 's/^project(csr-operator VERSION \([0-9.]*\).*/\1/p' "$REPO/CMakeLists.txt")
buildah bud --pull=never --network host "${RUN_OPTS[@]}" --build-arg COMMIT="$COMMIT" --build-arg VERSION="$VERSION" \
  -t "$TAG" -f "$REPO/Dockerfile" "$REPO"
echo "== image built in $(( $(date +%s) - start ))s"
podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' "$TAG"

WORK=$(mktemp -d)
CONTAINER=""
cleanup() {
  if [ -n "$CONTAINER" ]; then podman --runtime runc rm -f "$CONTAINER" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== OCI labels"
labels=$(podman image inspect --format '{{json .Labels}}' "$TAG")
echo "$labels"
for want in "\"org.opencontainers.image.revision\":\"$COMMIT\"" "\"org.opencontainers.image.version\":\"$VERSION\"" \
            '"org.opencontainers.image.licenses":"Apache-2.0"'; do
  grep -qF "$want" <<<"$labels" || { echo "build-image: label $want missing" >&2; exit 1; }
done

echo "== image runs as non-root"
uid=$(podman run --rm "${RUN_OPTS[@]}" --entrypoint /usr/bin/id "$TAG" -u)
[ "$uid" = 65532 ] || { echo "build-image: image user is $uid, want 65532" >&2; exit 1; }

echo "== shared libraries resolve inside the image"
libs=$(podman run --rm "${RUN_OPTS[@]}" --entrypoint /usr/bin/ldd "$TAG" /usr/local/bin/csr-operator)
echo "$libs"
if grep -q "not found" <<<"$libs"; then echo "build-image: a shared library is missing" >&2; exit 1; fi

echo "== csr-operator version"
podman run --rm "${RUN_OPTS[@]}" "$TAG" version

# An approver-only configuration and a kubeconfig whose API server is unreachable: /healthz
# reports the process, not the API server, so it must answer anyway (a liveness probe that
# restarted the pod on API outages would only add load).
cat > "$WORK/config.yaml" <<YAML
http:
  bindAddress: "127.0.0.1:$PORT"
leaderElection:
  enabled: false
YAML
# A throwaway CA: the kubeconfig is a normal one (TLS verified), only its server does not exist.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj /CN=build-image-unreachable -keyout "$WORK/ca.key" -out "$WORK/ca.crt" 2>/dev/null
rm -f "$WORK/ca.key"
cat > "$WORK/kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters:
  - name: none
    cluster:
      server: https://127.0.0.1:1
      certificate-authority-data: $(base64 -w0 "$WORK/ca.crt")
users:
  - name: none
    user:
      token: not-a-real-token
contexts:
  - name: none
    context: {cluster: none, user: none}
current-context: none
YAML
chmod 0755 "$WORK"
chmod 0644 "$WORK/config.yaml" "$WORK/kubeconfig"

echo "== csr-operator check-config"
podman run --rm "${RUN_OPTS[@]}" -v "$WORK:/cfg:ro" "$TAG" check-config --config /cfg/config.yaml

echo "== csr-operator run answers /healthz (200) and /readyz (503: the API server is unreachable)"
CONTAINER=$(podman run -d "${RUN_OPTS[@]}" --network host --read-only --cap-drop all \
  --security-opt no-new-privileges -v "$WORK:/cfg:ro" "$TAG" \
  run --config /cfg/config.yaml --kubeconfig /cfg/kubeconfig)
healthz=000
for _ in $(seq 1 40); do
  healthz=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz" || true)
  [ "$healthz" = 200 ] && break
  sleep 0.5
done
readyz=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz" || true)
echo "/healthz $healthz, /readyz $readyz"
podman logs "$CONTAINER" 2>&1 | tail -n 5
if [ "$healthz" != 200 ] || [ "$readyz" != 503 ]; then
  echo "build-image: want /healthz 200 and /readyz 503 on port $PORT" >&2
  exit 1
fi
echo "image $TAG starts and answers /healthz"

if [ -n "$ARCHIVE" ]; then
  buildah push "$TAG" "oci-archive:$ARCHIVE"
  echo "wrote $ARCHIVE"
fi
