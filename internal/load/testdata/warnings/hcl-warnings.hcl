rule "hcl-warnings" {
  condition {
    metric   = "cpuLoadRatio"
    operator = "GreaterThan"
    value    = 1.5
    duration = "10s"
  }

  action {
    type = "alert"
    alert {
      template = "missing-template"
    }
  }

  recovery_action {
    type = "removeAnnotation"
    annotation {
      keys = ["nodeguardian.io/reason"]
    }
  }
}
