package ruletest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

// scope is what the expectations of one test may refer to.
type scope struct {
	nodes, pods map[string]bool // node names; pods as "namespace/name"
	// interval is the test's; 0 when the one written is invalid (already reported): the
	// checks against it are then skipped rather than made against an interval nobody
	// wrote.
	interval time.Duration
}

// expectations decodes a test's expectations: strictly increasing multiples of the
// interval, within MaxSteps evaluations.
func (d *decoder) expectations(n *yaml.Node, field string, sc scope) []Expectation {
	var out []Expectation
	for i, item := range d.list(n, field, "a list of expectations") {
		f := fmt.Sprintf("%s[%d]", field, i)
		e, ok := d.expectation(item, f, sc)
		if !ok {
			continue
		}
		if k := len(out); k > 0 && e.At <= out[k-1].At {
			d.failf(item, f+".at", "%s is not after the previous expectation's %s: expectations must be in time order",
				FormatOffset(e.At), FormatOffset(out[k-1].At))
			continue
		}
		if sc.interval == 0 {
			out = append(out, e)
			continue
		}
		if steps := e.At/sc.interval + 1; steps > MaxSteps {
			d.failf(item, f+".at", "%s at an interval of %s takes %d evaluations, more than %d",
				FormatOffset(e.At), sc.interval, steps, MaxSteps)
			continue
		}
		out = append(out, e)
	}
	return out
}

// expectation decodes one expectation; ok is false when its time is unusable.
func (d *decoder) expectation(n *yaml.Node, f string, sc scope) (Expectation, bool) {
	obj := d.object(n, f, "an expectation (a mapping)", "at", "rules", "nodes", "alerts", "evictions")
	e := Expectation{Line: n.Line}
	atNode, ok := obj["at"]
	if !ok {
		d.failf(n, f+".at", "missing: when to check, such as 5m")
		return e, false
	}
	if e.At, ok = d.duration(atNode, f+".at"); !ok {
		return e, false
	}
	switch {
	case e.At < 0:
		d.failf(atNode, f+".at", "must not be negative")
		return e, false
	case sc.interval != 0 && e.At%sc.interval != 0:
		d.failf(atNode, f+".at", "%s is not a multiple of the interval %s", FormatOffset(e.At), sc.interval)
		return e, false
	}
	e.Rules = d.ruleStates(obj["rules"], f+".rules", sc)
	e.Nodes = d.nodeExpectations(obj["nodes"], f+".nodes", sc)
	if v, ok := obj["alerts"]; ok {
		e.Alerts = d.alerts(v, f+".alerts", sc)
	}
	if v, ok := obj["evictions"]; ok {
		e.Evictions = d.evictions(v, f+".evictions", sc)
	}
	if len(e.Rules) == 0 && len(e.Nodes) == 0 && e.Alerts == nil && e.Evictions == nil {
		d.failf(n, f, "checks nothing: give rules, nodes, alerts or evictions")
	}
	return e, true
}

// ruleStates decodes rule → node → state.
func (d *decoder) ruleStates(n *yaml.Node, field string, sc scope) map[string]map[string]State {
	out := map[string]map[string]State{}
	for _, re := range d.entries(n, field, "a mapping of rule name to node states") {
		f := joinField(field, re.key.Value)
		states := map[string]State{}
		for _, ne := range d.entries(re.value, f, "a mapping of node name to state") {
			nf := joinField(f, ne.key.Value)
			if !sc.nodes[ne.key.Value] {
				d.failf(ne.key, nf, "node %q is not in the test's nodes", ne.key.Value)
			}
			s, ok := d.scalar(ne.value, nf, "a state")
			if !ok {
				continue
			}
			if !validState(State(s)) {
				d.failf(ne.value, nf, "unknown state %q (known states: %s)", s, joinStates(States()))
				continue
			}
			states[ne.key.Value] = State(s)
		}
		out[re.key.Value] = states
	}
	return out
}

func validState(s State) bool {
	for _, v := range States() {
		if v == s {
			return true
		}
	}
	return false
}

func joinStates(ss []State) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, ", ")
}

