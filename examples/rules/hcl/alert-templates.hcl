alert_template "high-load-alert" {
  subject  = "[NodeGuardian] High load on node {{ node_name }}"
  body     = <<-EOT
    Node {{ node_name }} triggered the high load rule.

    Current metrics:
    - CPU load ratio: {{ metrics.cpu_load_ratio }}
    - Memory utilization: {{ metrics.memory_utilization }}%
    - Checked at: {{ timestamp }}

    The node has been tainted so that no new pods are scheduled on it.
    Please investigate.
  EOT
  channels = ["email", "slack", "webhook"]
}

alert_template "recovery-alert" {
  subject  = "[NodeGuardian] Node {{ node_name }} has recovered"
  body     = <<-EOT
    Node {{ node_name }} is back to normal.

    Current metrics:
    - CPU load ratio: {{ metrics.cpu_load_ratio }}
    - Memory utilization: {{ metrics.memory_utilization }}%
    - Checked at: {{ timestamp }}

    The isolation taint and status label have been removed.
  EOT
  channels = ["email", "slack", "webhook"]
}

alert_template "disk-space-alert" {
  subject  = "[NodeGuardian] Low disk space on node {{ node_name }}"
  body     = <<-EOT
    Node {{ node_name }} is running out of disk space.

    Current metrics:
    - Disk utilization: {{ metrics.disk_utilization }}%
    - Checked at: {{ timestamp }}

    Please clean up unused images, logs or volumes.
  EOT
  channels = ["email", "slack"]
}

alert_template "emergency-alert" {
  subject  = "[NodeGuardian] EMERGENCY: memory exhausted on node {{ .nodeName }}"
  body     = <<-EOT
    Node {{ .nodeName }} is about to run out of memory.

    Current metrics:
    - Memory utilization: {{ .metrics.memoryUtilizationPercent }}%
    - Checked at: {{ .timestamp }}

    Emergency measures taken:
    {{- range .actions }}
    - {{ .description }}
    {{- end }}

    Immediate attention required. (plan {{ .planID }})
  EOT
  channels = ["email", "slack", "webhook"]
}

alert_template "emergency-recovery-alert" {
  subject  = "[NodeGuardian] Node {{ node_name }} has recovered from the memory emergency"
  body     = <<-EOT
    Node {{ node_name }} is no longer short of memory.

    Current metrics:
    - Memory utilization: {{ metrics.memory_utilization }}%
    - Checked at: {{ timestamp }}

    The emergency taint has been removed; pods can be scheduled on the node again.
  EOT
  channels = ["email", "slack", "webhook"]
}
