package ruletest

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// check compares one expectation with the fleet after the plan at its instant, the
// plan's rule status and what happened since the previous expectation. Each failure is
// one line: "at 5m: node worker-1 taints: want [a] got [b]".
func check(e Expectation, p *plan.Plan, nodes []corev1.Node, seen events) []string {
	var out []string
	out = append(out, checkRules(e.Rules, p)...)
	out = append(out, checkNodes(e.Nodes, nodes)...)
	if e.Alerts != nil {
		want := make([]string, len(e.Alerts))
		for i, a := range e.Alerts {
			want[i] = formatAlert(a)
		}
		got := make([]string, len(seen.alerts))
		for i, a := range seen.alerts {
			got[i] = formatAlert(a)
		}
		out = append(out, compareLists("alerts", want, got)...)
		out = append(out, checkSubjects(e.Alerts, seen.alerts)...)
	}
	if e.Evictions != nil {
		out = append(out, compareLists("evictions", e.Evictions, seen.evictions)...)
	}
	for i := range out {
		out[i] = "at " + FormatOffset(e.At) + ": " + out[i]
	}
	return out
}

// checkRules compares rule states: "rule x on worker-1: want Firing, got Pending".
func checkRules(want map[string]map[string]State, p *plan.Plan) []string {
	var out []string
	for _, rule := range sortedKeys(want) {
		if !slices.ContainsFunc(p.Rules, func(s plan.RuleStatus) bool { return s.Name == rule }) {
			out = append(out, fmt.Sprintf("rule %s: not in the plan", rule))
			continue
		}
		for _, node := range sortedKeys(want[rule]) {
			if got, _ := StateOf(p, rule, node); got != want[rule][node] {
				out = append(out, fmt.Sprintf("rule %s on %s: want %s, got %s", rule, node, want[rule][node], got))
			}
		}
	}
	return out
}

// StateOf is a node's state for a rule in a plan (ok is false when the plan has no such
// rule). The plan can list a node more than once: as Firing and Unknown (its recovery
// cannot be decided), or as Pending and Unknown (a condition has held for all the
// samples there are, which do not cover its duration yet). The first of Firing,
// Pending, Unknown, Deferred (the plan defers the rule there: a budget or the cooldown)
// and Excluded wins; a node in none of them is Healthy.
func StateOf(p *plan.Plan, rule, node string) (State, bool) {
	i := slices.IndexFunc(p.Rules, func(s plan.RuleStatus) bool { return s.Name == rule })
	if i < 0 {
		return "", false
	}
	s := p.Rules[i]
	deferred := slices.ContainsFunc(p.Deferred, func(d plan.Deferred) bool { return d.Rule == rule && d.Node == node })
	switch {
	case slices.Contains(s.Firing, node):
		return Firing, true
	case slices.Contains(s.Pending, node):
		return Pending, true
	case slices.Contains(s.Unknown, node):
		return Unknown, true
	case deferred:
		return Deferred, true
	case slices.Contains(s.Excluded, node):
		return Excluded, true
	}
	return Healthy, true
}

// checkNodes compares node expectations with the nodes.
func checkNodes(want map[string]NodeExpectation, nodes []corev1.Node) []string {
	var out []string
	for _, name := range sortedKeys(want) {
		i := slices.IndexFunc(nodes, func(n corev1.Node) bool { return n.Name == name })
		if i < 0 {
			out = append(out, fmt.Sprintf("node %s: not in the fleet", name))
			continue
		}
		out = append(out, checkNode(name, want[name], &nodes[i])...)
	}
	return out
}

func checkNode(name string, x NodeExpectation, n *corev1.Node) []string {
	var out []string
	if x.Taints != nil {
		got := make([]string, len(n.Spec.Taints))
		for i, t := range n.Spec.Taints {
			got[i] = FormatTaint(t)
		}
		out = append(out, compareLists("node "+name+" taints", x.Taints, got)...)
	}
	out = append(out, compareMap("node "+name+" label", x.Labels, x.AbsentLabels, n.Labels)...)
	out = append(out, compareMap("node "+name+" annotation", x.Annotations, x.AbsentAnnotations, n.Annotations)...)
	if x.Unschedulable != nil && *x.Unschedulable != n.Spec.Unschedulable {
		out = append(out, fmt.Sprintf("node %s unschedulable: want %t, got %t", name, *x.Unschedulable, n.Spec.Unschedulable))
	}
	return out
}

// compareMap checks required values and absent keys of a label or annotation map:
// `node w label k: want "v", got "u"`, `... got none`, `... want none, got "u"`.
func compareMap(what string, want map[string]string, absent []string, got map[string]string) []string {
	var out []string
	for _, k := range sortedKeys(want) {
		v, ok := got[k]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s %s: want %q, got none", what, k, want[k]))
		case v != want[k]:
			out = append(out, fmt.Sprintf("%s %s: want %q, got %q", what, k, want[k], v))
		}
	}
	for _, k := range absent {
		if v, ok := got[k]; ok {
			out = append(out, fmt.Sprintf("%s %s: want none, got %q", what, k, v))
		}
	}
	return out
}

// compareLists compares two lists as multisets: "what: want [a b] got [b c]" (sorted).
func compareLists(what string, want, got []string) []string {
	w, g := slices.Sorted(slices.Values(want)), slices.Sorted(slices.Values(got))
	if slices.Equal(w, g) {
		return nil
	}
	return []string{fmt.Sprintf("%s: want %s got %s", what, formatList(w), formatList(g))}
}

func formatList(items []string) string {
	return "[" + strings.Join(items, ", ") + "]"
}

// checkSubjects matches the subject patterns and channels of expected alerts against
// those of the alerts sent with the same rule, node, event and template, in order.
func checkSubjects(want, sent []AlertExpectation) []string {
	var out []string
	used := make([]bool, len(sent))
	for _, w := range want {
		for i, s := range sent {
			if used[i] || formatAlert(s) != formatAlert(w) {
				continue
			}
			used[i] = true
			if w.Subject != nil && !w.Subject.MatchString(s.SentSubject) {
				out = append(out, fmt.Sprintf("alert %s: subject %q does not match %q", formatAlert(w), s.SentSubject, w.Subject))
			}
			if w.Channels != nil && !slices.Equal(slices.Sorted(slices.Values(w.Channels)), slices.Sorted(slices.Values(s.SentChannels))) {
				out = append(out, fmt.Sprintf("alert %s: channels %v, want %v", formatAlert(w), s.SentChannels, w.Channels))
			}
			break
		}
	}
	return out
}

// formatAlert writes an alert as it is written in a test file.
func formatAlert(a AlertExpectation) string {
	s := fmt.Sprintf("{rule: %s, node: %s, event: %s", a.Rule, a.Node, a.Event)
	if a.Template != "" {
		s += ", template: " + a.Template
	}
	return s + "}"
}
