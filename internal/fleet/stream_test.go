package fleet

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
)

// wholeDocument encodes s as one yaml.Node tree, as Marshal did before it streamed: the
// reference MarshalTo must match byte for byte.
func wholeDocument(t *testing.T, s *Snapshot) []byte {
	t.Helper()
	var buf bytes.Buffer
	out := &pieceEncoder{w: &buf}
	root := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, v *yaml.Node) { root.Content = append(root.Content, strNode(key), v) }
	add(fieldAPIVersion, strNode(orDefault(s.APIVersion, APIVersion)))
	add(fieldKind, strNode(orDefault(s.Kind, Kind)))
	add(fieldTime, strNode(s.Time.UTC().Format(time.RFC3339Nano)))
	add(fieldInterval, strNode(formatDuration(s.Interval.Duration)))
	list := func(field string, objs []any, keep bool) {
		if len(objs) == 0 && !keep {
			return
		}
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, o := range objs {
			g, err := compactObject(o)
			if err != nil {
				t.Fatal(err)
			}
			seq.Content = append(seq.Content, genericNode(g))
		}
		add(field, seq)
	}
	nodes := ptrs(s.Nodes)
	slices.SortStableFunc(nodes, func(a, b *corev1.Node) int { return strings.Compare(a.Name, b.Name) })
	list(fieldNodes, asAny(nodes), true)
	list(fieldPods, asAny(ptrs(s.Pods)), false)
	list(fieldPDBs, asAny(ptrs(s.PodDisruptionBudgets)), false)
	if len(s.Series) > 0 {
		ser := &yaml.Node{Kind: yaml.MappingNode}
		for _, n := range sortedKeys(s.Series) {
			m := &yaml.Node{Kind: yaml.MappingNode}
			for _, k := range sortedKeys(s.Series[n]) {
				m.Content = append(m.Content, strNode(k), strNode(s.Series[n][k]))
			}
			ser.Content = append(ser.Content, strNode(n), m)
		}
		add(fieldSeries, ser)
	}
	enc := yaml.NewEncoder(out.w)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The streamed snapshot is the document encoded whole, byte for byte: on the demo fleet
// (pods, PDBs, long strings, quoted scalars), on a bench fleet, on an empty one.
func TestMarshalStreamsTheSameBytes(t *testing.T) {
	demo, err := Load("../../examples/fleet/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	long := benchSnapshot(30)
	long.Nodes[3].Annotations["long"] = string(bytes.Repeat([]byte("a very long annotation value "), 20))
	for name, s := range map[string]*Snapshot{
		"demo": demo, "bench": long, "batches": benchSnapshot(2*encodeBatch + 7), "empty": {Time: demo.Time, Interval: demo.Interval},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			if want := wholeDocument(t, s); !bytes.Equal(got, want) {
				t.Fatalf("streamed snapshot differs from the whole document:\n%s\n---\n%s", got, want)
			}
		})
	}
}
