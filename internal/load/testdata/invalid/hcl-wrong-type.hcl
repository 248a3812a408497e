rule "wrong-types" {
  condition {
    metric   = "cpuLoadRatio"
    operator = "GreaterThan"
    value    = "high"
  }

  action {
    type  = "taint"
    taint = {
      key    = "nodeguardian/high-load"
      effect = "NoSchedule"
    }
  }

  node_selector {
    node_names = "worker-1"
  }
}
