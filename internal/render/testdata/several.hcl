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

alert_template "every-field-alert" {
  labels = {
    "team" = "sre"
  }
  annotations = {
    "description" = "all fields"
  }
  subject         = "[NodeGuardian] \"{{ node_name }}\" is overloaded"
  body            = <<-EOT
    Node {{ node_name }} is overloaded:

    - CPU load ratio: {{ metrics.cpu_load_ratio }}
    - Checked at: {{ timestamp }}
  EOT
  channels        = ["email", "webhook", "log"]
  repeat_interval = "1h30m"
  variables = {
    "big"     = 1e3
    "count"   = 90
    "empty"   = {}
    "enabled" = true
    "neg"     = -4
    "nested" = {
      "$${x}"      = "%%{y}"
      "with space" = "x"
    }
    "none"    = null
    "nothing" = []
    "owners" = ["sre", {
      "name"    = "ops"
      "on-call" = true
    }]
    "runbook"   = "https://runbooks.example.com/high-load"
    "threshold" = 1.50
  }
}
