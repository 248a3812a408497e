rule "disk-space-alert" {
  condition_logic = "AND"

  condition {
    metric   = "diskUtilizationPercent"
    operator = "GreaterThan"
    value    = 85
    duration = "1m"
  }

  action {
    type = "alert"
    alert {
      template = "disk-space-alert"
    }
  }
  action {
    type = "annotation"
    annotation {
      annotations = {
        "nodeguardian.io/disk-warning" = "true"
      }
    }
  }

  recovery_condition {
    metric   = "diskUtilizationPercent"
    operator = "LessThan"
    value    = 80
    duration = "2m"
  }

  recovery_action {
    type = "removeAnnotation"
    annotation {
      keys = ["nodeguardian.io/disk-warning"]
    }
  }

  monitoring {
    check_interval  = "1m"
    cooldown_period = "5m"
  }

  metadata {
    priority    = 200
    enabled     = true
    description = "Warn when a node's disk usage stays above 85%, and clear the warning once it is back under 80%."
  }
}
