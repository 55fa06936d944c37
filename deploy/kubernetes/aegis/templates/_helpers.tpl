{{- define "aegis.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "aegis.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "aegis.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "aegis.secretName" -}}
{{- default (include "aegis.fullname" .) .Values.existingSecret -}}
{{- end -}}

{{- define "aegis.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The settings every Aegis container gets: the ConfigMap and the Secret. */}}
{{- define "aegis.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "aegis.fullname" . }}
env:
  - name: AEGIS_DATABASE_URL
    valueFrom: {secretKeyRef: {name: {{ include "aegis.secretName" . }}, key: databaseUrl}}
  - name: AEGIS_SECRET_KEY
    valueFrom: {secretKeyRef: {name: {{ include "aegis.secretName" . }}, key: secretKey}}
  - name: AEGIS_S3_ACCESS_KEY
    valueFrom: {secretKeyRef: {name: {{ include "aegis.secretName" . }}, key: s3AccessKey}}
  - name: AEGIS_S3_SECRET_KEY
    valueFrom: {secretKeyRef: {name: {{ include "aegis.secretName" . }}, key: s3SecretKey}}
  - name: AEGIS_ADMIN_PASSWORD
    valueFrom: {secretKeyRef: {name: {{ include "aegis.secretName" . }}, key: adminPassword, optional: true}}
  - name: AEGIS_METRICS_TOKEN
    valueFrom: {secretKeyRef: {name: {{ include "aegis.secretName" . }}, key: metricsToken, optional: true}}
{{- end -}}

{{- define "aegis.pod" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
automountServiceAccountToken: false
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: tmp
    emptyDir: {}
{{- end -}}
