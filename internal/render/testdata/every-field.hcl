rule "every-field" {
  labels = {
    "app.kubernetes.io/part-of" = "nodeguardian"
    "team"                      = "sre"
  }
  annotations = {
    "note"  = "true"
    "owner" = "ops@example.com"
  }
  condition_logic          = "OR"
  recovery_condition_logic = "AND"
  max_unhealthy            = "20%"
  dry_run                  = true
  suspend                  = true

  condition {
    metric      = "cpuLoadRatio"
    operator    = "GreaterThan"
    value       = 1.5
    duration    = "3m"
    description = "load above 1.5"
  }
  condition {
    metric   = "gpu_temp"
    operator = "GreaterThanOrEqual"
    value    = 0.1
    duration = "1h30m"
    query    = "max by (node) (gpu_temperature{job=\"dcgm\"})"
  }
  condition {
    metric   = "memoryUtilizationPercent"
    operator = "NotEqualTo"
    value    = -2
  }

  node_selector {
    match_labels = {
      "node-role.kubernetes.io/worker" = "true"
      "zone"                           = "a"
    }
    node_names = ["node-1", "node-2"]
    match_expression {
      key      = "topology.kubernetes.io/zone"
      operator = "In"
      values   = ["a", "b"]
    }
    match_expression {
      key      = "gpu"
      operator = "Exists"
    }
  }

  action {
    type = "taint"
    taint {
      key    = "nodeguardian/high-load"
      value  = "true"
      effect = "NoSchedule"
    }
  }
  action {
    type = "label"
    label {
      labels = {
        "nodeguardian.io/status" = "high-load"
      }
    }
  }
  action {
    type = "annotation"
    annotation {
      annotations = {
        "nodeguardian.io/rule"  = "every-field"
        "nodeguardian.io/since" = "{{ timestamp }}"
      }
    }
  }
  action {
    type = "evict"
    evict {
      max_pods             = 5
      exclude_namespaces   = ["kube-system"]
      grace_period_seconds = 0
      pod_selector {
        match_labels = {
          "tier" = "batch"
        }
        match_expression {
          key      = "critical"
          operator = "NotIn"
          values   = ["yes"]
        }
      }
    }
  }
  action {
    type = "drain"
    drain {
      grace_period_seconds = 30
      timeout              = "1h30m"
    }
  }
  action {
    type = "cordon"
    cordon {}
  }
  action {
    type = "alert"
    alert {
      enabled  = false
      template = "high-load-alert"
      channels = ["email", "slack"]
    }
  }

  recovery_condition {
    metric   = "cpuLoadRatio"
    operator = "LessThan"
    value    = 0.8
    duration = "5m"
  }

  recovery_action {
    type = "removeTaint"
    taint {
      key    = "nodeguardian/high-load"
      value  = "true"
      effect = "NoSchedule"
    }
  }
  recovery_action {
    type = "removeLabel"
    label {
      keys = ["nodeguardian.io/status"]
    }
  }
  recovery_action {
    type = "removeAnnotation"
    annotation {
      keys = ["nodeguardian.io/since", "nodeguardian.io/rule"]
    }
  }
  recovery_action {
    type = "uncordon"
    uncordon {}
  }
  recovery_action {
    type = "alert"
    alert {
      enabled  = true
      template = "recovery-alert"
    }
  }

  monitoring {
    check_interval  = "30s"
    cooldown_period = "1h30m"
    metrics_source {
      prometheus_url     = "http://prometheus.monitoring:9090"
      use_metrics_server = true
    }
  }

  metadata {
    priority    = 0
    enabled     = true
    description = <<-EOT
      Every field.
      Second line with $${not_interpolated} and %%{ directive }.

        Indented line.
    EOT
    tags        = ["test", "all"]
  }
}

alert_template "every-field-alert" {
  labels = {
    "team" = "sre"
  }
  annotations = {
    "description" = "all fields"
  }
  subject         = "[NodeGuardian] \"{{ node_name }}\" is overloaded"
  body            = <<-EOT
    Node {{ node_name }} is overloaded:

    - CPU load ratio: {{ metrics.cpu_load_ratio }}
    - Checked at: {{ timestamp }}
  EOT
  channels        = ["email", "webhook", "log"]
  repeat_interval = "1h30m"
  variables = {
    "big"     = 1e3
    "count"   = 90
    "empty"   = {}
    "enabled" = true
    "neg"     = -4
    "nested" = {
      "$${x}"      = "%%{y}"
      "with space" = "x"
    }
    "none"    = null
    "nothing" = []
    "owners" = ["sre", {
      "name"    = "ops"
      "on-call" = true
    }]
    "runbook"   = "https://runbooks.example.com/high-load"
    "threshold" = 1.50
  }
}
