rule "high-load-isolation" {
  condition_logic = "AND"

  condition {
    metric   = "cpuLoadRatio"
    operator = "GreaterThan"
    value    = 1.5
    duration = "3m"
  }

  node_selector {
    match_labels = {
      "node-role.kubernetes.io/worker" = "true"
    }
    match_expression {
      key      = "topology.kubernetes.io/zone"
      operator = "In"
      values   = ["a", "b"]
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
    type = "cordon"
    cordon {}
  }

  recovery_action {
    type = "removeTaint"
    taint {
      key = "nodeguardian/high-load"
    }
  }

  monitoring {
    check_interval  = "30s"
    cooldown_period = "10m"
  }

  metadata {
    priority    = 100
    enabled     = true
    description = "Isolate overloaded workers"
  }
}

alert_template "high-load-alert" {
  subject  = "[NodeGuardian] high load on {{ node_name }}"
  body     = <<-EOT
    Node {{ node_name }} is overloaded.
  EOT
  channels = ["email", "slack"]
}
