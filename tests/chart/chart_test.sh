#!/usr/bin/env bash
# Lints charts/csr-operator with every value file in tests/chart/values, then runs the chart_test
# executable (path in $1) against the same helm. helm comes from scripts/install-kubectl.sh.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CHART="$REPO/charts/csr-operator"
TEST_BIN=${1:?usage: chart_test.sh path/to/chart_test}

TOOLS_DIR=$(bash "$REPO/scripts/install-kubectl.sh")
HELM="$TOOLS_DIR/helm/helm"
[ -x "$HELM" ] || { echo "chart_test: no helm at $HELM" >&2; exit 1; }
"$HELM" version --short

"$HELM" lint --strict "$CHART"
for values in "$HERE"/values/*.yaml; do
  echo "helm lint --strict -f ${values#"$REPO"/}"
  "$HELM" lint --strict --quiet "$CHART" -f "$values"
done

# The deploy/ install values must lint as well.
"$HELM" lint --strict --quiet "$CHART" -f "$REPO/deploy/values.yaml"

HELM="$HELM" CHART_DIR="$CHART" "$TEST_BIN"
