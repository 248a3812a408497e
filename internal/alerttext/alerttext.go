// Package alerttext renders the prototype-style placeholders of alert templates and
// annotation values: {{ node_name }}, {{ rule_name }}, {{ timestamp }} and
// {{ metrics.<name> }}. It is pure: the time is one of the variables.
package alerttext

import (
	"math"
	"strconv"
	"strings"
	"time"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

// Vars are the values placeholders are replaced with.
type Vars struct {
	Node string    // {{ node_name }}
	Rule string    // {{ rule_name }}
	Time time.Time // {{ timestamp }}, RFC 3339 in UTC
	// Metrics are the latest values by metric name as rules write them (camelCase for the
	// built-in metrics): {{ metrics.cpuLoadRatio }} or {{ metrics.cpu_load_ratio }}.
	Metrics map[string]float64
}

// HasPlaceholders reports whether text holds anything that looks like a placeholder.
func HasPlaceholders(text string) bool { return strings.Contains(text, "{{") }

// Render replaces the placeholders of text. Spaces inside the braces are optional.
// Placeholders it does not know, and metrics without a value, are left as they are.
func Render(text string, vars Vars) string {
	if !HasPlaceholders(text) {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	for {
		start := strings.Index(text, "{{")
		if start < 0 {
			break
		}
		end := strings.Index(text[start+2:], "}}")
		if end < 0 {
			break
		}
		end += start + 2
		b.WriteString(text[:start])
		if v, ok := lookup(strings.TrimSpace(text[start+2:end]), &vars); ok {
			b.WriteString(v)
		} else {
			b.WriteString(text[start : end+2])
		}
		text = text[end+2:]
	}
	b.WriteString(text)
	return b.String()
}

func lookup(name string, vars *Vars) (string, bool) {
	switch name {
	case "node_name":
		return vars.Node, true
	case "rule_name":
		return vars.Rule, true
	case "timestamp":
		return vars.Time.UTC().Format(time.RFC3339), true
	}
	metric, ok := strings.CutPrefix(name, "metrics.")
	if !ok || metric == "" {
		return "", false
	}
	if v, ok := vars.Metrics[metric]; ok {
		return FormatValue(v), true
	}
	if v, ok := vars.Metrics[MetricAlias(metric)]; ok {
		return FormatValue(v), true
	}
	return "", false
}

// MetricAlias maps the prototype's snake_case names of the built-in metrics to their
// names in rules (cpu_load_ratio → cpuLoadRatio); other names are returned unchanged.
func MetricAlias(name string) string {
	switch name {
	case "cpu_load_ratio":
		return v1.MetricCPULoadRatio
	case "memory_utilization", "memory_utilization_percent":
		return v1.MetricMemoryUtilization
	case "cpu_utilization", "cpu_utilization_percent":
		return v1.MetricCPUUtilization
	case "disk_utilization", "disk_utilization_percent":
		return v1.MetricDiskUtilization
	}
	return name
}

// FormatValue formats a metric value with at most 6 significant digits and no exponent:
// 93.456789 → "93.4568", 2 → "2", 1234567 → "1234570".
func FormatValue(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 6, 64), 64)
	if err != nil {
		return strconv.FormatFloat(v, 'g', 6, 64)
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}
