rules "plural" {
}

rule "unknown-block" {
  conditon {
    metric   = "cpuLoadRatio"
    operator = "GreaterThan"
    value    = 1.5
  }

  conditions {
  }

  action {
    type = "cordon"
    cordon {}
  }

  selector {
    match_labels = {
      "node-role.kubernetes.io/worker" = "true"
    }
  }
}
