rule "variable-reference" {
  condition {
    metric   = "cpuLoadRatio"
    operator = "GreaterThan"
    value    = var.threshold
  }

  action {
    type = "annotation"
    annotation {
      annotations = {
        "nodeguardian.io/since" = "${timestamp}"
        "nodeguardian.io/owner" = upper("sre")
      }
    }
  }
}
