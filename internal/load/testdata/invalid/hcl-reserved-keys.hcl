# NodeGuardian never sets, changes or removes keys under kubernetes.io/ and k8s.io/
# (and their subdomains), except the taint node.kubernetes.io/out-of-service: as a label
# or annotation key it is reserved too.
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

rule "out-of-service-is-a-taint-only" {
  condition {
    metric   = "cpuLoadRatio"
    operator = "GreaterThan"
    value    = 1.5
  }

  action {
    type = "label"
    label {
      labels = {
        "node.kubernetes.io/out-of-service" = "nodeshutdown"
      }
    }
  }

  recovery_action {
    type = "removeAnnotation"
    annotation {
      keys = ["node.kubernetes.io/out-of-service"]
    }
  }
}
