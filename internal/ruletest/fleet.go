package ruletest

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"

	"github.com/nodeguardian/nodeguardian/internal/series"
)

// nodes decodes the test fleet's nodes: names are required and unique.
func (d *decoder) nodes(n *yaml.Node, field string) []Node {
	var out []Node
	seen := map[string]int{}
	for i, item := range d.list(n, field, "a list of nodes") {
		f := fmt.Sprintf("%s[%d]", field, i)
		obj := d.object(item, f, "a node (a mapping)", "name", "labels", "annotations", "taints", "unschedulable")
		node := Node{Name: d.required(obj, item, f, "name")}
		if first, dup := seen[node.Name]; dup && node.Name != "" {
			d.failf(item, f+".name", "duplicate node %q (first on line %d)", node.Name, first)
		}
		seen[node.Name] = item.Line
		node.Labels = d.strMap(obj["labels"], f+".labels")
		node.Annotations = d.strMap(obj["annotations"], f+".annotations")
		node.Taints = d.taints(obj["taints"], f+".taints")
		if v, ok := obj["unschedulable"]; ok {
			node.Unschedulable = d.boolean(v, f+".unschedulable")
		}
		out = append(out, node)
	}
	return out
}

// taints reads a list of taints in shorthand.
func (d *decoder) taints(n *yaml.Node, field string) []corev1.Taint {
	var out []corev1.Taint
	for i, item := range d.list(n, field, `a list of taints such as "key=value:NoSchedule"`) {
		f := fmt.Sprintf("%s[%d]", field, i)
		s, ok := d.scalar(item, f, `a taint such as "key=value:NoSchedule"`)
		if !ok {
			continue
		}
		t, err := ParseTaint(s)
		if err != nil {
			d.failf(item, f, "%v", err)
			continue
		}
		out = append(out, t)
	}
	return out
}

// pods decodes the test fleet's pods: names are unique per namespace and every pod runs
// on a node of the test.
func (d *decoder) pods(n *yaml.Node, field string, nodes map[string]bool) []Pod {
	var out []Pod
	seen := map[string]int{}
	for i, item := range d.list(n, field, "a list of pods") {
		f := fmt.Sprintf("%s[%d]", field, i)
		obj := d.object(item, f, "a pod (a mapping)",
			"name", "namespace", "node", "priority", "labels", "annotations", "daemonSet")
		p := Pod{Name: d.required(obj, item, f, "name"), Namespace: DefaultNamespace}
		if v, ok := obj["namespace"]; ok {
			p.Namespace = d.str(v, f+".namespace")
		}
		id := p.Namespace + "/" + p.Name
		if first, dup := seen[id]; dup && p.Name != "" {
			d.failf(item, f+".name", "duplicate pod %q (first on line %d)", id, first)
		}
		seen[id] = item.Line
		p.Node = d.required(obj, item, f, "node")
		if p.Node != "" && !nodes[p.Node] {
			d.failf(obj["node"], f+".node", "node %q is not in the test's nodes", p.Node)
		}
		if v, ok := obj["priority"]; ok {
			p.Priority = d.int32Value(v, f+".priority")
		}
		p.Labels = d.strMap(obj["labels"], f+".labels")
		p.Annotations = d.strMap(obj["annotations"], f+".annotations")
		if v, ok := obj["daemonSet"]; ok {
			p.DaemonSet = d.boolean(v, f+".daemonSet")
		}
		out = append(out, p)
	}
	return out
}

// pdbs decodes the test fleet's PodDisruptionBudgets.
func (d *decoder) pdbs(n *yaml.Node, field string) []PDB {
	var out []PDB
	seen := map[string]int{}
	for i, item := range d.list(n, field, "a list of PodDisruptionBudgets") {
		f := fmt.Sprintf("%s[%d]", field, i)
		obj := d.object(item, f, "a PodDisruptionBudget (a mapping)",
			"name", "namespace", "matchLabels", "disruptionsAllowed")
		b := PDB{Name: d.required(obj, item, f, "name"), Namespace: DefaultNamespace}
		if v, ok := obj["namespace"]; ok {
			b.Namespace = d.str(v, f+".namespace")
		}
		id := b.Namespace + "/" + b.Name
		if first, dup := seen[id]; dup && b.Name != "" {
			d.failf(item, f+".name", "duplicate PodDisruptionBudget %q (first on line %d)", id, first)
		}
		seen[id] = item.Line
		b.MatchLabels = d.strMap(obj["matchLabels"], f+".matchLabels")
		if v, ok := obj["disruptionsAllowed"]; ok {
			b.DisruptionsAllowed = d.int32Value(v, f+".disruptionsAllowed")
			if b.DisruptionsAllowed < 0 {
				d.failf(v, f+".disruptionsAllowed", "must not be negative")
			}
		}
		out = append(out, b)
	}
	return out
}

// series decodes node → metric → notation, parsing every notation within the values
// left of MaxFileSamples.
func (d *decoder) series(n *yaml.Node, field string, nodes map[string]bool) map[string]map[string][]series.Value {
	out := map[string]map[string][]series.Value{}
	for _, ne := range d.entries(n, field, "a mapping of node name to metrics") {
		f := joinField(field, ne.key.Value)
		if !nodes[ne.key.Value] {
			d.failf(ne.key, f, "node %q is not in the test's nodes", ne.key.Value)
		}
		metrics := map[string][]series.Value{}
		for _, me := range d.entries(ne.value, f, "a mapping of metric name to series") {
			mf := joinField(f, me.key.Value)
			notation, ok := d.scalar(me.value, mf, `a series such as "1+0x10"`)
			if !ok {
				continue
			}
			vals, err := series.ParseLimit(notation, MaxFileSamples-d.samples)
			if err != nil {
				if MaxFileSamples-d.samples < series.MaxSamples {
					err = fmt.Errorf("%w: the series of a test file hold at most %d values in all", err, MaxFileSamples)
				}
				d.failf(me.value, mf, "%v", err)
				continue
			}
			d.samples += len(vals)
			metrics[me.key.Value] = vals
		}
		out[ne.key.Value] = metrics
	}
	return out
}

// ParseTaint parses the shorthand "key=value:Effect" (or "key:Effect").
func ParseTaint(s string) (corev1.Taint, error) {
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return corev1.Taint{}, fmt.Errorf("taint %q: expected key=value:Effect or key:Effect", s)
	}
	kv, effect := s[:i], s[i+1:]
	key, value, _ := strings.Cut(kv, "=")
	if key == "" {
		return corev1.Taint{}, fmt.Errorf("taint %q: the key is empty", s)
	}
	switch e := corev1.TaintEffect(effect); e {
	case corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
		return corev1.Taint{Key: key, Value: value, Effect: e}, nil
	}
	return corev1.Taint{}, fmt.Errorf("taint %q: effect %q is not NoSchedule, PreferNoSchedule or NoExecute", s, effect)
}

// FormatTaint writes a taint in the shorthand ParseTaint reads.
func FormatTaint(t corev1.Taint) string {
	if t.Value == "" {
		return fmt.Sprintf("%s:%s", t.Key, t.Effect)
	}
	return fmt.Sprintf("%s=%s:%s", t.Key, t.Value, t.Effect)
}
