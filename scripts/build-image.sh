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
  tar -C "$ROOTFS" -c . | podman import - "$BASE"
fi

buildah bud --pull=never --network host "${RUN_OPTS[@]}" -t "$TAG" -f "$REPO/Dockerfile" "$REPO"

WORK=$(mktemp -d)
CONTAINER=""
cleanup() {
  if [ -n "$CONTAINER" ]; then podman --runtime runc rm -f "$CONTAINER" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== image runs as non-root"
uid=$(podman run --rm "${RUN_OPTS[@]}" --entrypoint /usr/bin/id "$TAG" -u)
[ "$uid" = 65532 ] || { echo "build-image: image user is $uid, want 65532" >&2; exit 1; }

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
cat > "$WORK/kubeconfig" <<'YAML'
apiVersion: v1
kind: Config
clusters:
  - name: none
    cluster:
      server: https://127.0.0.1:1
      insecure-skip-tls-verify: true
users:
  - name: none
    user:
      token: not-a-real-token
contexts:
  - name: none
    context: {cluster: none, user: none}
current-context: none
YAML
chmod 0644 "$WORK/config.yaml" "$WORK/kubeconfig"

echo "== csr-operator check-config"
podman run --rm "${RUN_OPTS[@]}" -v "$WORK:/cfg:ro" "$TAG" check-config --config /cfg/config.yaml

echo "== csr-operator run answers /healthz"
CONTAINER=$(podman run -d "${RUN_OPTS[@]}" --network host --read-only -v "$WORK:/cfg:ro" "$TAG" \
  run --config /cfg/config.yaml --kubeconfig /cfg/kubeconfig)
ok=0
for _ in $(seq 1 40); do
  if curl -fsS "http://127.0.0.1:$PORT/healthz"; then ok=1; break; fi
  sleep 0.5
done
echo
if [ $ok -ne 1 ]; then
  podman logs "$CONTAINER" >&2 || true
  echo "build-image: /healthz did not answer on port $PORT" >&2
  exit 1
fi
echo "image $TAG starts and answers /healthz"

if [ -n "$ARCHIVE" ]; then
  buildah push "$TAG" "oci-archive:$ARCHIVE"
  echo "wrote $ARCHIVE"
fi
