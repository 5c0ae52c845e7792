{{/* Chart name, overridable with nameOverride. */}}
{{- define "esignet-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every resource name: fullnameOverride, else the release name when it contains the
chart name, else <release>-<chart>. With the release "esignet-operator" the objects have the names
`make deploy` (config/default) gives them.
*/}}
{{- define "esignet-operator.fullname" -}}
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

{{/* <fullname>-<suffix>, kept within 63 characters (a Service or label value). */}}
{{- define "esignet-operator.suffixed" -}}
{{- $suffix := index . 1 }}
{{- $prefix := include "esignet-operator.fullname" (index . 0) | trunc (int (sub 62 (len $suffix))) | trimSuffix "-" }}
{{- printf "%s-%s" $prefix $suffix }}
{{- end }}

{{- define "esignet-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "esignet-operator.labels" -}}
helm.sh/chart: {{ include "esignet-operator.chart" . }}
{{ include "esignet-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: esignet-operator
{{- end }}

{{/* Labels selecting the manager pods. */}}
{{- define "esignet-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "esignet-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller-manager
{{- end }}

{{/* The manager's ServiceAccount. */}}
{{- define "esignet-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "esignet-operator.suffixed" (list . "controller-manager")) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "esignet-operator.image" -}}
{{- printf "%s:%s" (required "image.repository is required" .Values.image.repository) (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* The namespace of the Secrets ClusterESignetProviders reference. */}}
{{- define "esignet-operator.clusterResourceNamespace" -}}
{{- .Values.clusterResourceNamespace | default .Release.Namespace }}
{{- end }}
