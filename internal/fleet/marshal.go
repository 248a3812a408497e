package fleet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
)

// Marshal encodes the snapshot as YAML: top-level fields in a fixed order, nodes sorted
// by name, fields of Kubernetes objects sorted by name (as kubectl writes them) with
// zero values that carry no meaning left out, series sorted by node and metric. An empty
// apiVersion or kind is written as the current one.
func Marshal(s *Snapshot) ([]byte, error) {
	root := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, value *yaml.Node) {
		root.Content = append(root.Content, strNode(key), value)
	}
	add(fieldAPIVersion, strNode(orDefault(s.APIVersion, APIVersion)))
	add(fieldKind, strNode(orDefault(s.Kind, Kind)))
	add(fieldTime, strNode(s.Time.UTC().Format(time.RFC3339Nano)))
	add(fieldInterval, strNode(formatDuration(s.Interval.Duration)))
	nodes := append([]corev1.Node(nil), s.Nodes...)
	sort.SliceStable(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	lists := []struct {
		field string
		objs  []any
		keep  bool
	}{
		{fieldNodes, asAny(nodes), true},
		{fieldPods, asAny(s.Pods), len(s.Pods) > 0},
		{fieldPDBs, asAny(s.PodDisruptionBudgets), len(s.PodDisruptionBudgets) > 0},
	}
	for _, l := range lists {
		if !l.keep {
			continue
		}
		seq, err := objectList(l.field, l.objs)
		if err != nil {
			return nil, err
		}
		add(l.field, seq)
	}
	if len(s.Series) > 0 {
		add(fieldSeries, seriesNode(s.Series))
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("fleet: encode snapshot: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("fleet: encode snapshot: %w", err)
	}
	return buf.Bytes(), nil
}

// asAny returns pointers to the elements of a slice of Kubernetes objects.
func asAny[T corev1.Node | corev1.Pod | policyv1.PodDisruptionBudget](objs []T) []any {
	out := make([]any, len(objs))
	for i := range objs {
		out[i] = &objs[i]
	}
	return out
}

// objectList encodes Kubernetes objects as a YAML list.
func objectList(field string, objs []any) (*yaml.Node, error) {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for i, obj := range objs {
		generic, err := compactObject(obj)
		if err != nil {
			return nil, fmt.Errorf("fleet: encode %s[%d]: %w", field, i, err)
		}
		seq.Content = append(seq.Content, genericNode(generic))
	}
	return seq, nil
}

// seriesNode encodes series sorted by node and metric.
func seriesNode(all map[string]map[string]string) *yaml.Node {
	out := &yaml.Node{Kind: yaml.MappingNode}
	for _, node := range sortedKeys(all) {
		metrics := &yaml.Node{Kind: yaml.MappingNode}
		for _, m := range sortedKeys(all[node]) {
			metrics.Content = append(metrics.Content, strNode(m), strNode(all[node][m]))
		}
		out.Content = append(out.Content, strNode(node), metrics)
	}
	return out
}

// genericNode encodes a decoded JSON value (UseNumber) as YAML, mapping keys sorted.
func genericNode(v any) *yaml.Node {
	switch v := v.(type) {
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range sortedKeys(v) {
			n.Content = append(n.Content, strNode(k), genericNode(v[k]))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, item := range v {
			n.Content = append(n.Content, genericNode(item))
		}
		return n
	case string:
		return strNode(v)
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(string(v), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: string(v)}
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(v)}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
}

// strNode is a string scalar, quoted when it would read as another type, in YAML 1.2
// (done by the encoder) or in YAML 1.1 (kubectl and sigs.k8s.io/yaml: "on", "yes", "1:20").
func strNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if isYAML11Special(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// isYAML11Special reports whether a plain scalar would not read as a string in YAML 1.1.
func isYAML11Special(s string) bool {
	switch strings.ToLower(s) {
	case "y", "yes", "n", "no", "on", "off":
		return true
	}
	return isBase60(s)
}

// isBase60 reports whether s is a YAML 1.1 sexagesimal number ("1:20", "-3:25:45.5").
func isBase60(s string) bool {
	s = strings.TrimLeft(s, "+-")
	s, _, _ = strings.Cut(s, ".")
	parts := strings.Split(s, ":")
	if len(parts) < 2 || parts[0] == "" || parts[0][0] < '0' || parts[0][0] > '9' {
		return false
	}
	if strings.Trim(parts[0], "0123456789_") != "" {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) == 0 || len(p) > 2 || strings.Trim(p, "0123456789") != "" || len(p) == 2 && p[0] > '5' {
			return false
		}
	}
	return true
}

// sortedKeys returns the keys of a map, sorted.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// formatDuration writes a duration without trailing zero units: 1m, 1h30m, 90s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
