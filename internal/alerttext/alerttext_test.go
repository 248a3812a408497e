package alerttext

import (
	"testing"
	"time"
)

func TestRender(t *testing.T) {
	vars := Vars{
		Node:    "worker-1",
		Rule:    "high-load-isolation",
		Time:    time.Date(2026, 11, 29, 13, 0, 0, 0, time.FixedZone("CET", 3600)),
		Metrics: map[string]float64{"cpuLoadRatio": 1.9, "memoryUtilizationPercent": 93.456789, "queue_depth": 1234567},
	}
	tests := []struct {
		name, in, want string
	}{
		{"no placeholders", "plain text", "plain text"},
		{"node and rule", "{{ node_name }} / {{rule_name}}", "worker-1 / high-load-isolation"},
		{"timestamp in UTC", "at {{ timestamp }}", "at 2026-11-29T12:00:00Z"},
		{"camelCase metric", "{{ metrics.cpuLoadRatio }}", "1.9"},
		{"prototype alias", "{{ metrics.cpu_load_ratio }} {{ metrics.memory_utilization }}%", "1.9 93.4568%"},
		{"custom metric, no exponent", "{{ metrics.queue_depth }}", "1234570"},
		{"metric without a value is left", "{{ metrics.disk_utilization }}", "{{ metrics.disk_utilization }}"},
		{"unknown placeholder is left", "{{ .Node }} {{ foo }}", "{{ .Node }} {{ foo }}"},
		{"unterminated", "a {{ node_name", "a {{ node_name"},
		{"adjacent", "{{node_name}}{{rule_name}}", "worker-1high-load-isolation"},
		{"empty", "{{}}", "{{}}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Render(tt.in, vars); got != tt.want {
				t.Errorf("Render(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestHasPlaceholders(t *testing.T) {
	for in, want := range map[string]bool{"true": false, "{{ timestamp }}": true, "a {b}": false} {
		if got := HasPlaceholders(in); got != want {
			t.Errorf("HasPlaceholders(%q) = %v", in, got)
		}
	}
}
