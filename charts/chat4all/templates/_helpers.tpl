{{/* Labels of a component: (dict "name" "chat4all-api" "component" "api") */}}
{{- define "chat4all.labels" -}}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/part-of: chat4all
{{- end }}

{{/* host:port of every pod of a StatefulSet: (dict "name" "chat4all-kafka" "replicas" 3 "port" 9092) */}}
{{- define "chat4all.podHosts" -}}
{{- $hosts := list }}
{{- range $i := until (int .replicas) }}
{{- $hosts = append $hosts (printf "%s-%d.%s-headless:%d" $.name $i $.name (int $.port)) }}
{{- end }}
{{- join "," $hosts }}
{{- end }}

{{/* A volume claim template named data: (dict "sizeGi" 10 "root" $) */}}
{{- define "chat4all.dataClaim" -}}
- metadata:
    name: data
  spec:
    accessModes:
      - ReadWriteOnce
    resources:
      requests:
        storage: {{ .sizeGi }}Gi
    {{- with .root.Values.storage.storageClassName }}
    storageClassName: {{ . }}
    {{- end }}
{{- end }}

{{/* Preferred anti-affinity spreading pods of a selector over nodes: (dict "name" "chat4all-kafka") */}}
{{- define "chat4all.spreadOverNodes" -}}
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - podAffinityTerm:
        labelSelector:
          matchLabels:
            app.kubernetes.io/name: {{ .name }}
        topologyKey: kubernetes.io/hostname
      weight: 100
{{- end }}

{{/* A PodDisruptionBudget allowing one pod down: (dict "name" "chat4all-api" "component" "api") */}}
{{- define "chat4all.pdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  labels:
    {{- include "chat4all.labels" . | nindent 4 }}
  name: {{ .name }}
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ .name }}
{{- end }}

{{/* A non-root container security context for third-party images: (dict "readOnly" true) */}}
{{- define "chat4all.containerSecurity" -}}
allowPrivilegeEscalation: false
capabilities:
  drop:
    - ALL
readOnlyRootFilesystem: {{ .readOnly }}
runAsNonRoot: true
{{- end }}

{{/* A non-root pod security context: (dict "uid" 999) */}}
{{- define "chat4all.podSecurity" -}}
fsGroup: {{ .uid }}
runAsGroup: {{ .uid }}
runAsNonRoot: true
runAsUser: {{ .uid }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* The security context of chat4all's own containers (cdk8s-plus style): (dict "uid" 1000) */}}
{{- define "chat4all.hardenedContainer" -}}
allowPrivilegeEscalation: false
capabilities:
  drop:
    - ALL
privileged: false
readOnlyRootFilesystem: true
runAsGroup: {{ .uid }}
runAsNonRoot: true
runAsUser: {{ .uid }}
{{- end }}

{{/* Pod-level fields cdk8s-plus writes out for a Deployment's pods: (dict "uid" 1000) */}}
{{- define "chat4all.podDefaults" -}}
dnsPolicy: ClusterFirst
hostNetwork: false
restartPolicy: Always
securityContext:
  fsGroup: {{ .uid }}
  fsGroupChangePolicy: Always
  runAsGroup: {{ .uid }}
  runAsNonRoot: true
  runAsUser: {{ .uid }}
  seccompProfile:
    type: RuntimeDefault
setHostnameAsFQDN: false
{{- end }}

{{/* Deployment spec fields cdk8s-plus writes out. */}}
{{- define "chat4all.deploymentDefaults" -}}
minReadySeconds: 0
progressDeadlineSeconds: 600
{{- end }}

{{/* An HTTP probe: (dict "path" "/healthz" "port" 8080 "period" 10 "failure" 3 "timeout" 2) */}}
{{- define "chat4all.httpProbe" -}}
failureThreshold: {{ .failure }}
httpGet:
  path: {{ .path }}
  port: {{ .port }}
  scheme: HTTP
periodSeconds: {{ .period }}
{{- with .timeout }}
timeoutSeconds: {{ . }}
{{- end }}
{{- end }}
