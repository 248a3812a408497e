rule "over-100-percent" {
  condition {
    metric   = "cpuLoadRatio"
    operator = "GreaterThan"
    value    = 1.5
  }
  action {
    type = "cordon"
  }
  max_unhealthy = "150%"
}

rule "negative" {
  condition {
    metric   = "cpuLoadRatio"
    operator = "GreaterThan"
    value    = 1.5
  }
  action {
    type = "cordon"
  }
  max_unhealthy = -2
}

rule "count-in-a-string" {
  condition {
    metric   = "cpuLoadRatio"
    operator = "GreaterThan"
    value    = 1.5
  }
  action {
    type = "cordon"
  }
  max_unhealthy = "3"
}

rule "count-too-large" {
  condition {
    metric   = "cpuLoadRatio"
    operator = "GreaterThan"
    value    = 1.5
  }
  action {
    type = "cordon"
  }
  max_unhealthy = 99999999999999999999
}