// nodeExpectations decodes node → what must hold on it.
func (d *decoder) nodeExpectations(n *yaml.Node, field string, sc scope) map[string]NodeExpectation {
	out := map[string]NodeExpectation{}
	for _, ne := range d.entries(n, field, "a mapping of node name to expectations") {
		f := joinField(field, ne.key.Value)
		if !sc.nodes[ne.key.Value] {
			d.failf(ne.key, f, "node %q is not in the test's nodes", ne.key.Value)
		}
		obj := d.object(ne.value, f, "a mapping of node expectations",
			"taints", "labels", "annotations", "absentLabels", "absentAnnotations", "unschedulable")
		var x NodeExpectation
		if v, ok := obj["taints"]; ok {
			x.Taints = []string{}
			for _, t := range d.taints(v, f+".taints") {
				x.Taints = append(x.Taints, FormatTaint(t))
			}
		}
		x.Labels = d.strMap(obj["labels"], f+".labels")
		x.Annotations = d.strMap(obj["annotations"], f+".annotations")
		x.AbsentLabels = d.absent(obj["absentLabels"], f+".absentLabels", x.Labels)
		x.AbsentAnnotations = d.absent(obj["absentAnnotations"], f+".absentAnnotations", x.Annotations)
		if v, ok := obj["unschedulable"]; ok {
			b := d.boolean(v, f+".unschedulable")
			x.Unschedulable = &b
		}
		out[ne.key.Value] = x
	}
	return out
}

// absent reads keys that must not be set, none of which may also be required.
func (d *decoder) absent(n *yaml.Node, field string, present map[string]string) []string {
	keys := d.strList(n, field)
	for _, k := range keys {
		if _, both := present[k]; both {
			d.failf(n, field, "%q cannot be both required and absent", k)
		}
	}
	return keys
}

// alerts decodes the exact list of alerts expected in a window (never nil).
func (d *decoder) alerts(n *yaml.Node, field string, sc scope) []AlertExpectation {
	out := []AlertExpectation{}
	for i, item := range d.list(n, field, "a list of alerts") {
		f := fmt.Sprintf("%s[%d]", field, i)
		obj := d.object(item, f, "an alert (a mapping)", "rule", "node", "event", "template", "subject", "channels")
		a := AlertExpectation{Rule: d.required(obj, item, f, "rule"), Node: d.required(obj, item, f, "node")}
		if a.Node != "" && !sc.nodes[a.Node] {
			d.failf(obj["node"], f+".node", "node %q is not in the test's nodes", a.Node)
		}
		a.Event = d.required(obj, item, f, "event")
		switch a.Event {
		case "", EventFiring, EventRecovered:
		case EventResolved: // the templates' and Alertmanager's word for it
			a.Event = EventRecovered
		default:
			d.failf(obj["event"], f+".event", "%q is not %s, %s or %s", a.Event, EventFiring, EventResolved, EventRecovered)
		}
		if v, ok := obj["template"]; ok {
			a.Template = d.str(v, f+".template")
		}
		if v, ok := obj["subject"]; ok {
			re, err := regexp.Compile(d.str(v, f+".subject"))
			if err != nil {
				d.failf(v, f+".subject", "not a regular expression: %v", err)
			}
			a.Subject = re
		}
		if v, ok := obj["channels"]; ok {
			a.Channels = []string{}
			for j, ch := range d.list(v, f+".channels", "a list of channels") {
				name := d.str(ch, fmt.Sprintf("%s.channels[%d]", f, j))
				if !slices.Contains(v1.Channels(), name) {
					d.failf(ch, fmt.Sprintf("%s.channels[%d]", f, j), "%q is not a channel (%s)", name, strings.Join(v1.Channels(), ", "))
				}
				a.Channels = append(a.Channels, name)
			}
		}
		out = append(out, a)
	}
	return out
}

// evictions decodes the exact list of pods expected to be evicted in a window, as
// "namespace/name" (never nil).
func (d *decoder) evictions(n *yaml.Node, field string, sc scope) []string {
	out := []string{}
	for i, item := range d.list(n, field, `a list of pods such as "default/web-1"`) {
		f := fmt.Sprintf("%s[%d]", field, i)
		s, ok := d.scalar(item, f, `a pod such as "default/web-1"`)
		if !ok {
			continue
		}
		id := s
		if !strings.Contains(s, "/") {
			id = DefaultNamespace + "/" + s
		}
		if !sc.pods[id] {
			d.failf(item, f, "pod %q is not in the test's pods", id)
			continue
		}
		out = append(out, id)
	}
	return out
}

// FormatOffset writes an offset from Epoch as the shortest duration: 5m, 1h30m, 45s, 0s.
func FormatOffset(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
