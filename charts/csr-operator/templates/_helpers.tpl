{{/* Names and labels. */}}
{{- define "csr-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "csr-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "csr-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "csr-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "csr-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "csr-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: controller
{{- end }}

{{- define "csr-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "csr-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "csr-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The port number of config.http.bindAddress (":8080", "0.0.0.0:9000", "[::]:8080"). */}}
{{- define "csr-operator.httpPort" -}}
{{- $port := regexFind "[0-9]+$" .Values.config.http.bindAddress }}
{{- if not $port }}
{{- fail (printf "config.http.bindAddress %q must end with a port, e.g. \":8080\"" .Values.config.http.bindAddress) }}
{{- end }}
{{- $port }}
{{- end }}

{{- define "csr-operator.leaseNamespace" -}}
{{- default .Release.Namespace .Values.config.leaderElection.namespace }}
{{- end }}

{{/* Signer names the operator approves for, one per line (empty when the approver is off). */}}
{{- define "csr-operator.approveSignerNames" -}}
{{- $a := .Values.config.approver }}
{{- $names := list }}
{{- if $a.enabled }}
{{- if $a.kubeletServing.enabled }}{{ $names = append $names "kubernetes.io/kubelet-serving" }}{{ end }}
{{- if $a.kubeletClient.enabled }}{{ $names = append $names "kubernetes.io/kube-apiserver-client-kubelet" }}{{ end }}
{{- range $a.rules }}{{ $names = append $names .signerName }}{{ end }}
{{- end }}
{{- $names | uniq | join "\n" }}
{{- end }}

{{/* Signer names the operator signs for, one per line. */}}
{{- define "csr-operator.signSignerNames" -}}
{{- $names := list }}
{{- range .Values.config.signers.list }}{{ $names = append $names .signerName }}{{ end }}
{{- $names | uniq | join "\n" }}
{{- end }}

{{/* PodCertificateRequest signer names, one per line (empty: pod certificates are off). */}}
{{- define "csr-operator.podSignerNames" -}}
{{- $names := list }}
{{- range .Values.config.podCertificates.signers }}{{ $names = append $names .signerName }}{{ end }}
{{- $names | uniq | join "\n" }}
{{- end }}

{{/* Signer names whose CA is published as a ClusterTrustBundle, one per line. */}}
{{- define "csr-operator.attestSignerNames" -}}
{{- $names := list }}
{{- range .Values.config.signers.list }}{{ if and .trustBundle .trustBundle.publish }}{{ $names = append $names .signerName }}{{ end }}{{ end }}
{{- range .Values.config.podCertificates.signers }}{{ if and .trustBundle .trustBundle.publish }}{{ $names = append $names .signerName }}{{ end }}{{ end }}
{{- $names | uniq | join "\n" }}
{{- end }}

{{/* The distinct CA Secret names of ca.mode secret, one per line. */}}
{{- define "csr-operator.caSecretNames" -}}
{{- $names := list }}
{{- range .Values.config.signers.list }}
{{- $names = append $names (default $.Values.ca.secret.name (get $.Values.ca.secret.perSigner .signerName)) }}
{{- end }}
{{- $names | uniq | join "\n" }}
{{- end }}

{{/*
Checks that combinations of values make sense; each failure says what to change.
Single values are checked by values.schema.json.
*/}}
{{- define "csr-operator.validate" -}}
{{- $c := .Values.config }}
{{- if and (gt (int .Values.replicaCount) 1) (not $c.leaderElection.enabled) }}
{{- fail (printf "replicaCount is %d but config.leaderElection.enabled is false: replicas without leader election would approve and sign the same CSRs concurrently. Set config.leaderElection.enabled=true or replicaCount=1." (int .Values.replicaCount)) }}
{{- end }}
{{- $signers := $c.signers.list | default list }}
{{- $podSigners := $c.podCertificates.signers | default list }}
{{- if and (not $c.approver.enabled) (not $signers) (not $podSigners) }}
{{- fail "config.approver.enabled is false and config.signers.list and config.podCertificates.signers are empty: the operator would do nothing. Enable the approver or add a signer." }}
{{- end }}
{{- range $podSigners }}
{{- if not (and .caCertFile .caKeyFile) }}
{{- fail (printf "pod certificate signer %q needs caCertFile and caKeyFile: mount its CA with extraVolumes and extraVolumeMounts and set both paths." .signerName) }}
{{- end }}
{{- end }}
{{- $seen := dict }}
{{- range $signers }}
{{- if hasKey $seen .signerName }}
{{- fail (printf "config.signers.list repeats signer %q" .signerName) }}
{{- end }}
{{- $_ := set $seen .signerName true }}
{{- end }}
{{- if eq .Values.ca.mode "none" }}
{{- range $signers }}
{{- if not (and (or .caCertFile $c.signers.defaults.caCertFile) (or .caKeyFile $c.signers.defaults.caKeyFile)) }}
{{- fail (printf "signer %q has no CA: with ca.mode none every signer needs caCertFile and caKeyFile (mounted with extraVolumes). Set ca.mode to secret or hostPath to let the chart mount the CA." .signerName) }}
{{- end }}
{{- end }}
{{- else }}
{{- if not $signers }}
{{- fail (printf "ca.mode is %s but config.signers.list is empty: add the signers that use this CA (e.g. kubernetes.io/kubelet-serving) or set ca.mode=none for an approver-only install." .Values.ca.mode) }}
{{- end }}
{{- range $signers }}
{{- if or .caCertFile .caKeyFile }}
{{- fail (printf "signer %q sets caCertFile/caKeyFile, but ca.mode %s mounts the CA and sets them; remove them or use ca.mode none." .signerName $.Values.ca.mode) }}
{{- end }}
{{- end }}
{{- if eq .Values.ca.mode "pkcs11" }}
{{- $p := .Values.ca.pkcs11 }}
{{- if not (hasPrefix "pkcs11:" (lower $p.keyUri)) }}
{{- fail "ca.mode pkcs11 needs ca.pkcs11.keyUri, the key's PKCS#11 URI (pkcs11:token=...;object=...)" }}
{{- end }}
{{- if contains "pin-" $p.keyUri }}
{{- fail "ca.pkcs11.keyUri must not carry a PIN (pin-value, pin-source); put it in the Secret ca.pkcs11.pinSecret" }}
{{- end }}
{{- if or (and $p.certConfigMap $p.certSecret) (not (or $p.certConfigMap $p.certSecret)) }}
{{- fail "ca.mode pkcs11 needs the CA certificate: set one of ca.pkcs11.certConfigMap and ca.pkcs11.certSecret (key ca.crt)" }}
{{- end }}
{{- if and $p.module.hostPath (not $p.module.path) }}
{{- fail "ca.pkcs11.module.hostPath is set: set ca.pkcs11.module.path to the module's file under module.mountPath" }}
{{- end }}
{{- end }}
{{- if eq .Values.ca.mode "secret" }}
{{- range $name, $_ := .Values.ca.secret.perSigner }}
{{- if not (has $name (splitList "\n" (include "csr-operator.signSignerNames" $))) }}
{{- fail (printf "ca.secret.perSigner names signer %q, which is not in config.signers.list" $name) }}
{{- end }}
{{- end }}
{{- range $signers }}
{{- if not (or $.Values.ca.secret.name (get $.Values.ca.secret.perSigner .signerName)) }}
{{- fail (printf "signer %q has no CA Secret: set ca.secret.name (one Secret for all signers) or ca.secret.perSigner[%q]." .signerName .signerName) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* The signer list of the configuration file, with the CA paths of the chosen ca.mode. */}}
{{- define "csr-operator.signerList" -}}
{{- $out := list }}
{{- range .Values.config.signers.list }}
{{- $s := deepCopy . }}
{{- if eq $.Values.ca.mode "secret" }}
{{- $secret := default $.Values.ca.secret.name (get $.Values.ca.secret.perSigner .signerName) }}
{{- $_ := set $s "caCertFile" (printf "/etc/csr-operator/ca/%s/tls.crt" $secret) }}
{{- $_ := set $s "caKeyFile" (printf "/etc/csr-operator/ca/%s/tls.key" $secret) }}
{{- else if eq $.Values.ca.mode "hostPath" }}
{{- $_ := set $s "caCertFile" "/etc/csr-operator/ca/ca.crt" }}
{{- $_ := set $s "caKeyFile" "/etc/csr-operator/ca/ca.key" }}
{{- else if eq $.Values.ca.mode "pkcs11" }}
{{- $p := $.Values.ca.pkcs11 }}
{{- $_ := set $s "caCertFile" "/etc/csr-operator/ca/ca.crt" }}
{{- $_ := set $s "caKeyFile" $p.keyUri }}
{{- if $p.pinSecret.name }}
{{- $_ := set $s "caKeyPinFile" (printf "/etc/csr-operator/pin/%s" $p.pinSecret.key) }}
{{- end }}
{{- if $p.module.path }}
{{- $_ := set $s "pkcs11Module" $p.module.path }}
{{- end }}
{{- if $p.sessions }}
{{- $_ := set $s "pkcs11Sessions" $p.sessions }}
{{- end }}
{{- end }}
{{- $out = append $out $s }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/* The operator's configuration file. */}}
{{- define "csr-operator.configFile" -}}
{{- $c := deepCopy .Values.config }}
{{- if .Values.config.signers.list }}
{{- $signers := dict "defaults" .Values.config.signers.defaults "reloadInterval" .Values.config.signers.reloadInterval "list" (fromYamlArray (include "csr-operator.signerList" .)) }}
{{- $_ := set $c "signers" $signers }}
{{- else }}
{{- $_ := unset $c "signers" }}
{{- end }}
{{- toYaml $c }}
{{- end }}

{{/*
Where the pods run. A non-empty nodeSelector wins; else, in hostPath mode, ca.hostPath.nodeSelector;
else, in hostPath mode, the control-plane nodes. Never a merge of two of them: Helm merges a user's
map value with the chart default key by key, so a default control-plane key would survive in a
"dedicated nodes" selector and leave the pods Pending on nodes that are not control-plane nodes.
*/}}
{{- define "csr-operator.nodeSelector" -}}
{{- if .Values.nodeSelector }}
{{- toYaml .Values.nodeSelector }}
{{- else if eq .Values.ca.mode "hostPath" }}
{{- toYaml (default (dict "node-role.kubernetes.io/control-plane" "") .Values.ca.hostPath.nodeSelector) }}
{{- end }}
{{- end }}

{{/* True (non-empty) when the pods run as uid 0: hostPath mode with ca.hostPath.runAsRoot. */}}
{{- define "csr-operator.asRoot" -}}
{{- if and (eq .Values.ca.mode "hostPath") .Values.ca.hostPath.runAsRoot }}true{{ end }}
{{- end }}

{{- define "csr-operator.podSecurityContext" -}}
{{- $s := deepCopy .Values.podSecurityContext }}
{{- if include "csr-operator.asRoot" . }}
{{- /* kubeadm's ca.key is root:root 0600; uid 0 reads it as its owner, without any capability. */}}
{{- $_ := set $s "runAsUser" 0 }}
{{- $_ := set $s "runAsNonRoot" false }}
{{- end }}
{{- toYaml $s }}
{{- end }}

{{- define "csr-operator.containerSecurityContext" -}}
{{- $s := deepCopy .Values.securityContext }}
{{- if include "csr-operator.asRoot" . }}
{{- $_ := set $s "runAsUser" 0 }}
{{- $_ := set $s "runAsNonRoot" false }}
{{- end }}
{{- toYaml $s }}
{{- end }}

{{/* The container environment: the downward API names the operator uses, then extraEnv. */}}
{{- define "csr-operator.env" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
{{- if eq .Values.ca.mode "pkcs11" }}
{{- with .Values.ca.pkcs11.env }}
{{ toYaml . }}
{{- end }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The mounts of the configuration and the CA; `run`, the check-config init container and the helm test share them. */}}
{{- define "csr-operator.volumeMounts" -}}
- name: config
  mountPath: /etc/csr-operator/config
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- if eq .Values.ca.mode "secret" }}
{{- range $i, $secret := splitList "\n" (include "csr-operator.caSecretNames" .) }}
- name: ca-{{ $i }}
  mountPath: /etc/csr-operator/ca/{{ $secret }}
  readOnly: true
{{- end }}
{{- else if eq .Values.ca.mode "hostPath" }}
- name: ca-cert
  mountPath: /etc/csr-operator/ca/ca.crt
  readOnly: true
- name: ca-key
  mountPath: /etc/csr-operator/ca/ca.key
  readOnly: true
{{- else if eq .Values.ca.mode "pkcs11" }}
- name: ca-cert
  mountPath: /etc/csr-operator/ca
  readOnly: true
{{- if .Values.ca.pkcs11.pinSecret.name }}
- name: ca-pin
  mountPath: /etc/csr-operator/pin
  readOnly: true
{{- end }}
{{- if .Values.ca.pkcs11.module.hostPath }}
- name: pkcs11-module
  mountPath: {{ .Values.ca.pkcs11.module.mountPath }}
  readOnly: true
{{- end }}
{{- end }}
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "csr-operator.volumes" -}}
- name: config
  configMap:
    name: {{ include "csr-operator.fullname" . }}
