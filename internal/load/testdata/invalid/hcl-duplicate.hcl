rule "twice" {
  condition {
    metric   = "cpuLoadRatio"
    operator = "GreaterThan"
    value    = 1.5
  }
  action {
    type = "cordon"
    cordon {}
  }
  monitoring {
    check_interval = "30s"
  }
  monitoring {
    cooldown_period = "5m"
  }
}

rule "twice" {
  condition {
    metric   = "cpuLoadRatio"
    operator = "GreaterThan"
    value    = 2
  }
  action {
    type = "cordon"
  }
}
