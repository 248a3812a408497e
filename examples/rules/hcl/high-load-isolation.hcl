rule "high-load-isolation" {
  condition_logic          = "AND"
  recovery_condition_logic = "AND"

  condition {
    metric   = "cpuLoadRatio"
    operator = "GreaterThan"
    value    = 1.5
    duration = "3m"
  }
  condition {
    metric   = "memoryUtilizationPercent"
    operator = "GreaterThan"
    value    = 90
    duration = "2m"
  }

  node_selector {
    match_labels = {
      "node-role.kubernetes.io/worker" = "true"
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
    type = "alert"
    alert {
      template = "high-load-alert"
      channels = ["webhook", "email"]
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

  recovery_condition {
    metric   = "cpuLoadRatio"
    operator = "LessThan"
    value    = 0.8
    duration = "5m"
  }
  recovery_condition {
    metric   = "memoryUtilizationPercent"
    operator = "LessThan"
    value    = 70
    duration = "3m"
  }

  recovery_action {
    type = "removeTaint"
    taint {
      key    = "nodeguardian/high-load"
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
    type = "alert"
    alert {
      template = "recovery-alert"
      channels = ["webhook", "email"]
    }
  }

  monitoring {
    check_interval  = "30s"
    cooldown_period = "10m"
  }

  metadata {
    priority    = 100
    enabled     = true
    description = "Isolate worker nodes under sustained high CPU load and memory pressure, and release them once the load has dropped."
  }
}
