package render

import (
	"testing"
	"time"
)

func TestSnakeCase(t *testing.T) {
	tests := map[string]string{
		"conditionLogic":     "condition_logic",
		"prometheusURL":      "prometheus_url",
		"gracePeriodSeconds": "grace_period_seconds",
		"useMetricsServer":   "use_metrics_server",
		"matchExpressions":   "match_expressions",
		"URLPath":            "url_path",
		"maxPods2":           "max_pods2",
		"type":               "type",
	}
	for in, want := range tests {
		if got := snakeCase(in); got != want {
			t.Errorf("snakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSingular(t *testing.T) {
	tests := map[string]string{
		"conditions":          "condition",
		"recovery_conditions": "recovery_condition",
		"actions":             "action",
		"recovery_actions":    "recovery_action",
		"match_expressions":   "match_expression",
	}
	for in, want := range tests {
		if got := singular(in); got != want {
			t.Errorf("singular(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestShortDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{30 * time.Second, "30s"},
		{60 * time.Second, "1m"},
		{3 * time.Minute, "3m"},
		{10 * time.Minute, "10m"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{time.Hour + 30*time.Second, "1h0m30s"},
		{time.Minute + 10*time.Second, "1m10s"},
		{1500 * time.Millisecond, "1.5s"},
		{500 * time.Millisecond, "500ms"},
		{10 * time.Hour, "10h"},
		{-3 * time.Minute, "-3m"},
	}
	for _, tt := range tests {
		got := shortDuration(tt.d)
		if got != tt.want {
			t.Errorf("shortDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
		back, err := time.ParseDuration(got)
		if err != nil || back != tt.d {
			t.Errorf("shortDuration(%v) = %q parses back as %v, %v", tt.d, got, back, err)
		}
	}
}
