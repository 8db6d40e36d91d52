{{/* Names, labels and the pieces every itosm pod shares. */}}

{{- define "itosm.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "itosm.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "itosm.selectorLabels" -}}
app.kubernetes.io/name: {{ include "itosm.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "itosm.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "itosm.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: itosm
{{- end -}}

{{/* Labels of one component: (dict "ctx" $ "component" "api"). */}}
{{- define "itosm.componentLabels" -}}
{{ include "itosm.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "itosm.componentSelector" -}}
{{ include "itosm.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "itosm.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "itosm.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "itosm.secretName" -}}
{{- default (include "itosm.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "itosm.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "itosm.rabbitmq" -}}
{{- if eq .Values.config.transport.kind "rabbitmq" -}}true{{- end -}}
{{- end -}}

{{/*
The roles each Deployment runs. With rabbitmq, one Deployment per role;
in-process keeps the three roles in one process, so the api runs them all.
*/}}
{{- define "itosm.apiRoles" -}}
{{- if include "itosm.rabbitmq" . -}}api{{- else -}}api,relay,notifier{{- end -}}
{{- end -}}

{{- define "itosm.terminationGracePeriodSeconds" -}}
{{- add .Values.shutdown.preStopSleepSeconds .Values.shutdown.graceSeconds 10 -}}
{{- end -}}

{{/*
A value as TOML (strings as JSON strings, which TOML reads the same; numbers
as integers: the config has no fractional keys; lists and tables inline).
*/}}
{{- define "itosm.tomlValue" -}}
{{- $v := . -}}
{{- if kindIs "string" $v -}}{{ toRawJson $v }}
{{- else if kindIs "bool" $v -}}{{ $v }}
{{- else if or (kindIs "float64" $v) (kindIs "int" $v) (kindIs "int64" $v) -}}{{ int64 $v }}
{{- else if kindIs "slice" $v -}}[{{ range $i, $e := $v }}{{ if $i }}, {{ end }}{{ include "itosm.tomlValue" $e }}{{ end }}]
{{- else if kindIs "map" $v -}}{ {{- range $i, $k := keys $v | sortAlpha }}{{ if $i }}, {{ end }}{{ $k }} = {{ include "itosm.tomlValue" (get $v $k) }}{{ end -}} }
{{- else -}}{{ fail (printf "itosm.tomlValue: cannot render %v (%s)" $v (kindOf $v)) }}
{{- end -}}
{{- end -}}

{{/* One table's scalar keys, sorted: (dict "table" $map). */}}
{{- define "itosm.tomlKeys" -}}
{{- range $k := keys .table | sortAlpha }}
{{ $k }} = {{ include "itosm.tomlValue" (get $.table $k) }}
{{- end -}}
{{- end -}}

{{/*
A value in figment's environment syntax (what the daemon parses out of an
ITOSM_… variable): strings quoted with JSON escapes, lists [a, b], tables
{key = value, …}.
*/}}
{{- define "itosm.envValue" -}}
{{- $v := . -}}
{{- if kindIs "string" $v -}}{{ toRawJson $v }}
{{- else if kindIs "bool" $v -}}{{ $v }}
{{- else if or (kindIs "float64" $v) (kindIs "int" $v) (kindIs "int64" $v) -}}{{ int64 $v }}
{{- else if kindIs "slice" $v -}}[{{ range $i, $e := $v }}{{ if $i }}, {{ end }}{{ include "itosm.envValue" $e }}{{ end }}]
{{- else if kindIs "map" $v -}}{ {{- range $i, $k := keys $v | sortAlpha }}{{ if $i }}, {{ end }}{{ $k }} = {{ include "itosm.envValue" (get $v $k) }}{{ end -}} }
{{- else -}}{{ fail (printf "itosm.envValue: cannot render %v (%s)" $v (kindOf $v)) }}
{{- end -}}
{{- end -}}

{{/*
The sinks as the daemon gets them: config.notifications.sinks with the
credentials from secrets.* merged in. Returns JSON {"sinks": [...],
"secret": bool}; secret is true when any sink carries a credential, and then
the list travels in the Secret rather than the ConfigMap.
*/}}
{{- define "itosm.sinks" -}}
{{- $s := .Values.secrets -}}
{{- $managed := not $s.existingSecret -}}
{{- if not $managed -}}
{{- range $key := list "tokenSecret" "databaseUrl" "amqpUrl" -}}
{{- if get $s $key -}}
{{- fail (printf "secrets.%s is ignored with secrets.existingSecret: put it in that Secret (see values.yaml)" $key) -}}
{{- end -}}
{{- end -}}
{{- if or $s.smtp.username $s.smtp.password $s.sms.accountSid $s.sms.authToken $s.webhooks -}}
{{- fail "secrets.smtp, secrets.sms and secrets.webhooks are ignored with secrets.existingSecret: put the sinks, with their credentials, in that Secret as ITOSM_NOTIFICATIONS__SINKS (docs/DEPLOY.md, Secrets)" -}}
{{- end -}}
{{- end -}}
{{- $out := list -}}
{{- $secret := false -}}
{{- range $i, $sink := .Values.config.notifications.sinks -}}
{{- $sink = deepCopy $sink -}}
{{- if $managed -}}
{{- if eq $sink.kind "email" -}}
{{- if $s.smtp.username }}{{ $_ := set $sink "username" $s.smtp.username }}{{ $secret = true }}{{ end -}}
{{- if $s.smtp.password }}{{ $_ := set $sink "password" $s.smtp.password }}{{ $secret = true }}{{ end -}}
{{- else if eq $sink.kind "sms" -}}
{{- if not (and $s.sms.accountSid $s.sms.authToken) -}}
{{- fail (printf "config.notifications.sinks[%d] (sms %q) needs secrets.sms.accountSid and secrets.sms.authToken" $i $sink.name) -}}
{{- end -}}
{{- $_ := set $sink "account_sid" $s.sms.accountSid -}}
{{- $_ := set $sink "auth_token" $s.sms.authToken -}}
{{- $secret = true -}}
{{- else if eq $sink.kind "webhook" -}}
{{- $hook := get $s.webhooks $sink.name -}}
{{- if not $hook -}}
{{- fail (printf "config.notifications.sinks[%d] (webhook %q) needs its signing secret in secrets.webhooks.%s" $i $sink.name $sink.name) -}}
{{- end -}}
{{- $_ := set $sink "secret" $hook -}}
{{- $secret = true -}}
{{- end -}}
{{- end -}}
{{- $out = append $out $sink -}}
{{- end -}}
{{- dict "sinks" $out "secret" $secret | toJson -}}
{{- end -}}

{{/* itosm.toml, shared by the ConfigMap and the migrations hook's copy. */}}
{{- define "itosm.configToml" -}}
{{- $c := .Values.config -}}
{{- $sinks := include "itosm.sinks" . | fromJson -}}
# itosm.toml, rendered by the itosm Helm chart from its values (config.*);
# config/itosm.toml documents every key. Secrets are not in this file: the
# token secret, the database and broker URLs and sink credentials come from
# the environment (Secret {{ include "itosm.secretName" . }}).
demo_data = {{ $c.demo_data }}

[http]
addr = "0.0.0.0:8080"
{{- include "itosm.tomlKeys" (dict "table" $c.http) }}

[database]
# url: ITOSM_DATABASE__URL. Migrations run in the pre-install/pre-upgrade Job.
migrate_on_start = false
{{- include "itosm.tomlKeys" (dict "table" $c.database) }}

[transport]
# amqp_url: ITOSM_TRANSPORT__AMQP_URL.
{{- include "itosm.tomlKeys" (dict "table" $c.transport) }}

[auth]
# token_secret: ITOSM_AUTH__TOKEN_SECRET.
{{- include "itosm.tomlKeys" (dict "table" $c.auth) }}

[tickets]
{{- include "itosm.tomlKeys" (dict "table" $c.tickets) }}
{{- range $priority := list "low" "medium" "high" "critical" }}
{{- with get $c.sla $priority }}

[sla.{{ $priority }}]
{{- include "itosm.tomlKeys" (dict "table" .) }}
{{- end }}
{{- end }}

[graphql]
{{- include "itosm.tomlKeys" (dict "table" $c.graphql) }}

[relay]
{{- include "itosm.tomlKeys" (dict "table" $c.relay) }}

[notifications]
{{- include "itosm.tomlKeys" (dict "table" (omit $c.notifications "sinks")) }}
{{- if $sinks.secret }}
# sinks: ITOSM_NOTIFICATIONS__SINKS (they carry credentials).
{{- else }}
{{- range $sink := $sinks.sinks }}

[[notifications.sinks]]
{{- include "itosm.tomlKeys" (dict "table" $sink) }}
{{- end }}
{{- end }}

[shutdown]
# How long the daemon drains after SIGTERM; terminationGracePeriodSeconds
# is longer (shutdown.* in the chart's values).
grace = "{{ .Values.shutdown.graceSeconds }}s"

[portal]
dir = "/app/portal"

{{- with .Values.attachments }}

[attachments]
store = {{ .store | quote }}
dir = "/var/lib/itosm/attachments"
max_bytes = {{ .maxBytes | quote }}
max_count = {{ .maxCount }}
{{- if eq .store "s3" }}

[attachments.s3]
# access_key_id, secret_access_key: ITOSM_ATTACHMENTS__S3__… (Secret).
bucket = {{ required "attachments.s3.bucket is required with attachments.store: s3" .s3.bucket | quote }}
{{- with .s3.endpoint }}
endpoint = {{ . | quote }}
{{- end }}
region = {{ .s3.region | quote }}
prefix = {{ .s3.prefix | quote }}
allow_http = {{ .s3.allowHttp }}
{{- end }}
{{- end }}

[log]
{{- include "itosm.tomlKeys" (dict "table" $c.log) }}

{{- with .Values.extraConfig }}

{{ . }}
{{- end }}
{{ end -}}

{{/* The Secret's data (environment variable name -> value), base64. */}}
{{- define "itosm.secretData" -}}
{{- $s := .Values.secrets -}}
{{- $sinks := include "itosm.sinks" . | fromJson -}}
ITOSM_AUTH__TOKEN_SECRET: {{ required "secrets.tokenSecret is required (or set secrets.existingSecret)" $s.tokenSecret | b64enc | quote }}
{{- if not $s.databaseUrlFrom }}
ITOSM_DATABASE__URL: {{ required "secrets.databaseUrl is required (or secrets.databaseUrlFrom, or secrets.existingSecret)" $s.databaseUrl | b64enc | quote }}
{{- end }}
{{- if and (include "itosm.rabbitmq" .) (not $s.amqpUrlFrom) }}
ITOSM_TRANSPORT__AMQP_URL: {{ required "secrets.amqpUrl is required with the rabbitmq transport (or secrets.amqpUrlFrom, or secrets.existingSecret)" $s.amqpUrl | b64enc | quote }}
{{- end }}
{{- if $sinks.secret }}
ITOSM_NOTIFICATIONS__SINKS: {{ include "itosm.envValue" $sinks.sinks | b64enc | quote }}
{{- end }}
{{- with $s.s3 }}
{{- if .accessKeyId }}
ITOSM_ATTACHMENTS__S3__ACCESS_KEY_ID: {{ .accessKeyId | b64enc | quote }}
ITOSM_ATTACHMENTS__S3__SECRET_ACCESS_KEY: {{ required "secrets.s3.secretAccessKey is required with secrets.s3.accessKeyId" .secretAccessKey | b64enc | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Checksums that roll the pods when the config or the Secret changes. */}}
{{- define "itosm.checksums" -}}
checksum/config: {{ include "itosm.configToml" . | sha256sum }}
{{- if not .Values.secrets.existingSecret }}
checksum/secret: {{ include "itosm.secretData" . | sha256sum }}
{{- end }}
{{- end -}}

{{/* Environment of every itosm container. */}}
{{- define "itosm.env" -}}
envFrom:
  - secretRef:
      name: {{ include "itosm.secretName" . }}
  {{- with .Values.extraEnvFrom }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- $s := .Values.secrets }}
{{- if or $s.databaseUrlFrom (and $s.amqpUrlFrom (include "itosm.rabbitmq" .)) .Values.extraEnv }}
env:
  {{- with $s.databaseUrlFrom }}
  - name: ITOSM_DATABASE__URL
    valueFrom:
      secretKeyRef:
        name: {{ .name }}
        key: {{ .key }}
  {{- end }}
  {{- if include "itosm.rabbitmq" . }}
  {{- with $s.amqpUrlFrom }}
  - name: ITOSM_TRANSPORT__AMQP_URL
    valueFrom:
      secretKeyRef:
        name: {{ .name }}
        key: {{ .key }}
  {{- end }}
  {{- end }}
  {{- with .Values.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
{{- end -}}

{{/*
Pod-level settings every itosm pod shares, with a role's overrides:
(dict "ctx" $ "role" .Values.api "component" "api").
*/}}
{{- define "itosm.podCommon" -}}
{{- $ctx := .ctx -}}
serviceAccountName: {{ include "itosm.serviceAccountName" $ctx }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml $ctx.Values.podSecurityContext | nindent 2 }}
{{- with $ctx.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .role.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .role.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .role.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $ctx.Values.topologySpread.enabled }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: {{ $ctx.Values.topologySpread.topologyKey }}
    whenUnsatisfiable: {{ $ctx.Values.topologySpread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "itosm.componentSelector" (dict "ctx" $ctx "component" .component) | nindent 8 }}
{{- end }}
{{- end -}}
