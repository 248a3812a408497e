rule "block-shapes" {
  conditions = []

  action {
    type = "label"
    label {
      labels {
        team = "sre"
      }
    }
  }

  action "named" {
    type = "cordon"
  }

  conditionLogic = "OR"
}

alert_template "a" "b" {
  subject = "x"
}

alert_template "no-subject" {
  body = "hello"
}