- name: tmp
  emptyDir:
    medium: Memory
    sizeLimit: 8Mi
{{- if eq .Values.ca.mode "secret" }}
{{- range $i, $secret := splitList "\n" (include "csr-operator.caSecretNames" .) }}
- name: ca-{{ $i }}
  secret:
    secretName: {{ $secret }}
    defaultMode: {{ $.Values.ca.secret.defaultMode }}
    items:
      - key: tls.crt
        path: tls.crt
      - key: tls.key
        path: tls.key
{{- end }}
{{- else if eq .Values.ca.mode "hostPath" }}
{{- /* Single files, not the directory: /etc/kubernetes/pki also holds the etcd, front-proxy and service-account keys. */}}
- name: ca-cert
  hostPath:
    path: {{ .Values.ca.hostPath.certFile }}
    type: File
- name: ca-key
  hostPath:
    path: {{ .Values.ca.hostPath.keyFile }}
    type: File
{{- else if eq .Values.ca.mode "pkcs11" }}
{{- $p := .Values.ca.pkcs11 }}
- name: ca-cert
  {{- if $p.certConfigMap }}
  configMap:
    name: {{ $p.certConfigMap }}
  {{- else }}
  secret:
    secretName: {{ $p.certSecret }}
  {{- end }}
    items:
      - key: ca.crt
        path: ca.crt
{{- if $p.pinSecret.name }}
- name: ca-pin
  secret:
    secretName: {{ $p.pinSecret.name }}
    defaultMode: 0400
    items:
      - key: {{ $p.pinSecret.key }}
        path: {{ $p.pinSecret.key }}
{{- end }}
{{- if $p.module.hostPath }}
- name: pkcs11-module
  hostPath:
    path: {{ $p.module.hostPath }}
    type: Directory
{{- end }}
{{- end }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* A container (a list item) that runs `csr-operator check-config` on the rendered configuration and its CA files. */}}
{{- define "csr-operator.checkConfigContainer" -}}
- name: check-config
  image: {{ include "csr-operator.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  args:
    - check-config
    - --config
    - /etc/csr-operator/config/config.yaml
  env:
    {{- include "csr-operator.env" . | nindent 4 }}
  resources:
    {{- toYaml .Values.resources | nindent 4 }}
  securityContext:
    {{- include "csr-operator.containerSecurityContext" . | nindent 4 }}
  volumeMounts:
    {{- include "csr-operator.volumeMounts" . | nindent 4 }}
{{- end }}

{{/* Who the bindings grant to: the operator's ServiceAccount, plus rbac.extraSubjects (the static pod's user, docs/external-ca.md). */}}
{{- define "csr-operator.rbacSubjects" -}}
- kind: ServiceAccount
  name: {{ include "csr-operator.serviceAccountName" . }}
  namespace: {{ .Release.Namespace }}
{{- with .Values.rbac.extraSubjects }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The label matchers that select this release's scraped series: metrics.prometheusRule.selector, else the ServiceMonitor's job and namespace. */}}
{{- define "csr-operator.metricsSelector" -}}
{{- if .Values.metrics.prometheusRule.selector }}
{{- .Values.metrics.prometheusRule.selector }}
{{- else }}
{{- printf "job=%q,namespace=%q" (printf "%s-metrics" (include "csr-operator.fullname" .)) .Release.Namespace }}
{{- end }}
{{- end }}
