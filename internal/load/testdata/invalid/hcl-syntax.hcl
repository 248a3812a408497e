rule "missing-equals" {
  condition {
    metric   = "cpuLoadRatio"
    operator   "GreaterThan"
    value    = 1.5
  }
}
