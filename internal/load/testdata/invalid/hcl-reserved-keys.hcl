# NodeGuardian never sets, changes or removes keys under kubernetes.io/ and k8s.io/
# (and their subdomains), except node.kubernetes.io/out-of-service.
rule "reserved-keys" {
  condition {
    metric   = "cpuLoadRatio"
    operator = "GreaterThan"
    value    = 1.5
  }

  action {
    type = "taint"
    taint {
      key    = "node-role.kubernetes.io/control-plane"
      effect = "NoSchedule"
    }
  }
  action {
    type = "label"
    label {
      labels = {
        "nodeguardian.k8s.io/exclude" = "true"
      }
    }
  }
  action {
    type = "annotation"
    annotation {
      annotations = {
        "node.alpha.kubernetes.io/ttl" = "0"
      }
    }
  }
  action {
    type = "taint"
    taint {
      key    = "node.kubernetes.io/out-of-service"
      value  = "nodeshutdown"
      effect = "NoExecute"
    }
  }

  recovery_action {
    type = "removeLabel"
    label {
      keys = ["kubernetes.io/hostname"]
    }
  }
}
