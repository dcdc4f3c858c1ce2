{{/* The environment that points chat4all-server at the backends (InfrastructureChart.endpoints). */}}
{{- define "chat4all.backendEnv" -}}
- name: KAFKA_BROKERS
  value: {{ include "chat4all.podHosts" (dict "name" "chat4all-kafka" "replicas" .Values.replicas.kafka "port" 9092) }}
- name: KAFKA_REPLICATION_FACTOR
  value: {{ .Values.kafka.replicationFactor | quote }}
- name: CASSANDRA_CONTACT_POINTS
  value: {{ include "chat4all.podHosts" (dict "name" "chat4all-cassandra" "replicas" .Values.replicas.cassandra "port" 9042) }}
- name: CASSANDRA_LOCAL_DC
  value: {{ .Values.cassandra.datacenter }}
- name: CASSANDRA_KEYSPACE
  value: chat4all
- name: CASSANDRA_REPLICATION_FACTOR
  value: {{ printf "%s:%d" .Values.cassandra.datacenter (int .Values.cassandra.keyspaceReplication) }}
- name: CASSANDRA_CONSISTENCY
  value: localQuorum
- name: REDIS_SENTINELS
  value: {{ include "chat4all.podHosts" (dict "name" "chat4all-redis" "replicas" .Values.replicas.redis "port" 26379) }}
- name: REDIS_SENTINEL_NAME
  value: mymaster
- name: KAFKA_PARTITIONS
  value: {{ .Values.kafka.partitions | quote }}
- name: LOG_LEVEL
  value: {{ .Values.logLevel }}
{{- end }}

{{/*
One role of chat4all-server (ServerWorkload): Deployment, Service and PodDisruptionBudget.
(dict "root" $ "role" "gateway" "replicas" nil "memoryLimit" "768Mi")
*/}}
{{- define "chat4all.serverWorkload" -}}
{{- $root := .root }}
{{- $role := .role }}
{{- $name := printf "chat4all-%s" $role }}
{{- $labels := dict "name" $name "component" $role }}
{{- $healthPort := ternary 8080 9095 (eq $role "api") }}
{{- $drain := int $root.Values.gateway.drainSeconds }}
{{- $grace := ternary (add 5 $drain 15) 30 (eq $role "gateway") }}
apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    {{- include "chat4all.labels" $labels | nindent 4 }}
  name: {{ $name }}
spec:
  {{- include "chat4all.deploymentDefaults" . | nindent 2 }}
  {{- with .replicas }}
  replicas: {{ . }}
  {{- end }}
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ $name }}
  strategy:
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 25%
    type: RollingUpdate
  template:
    metadata:
      annotations:
        prometheus.io/path: /metrics
        prometheus.io/port: {{ $healthPort | quote }}
        prometheus.io/scrape: "true"
      labels:
        {{- include "chat4all.labels" $labels | nindent 8 }}
    spec:
      automountServiceAccountToken: false
      containers:
        - env:
            {{- include "chat4all.backendEnv" $root | nindent 12 }}
            - name: ROLE
              value: {{ $role }}
            - name: LOG_FORMAT
              value: json
            {{- if eq $role "api" }}
            - name: API_PORT
              value: "8080"
            {{- end }}
            {{- if eq $role "gateway" }}
            - name: WEBSOCKET_PORT
              value: "8085"
            - name: DRAIN_SECONDS
              value: {{ $drain | quote }}
            {{- end }}
            {{- if ne $role "api" }}
            - name: METRICS_PORT
              value: "9095"
            {{- end }}
            {{- if ne $role "worker" }}
            - name: JWT_SECRET
              valueFrom:
                secretKeyRef:
                  key: JWT_SECRET
                  name: chat4all-jwt
            {{- end }}
          image: {{ $root.Values.images.server }}
          imagePullPolicy: {{ $root.Values.imagePullPolicy }}
          lifecycle:
            preStop:
              exec:
                command:
                  - sleep
                  - "5"
          livenessProbe:
            {{- include "chat4all.httpProbe" (dict "path" "/healthz" "port" $healthPort "period" 10 "failure" 3 "timeout" 2) | nindent 12 }}
          name: server
          ports:
            {{- if eq $role "api" }}
            - containerPort: 8080
              name: http
            {{- end }}
            {{- if eq $role "gateway" }}
            - containerPort: 8085
              name: websocket
            {{- end }}
            {{- if ne $role "api" }}
            - containerPort: 9095
              name: metrics
            {{- end }}
          readinessProbe:
            {{- include "chat4all.httpProbe" (dict "path" "/readyz" "port" $healthPort "period" 5 "failure" 2 "timeout" 2) | nindent 12 }}
          resources:
            limits:
              cpu: 1000m
              memory: {{ .memoryLimit }}
            requests:
              cpu: 250m
              memory: 256Mi
          securityContext:
            {{- include "chat4all.hardenedContainer" (dict "uid" 1000) | nindent 12 }}
          startupProbe:
            {{- include "chat4all.httpProbe" (dict "path" "/healthz" "port" $healthPort "period" 2 "failure" 30) | nindent 12 }}
          volumeMounts:
            - mountPath: /tmp
              name: tmp
      {{- include "chat4all.podDefaults" (dict "uid" 1000) | nindent 6 }}
      terminationGracePeriodSeconds: {{ $grace }}
      volumes:
        - emptyDir:
            sizeLimit: 64Mi
          name: tmp
---
apiVersion: v1
kind: Service
metadata:
  labels:
    {{- include "chat4all.labels" $labels | nindent 4 }}
  name: {{ $name }}
spec:
  externalIPs: []
  ports:
    {{- if eq $role "api" }}
    - name: http
      port: 8080
      targetPort: 8080
    {{- end }}
    {{- if eq $role "gateway" }}
    - name: websocket
      port: 8085
      targetPort: 8085
    {{- end }}
    {{- if ne $role "api" }}
    - name: metrics
      port: 9095
      targetPort: 9095
    {{- end }}
  selector:
    app.kubernetes.io/name: {{ $name }}
  type: ClusterIP
---
{{ include "chat4all.pdb" $labels }}
{{- end }}
