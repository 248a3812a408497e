rule "emergency-eviction" {
  condition_logic = "AND"

  condition {
    metric   = "memoryUtilizationPercent"
    operator = "GreaterThan"
    value    = 95
    duration = "30s"
  }

  action {
    type = "taint"
    taint {
      key    = "nodeguardian/emergency"
      value  = "true"
      effect = "NoExecute"
    }
  }
  action {
    type = "evict"
    evict {
      max_pods           = 5
      exclude_namespaces = ["kube-system", "kube-public", "monitoring"]
    }
  }
  action {
    type = "alert"
    alert {
      template = "emergency-alert"
      channels = ["email", "slack", "webhook"]
    }
  }

  recovery_condition {
    metric   = "memoryUtilizationPercent"
    operator = "LessThan"
    value    = 80
    duration = "2m"
  }

  recovery_action {
    type = "removeTaint"
    taint {
      key    = "nodeguardian/emergency"
      effect = "NoExecute"
    }
  }
  recovery_action {
    type = "alert"
    alert {
      template = "emergency-recovery-alert"
      channels = ["email", "slack", "webhook"]
    }
  }

  monitoring {
    check_interval  = "15s"
    cooldown_period = "30m"
  }

  metadata {
    priority    = 50
    enabled     = true
    description = "Evict pods from a node whose memory is nearly exhausted, before the kernel's OOM killer picks victims."
  }
}
