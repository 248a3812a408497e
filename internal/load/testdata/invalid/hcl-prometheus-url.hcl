# A rule's Prometheus URL must be an http(s) URL with a host; messages never show the
# password it holds (s3cr3t).
rule "bad-url" {
  condition {
    metric   = "cpuLoadRatio"
    operator = "GreaterThan"
    value    = 1.5
  }
  action {
    type = "cordon"
  }
  monitoring {
    metrics_source {
      prometheus_url = "http://admin:s3cr3t@prometheus :9090"
    }
  }
}

rule "not-http" {
  condition {
    metric   = "cpuLoadRatio"
    operator = "GreaterThan"
    value    = 1.5
  }
  action {
    type = "cordon"
  }
  monitoring {
    metrics_source {
      prometheus_url = "unix://admin:s3cr3t@/var/run/prometheus.sock"
    }
  }
}
