// Package alert renders alert templates (AlertTemplate subject and body) and annotation
// values that carry placeholders. It understands the two syntaxes rule authors already
// use — Go's text/template ({{ .nodeName }}) and the Jinja style of the seed README
// ({{ node_name }}, {{ x | round(2) }}) — picks the engine per template by its syntax
// (see DetectSyntax), and renders with bounded output and loop work. It is pure: no I/O,
// and the time is part of the Context.
package alert

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

// States of an alert, as templates see them in state.
const (
	StateFiring   = "firing"
	StateResolved = "resolved"
)

// Context is what a template is rendered with. Map turns it into the variables both
// engines read, each under its camelCase and snake_case name.
type Context struct {
	Node        string            // nodeName, node_name
	NodeLabels  map[string]string // nodeLabels, node_labels
	Rule        string            // ruleName, rule_name
	Description string            // ruleDescription, rule_description
	Priority    int               // priority, rulePriority, rule_priority
	// Metrics are the conditions' latest values: metrics.<name> is the value (rule name,
	// and for built-in metrics also the prototype's alias: metrics.cpu_load_ratio),
	// thresholds.<name> the threshold, conditions the whole list.
	Metrics []Metric
	Actions []Action  // actions (type, description): what the rule does on this event
	TopPods []Pod     // topPods, top_pods: busiest pods on the node, when known; else empty
	Time    time.Time // timestamp: RFC 3339 in UTC
	State   string    // state: StateFiring or StateResolved
	PlanID  string    // planID, planId, plan_id: empty where the plan ID cannot be known
}

// Metric is one condition's metric at the time of the alert.
type Metric struct {
	Name      string  // as the rule names it: cpuLoadRatio
	Value     float64 // latest value
	Operator  string  // as the rule names it: GreaterThan, ...
	Threshold float64
	// ValueOnly marks a metric the rule watches that is not a condition of the alert's
	// event (a trigger metric on recovery, say): templates see its value under metrics,
	// but not under thresholds or conditions.
	ValueOnly bool
}

// Action is one action of the rule: its type (taint, label, evict, ...) and a short
// description ("taint nodeguardian/high-load=true:NoSchedule").
type Action struct {
	Type        string
	Description string
}

// Pod is one of the busiest pods on the node. CPU and Memory are as people write them
// ("250m", "512Mi").
type Pod struct {
	Namespace, Name, CPU, Memory string
}

// Number is a metric value as Go templates see it: it prints as FormatValue does, and
// printf and comparisons see a plain float.
type Number float64

// String formats n with FormatValue.
func (n Number) String() string { return FormatValue(float64(n)) }

// FormatValue formats a metric value as written, without exponent or padding:
// 0.8734 → "0.8734", 2 → "2", 1234567 → "1234567" (the shortest form that reads back as
// the same float, as Jinja prints it).
func FormatValue(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// MetricAliases are the prototype's snake_case names of the built-in metrics
// (cpu_load_ratio → cpuLoadRatio).
func MetricAliases(name string) []string {
	switch name {
	case v1.MetricCPULoadRatio:
		return []string{"cpu_load_ratio"}
	case v1.MetricMemoryUtilization:
		return []string{"memory_utilization", "memory_utilization_percent"}
	case v1.MetricCPUUtilization:
		return []string{"cpu_utilization", "cpu_utilization_percent"}
	case v1.MetricDiskUtilization:
		return []string{"disk_utilization", "disk_utilization_percent"}
	}
	return nil
}

// Map is the context as Jinja templates see it: metric values are float64, except whole
// numbers, which are int so they print as 92, not 92.0; lists are []any of
// map[string]any. Go templates see Number values instead (printed by FormatValue).
func (c *Context) Map() map[string]any {
	return c.toMap(func(v float64) any {
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return int(v)
		}
		return v
	})
}

