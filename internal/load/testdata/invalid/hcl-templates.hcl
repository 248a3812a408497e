alert_template "broken-go" {
  subject = "[NodeGuardian] {{ .nodeName }"
  body    = <<-EOT
    Node {{ .nodeName }} is overloaded.
    {{ .nodeName | nosuchfunc }}
    Actions follow.
  EOT
}

alert_template "broken-jinja" {
  subject = "[NodeGuardian] {{ node_name | round( }}"
  body    = "{% include 'other.txt' %}"
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
        "nodeguardian.io/plan"   = "{{ .planID }}"
        "nodeguardian.io/broken" = "{{ if .nodeName }}"
        "nodeguardian.io/since"  = "{{ timestamp }}"
      }
    }
  }
}
