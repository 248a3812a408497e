alert_template "go-style" {
  subject = "[NodeGuardian] {{ .nodeName }} {{ .nodename }}"
  body    = <<-EOT
    {{ range .actions }}- {{ .type }}: {{ .severity }}
    {{ end }}{{ range .topPods }}{{ .name }} {{ .cpu }}{{ end }}
    {{ .metrics.cpuLoadRatio }} {{ .plan_id }}
  EOT
}

alert_template "jinja-style" {
  subject = "[NodeGuardian] {{ node_name }} {{ nodeName }}"
  body    = <<-EOT
    {{ metrics.cpu_load_ratio | round(2) }} {{ metrics.memory_utilization }}% {{ timestamp }}
    {% for p in top_pods %}{{ p.name }} {{ p.gpu }}{% endfor %}
    {{ hostname | default('n/a') }}
  EOT
}

rule "annotated" {
  condition {
    metric   = "cpuLoadRatio"
    operator = "GreaterThan"
    value    = 1.5
    duration = "5m"
  }
  action {
    type = "annotation"
    annotation {
      annotations = {
        "nodeguardian.io/since" = "{{ .timestamp }} {{ .rule }}"
        "nodeguardian.io/load"  = "{{ metrics.cpu_load_ratio }}"
      }
    }
  }
}
