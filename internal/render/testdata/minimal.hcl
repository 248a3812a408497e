rule "minimal" {
  max_unhealthy = 2

  condition {
    metric   = "diskUtilizationPercent"
    operator = "GreaterThan"
    value    = 0
  }

  action {
    type = "cordon"
    cordon {}
  }
}
