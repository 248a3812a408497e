rule "unknown-fields" {
  condition_logik = "AND"

  condition {
    metric    = "cpuLoadRatio"
    operator  = "GreaterThan"
    value     = 1.5
    threshold = 2
  }

  action {
    type = "cordon"
    cordon {}
  }

  monitoring {
    checkInterval = "30s"
  }
}