func (c *Context) toMap(num func(float64) any) map[string]any {
	labels := make(map[string]any, len(c.NodeLabels))
	for k, v := range c.NodeLabels {
		labels[k] = v
	}
	metrics, thresholds := map[string]any{}, map[string]any{}
	conds := make([]any, 0, len(c.Metrics))
	for _, m := range c.Metrics {
		for _, n := range append([]string{m.Name}, MetricAliases(m.Name)...) {
			metrics[n] = num(m.Value)
			if !m.ValueOnly {
				thresholds[n] = num(m.Threshold)
			}
		}
		if m.ValueOnly {
			continue
		}
		conds = append(conds, map[string]any{"metric": m.Name, "value": num(m.Value), "operator": m.Operator, "threshold": num(m.Threshold)})
	}
	actions := make([]any, 0, len(c.Actions))
	for _, a := range c.Actions {
		actions = append(actions, map[string]any{"type": a.Type, "description": a.Description})
	}
	pods := make([]any, 0, len(c.TopPods))
	for _, p := range c.TopPods {
		pods = append(pods, map[string]any{"namespace": p.Namespace, "name": p.Name, "cpu": p.CPU, "memory": p.Memory})
	}
	m := map[string]any{ // strings from rules are bounded by their schemas; the description is cut here
		"metrics": metrics, "thresholds": thresholds, "conditions": conds, "actions": actions,
		"priority": c.Priority, "timestamp": c.Time.UTC().Format(time.RFC3339), "state": c.State,
		// Aliases: planId as the webhook payload and Slack spell it; rulePriority beside
		// the rule's other fields.
		"planId": c.PlanID, "rulePriority": c.Priority, "rule_priority": c.Priority,
	}
	for camel, v := range map[string]any{
		"nodeName": c.Node, "nodeLabels": labels, "ruleName": c.Rule, "ruleDescription": truncate(c.Description, maxDescription),
		"topPods": pods, "planID": c.PlanID,
	} {
		m[camel] = v
		m[snakeName(camel)] = v
	}
	return m
}

// maxDescription is the longest rule description templates see.
const maxDescription = 1024

// truncate cuts s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// camelNames are the variables that also have a snake_case name.
func camelNames() []string {
	return []string{"nodeName", "nodeLabels", "ruleName", "ruleDescription", "topPods", "planID"}
}

// snakeName is the snake_case name of a camelCase variable: nodeName → node_name,
// planID → plan_id.
func snakeName(camel string) string {
	var b strings.Builder
	for i, r := range camel {
		if unicode.IsUpper(r) {
			if i > 0 && !unicode.IsUpper(rune(camel[i-1])) {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Variables are the names of the top-level variables, sorted.
func Variables() []string {
	names := []string{"metrics", "thresholds", "conditions", "actions", "priority", "timestamp", "state", "planId", "rulePriority", "rule_priority"}
	for _, camel := range camelNames() {
		names = append(names, camel, snakeName(camel))
	}
	slices.Sort(names)
	return names
}

// elementFields are the keys of the elements of a list variable, and whether it is one.
func elementFields(list string) ([]string, bool) {
	switch list {
	case "actions":
		return []string{"type", "description"}, true
	case "topPods", "top_pods":
		return []string{"namespace", "name", "cpu", "memory"}, true
	case "conditions":
		return []string{"metric", "value", "operator", "threshold"}, true
	}
	return nil, false
}

// UsesPlanID reports whether text may refer to the plan ID (planID, planId or plan_id
// appear in it).
func UsesPlanID(text string) bool {
	return strings.Contains(text, "planID") || strings.Contains(text, "planId") || strings.Contains(text, "plan_id")
}

// Sample is the context `ngctl alert render` uses without a snapshot: a firing
// high-load rule on worker-1, documented in docs/rules.md.
func Sample() Context {
	return Context{
		Node:        "worker-1",
		NodeLabels:  map[string]string{"kubernetes.io/hostname": "worker-1", "node-role.kubernetes.io/worker": ""},
		Rule:        "high-load-isolation",
		Description: "Isolate nodes under sustained high load",
		Priority:    100,
		Metrics: []Metric{
			{Name: v1.MetricCPULoadRatio, Value: 1.8734, Operator: ">", Threshold: 1.5},
			{Name: v1.MetricMemoryUtilization, Value: 92.5, Operator: ">", Threshold: 90},
			{Name: v1.MetricDiskUtilization, Value: 87.25, Operator: ">", Threshold: 85},
		},
		Actions: []Action{
			{Type: "taint", Description: "taint nodeguardian/high-load=true:NoSchedule"},
			{Type: "label", Description: "label nodeguardian.io/status=high-load"},
		},
		TopPods: []Pod{
			{Namespace: "default", Name: "batch-7", CPU: "1500m", Memory: "2Gi"},
			{Namespace: "default", Name: "web-1", CPU: "250m", Memory: "512Mi"},
		},
		Time:   time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC),
		State:  StateFiring,
		PlanID: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	}
}
