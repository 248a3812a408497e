package fleet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
)

// Marshal encodes the snapshot as YAML: top-level fields in a fixed order, nodes sorted
// by name, fields of Kubernetes objects sorted by name (as kubectl writes them) with
// zero values that carry no meaning left out, series sorted by node and metric. An empty
// apiVersion or kind is written as the current one.
func Marshal(s *Snapshot) ([]byte, error) {
	var buf bytes.Buffer
	if err := MarshalTo(&buf, s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// MarshalTo writes Marshal's YAML to w as a stream: one object or one node's series at a
// time, so that memory does not grow with the fleet. The output is byte for byte what
// encoding the whole document at once gives: in block style, an item of a list or a
// mapping is written the same whatever its siblings.
func MarshalTo(w io.Writer, s *Snapshot) error {
	e := &pieceEncoder{w: w}
	for _, f := range []struct{ key, value string }{
		{fieldAPIVersion, orDefault(s.APIVersion, APIVersion)},
		{fieldKind, orDefault(s.Kind, Kind)},
		{fieldTime, s.Time.UTC().Format(time.RFC3339Nano)},
		{fieldInterval, formatDuration(s.Interval.Duration)},
	} {
		if err := e.field(f.key, strNode(f.value)); err != nil {
			return err
		}
	}
	nodes := make([]*corev1.Node, len(s.Nodes))
	for i := range s.Nodes {
		nodes[i] = &s.Nodes[i]
	}
	slices.SortStableFunc(nodes, func(a, b *corev1.Node) int { return strings.Compare(a.Name, b.Name) })
	if err := objectList(e, fieldNodes, asAny(nodes), true); err != nil {
		return err
	}
	if err := objectList(e, fieldPods, asAny(ptrs(s.Pods)), false); err != nil {
		return err
	}
	if err := objectList(e, fieldPDBs, asAny(ptrs(s.PodDisruptionBudgets)), false); err != nil {
		return err
	}
	return seriesTo(e, s.Series)
}

// pieceEncoder writes a YAML document piece by piece: each piece is a one-field mapping
// encoded on its own; continuing pieces of the same field leave out its key line.
type pieceEncoder struct {
	w   io.Writer
	buf bytes.Buffer
}

// field writes key: value as a piece of the top-level mapping.
func (e *pieceEncoder) field(key string, value *yaml.Node) error {
	return e.piece(key, value, false)
}

// item writes one more entry of the top-level field key (a list item, or one key of a
// mapping), whose key line "key:" was written with its first entry.
func (e *pieceEncoder) item(key string, value *yaml.Node, first bool) error {
	return e.piece(key, value, !first)
}

func (e *pieceEncoder) piece(key string, value *yaml.Node, dropKeyLine bool) error {
	out, err := e.encode(key, value, dropKeyLine)
	if err != nil {
		return err
	}
	if _, err := e.w.Write(out); err != nil {
		return fmt.Errorf("fleet: write snapshot: %w", err)
	}
	return nil
}

// encode encodes key: value as a one-field mapping, without its key line when
// dropKeyLine; the result is valid until the next call.
func (e *pieceEncoder) encode(key string, value *yaml.Node, dropKeyLine bool) ([]byte, error) {
	e.buf.Reset()
	enc := yaml.NewEncoder(&e.buf)
	enc.SetIndent(2)
	root := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{strNode(key), value}}
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("fleet: encode snapshot %s: %w", key, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("fleet: encode snapshot %s: %w", key, err)
	}
	out := e.buf.Bytes()
	if dropKeyLine {
		_, out, _ = bytes.Cut(out, []byte("\n"))
	}
	return out, nil
}

// ptrs returns pointers to the elements of s.
func ptrs[T any](s []T) []*T {
	out := make([]*T, len(s))
	for i := range s {
		out[i] = &s[i]
	}
	return out
}

// asAny returns its pointers as values of type any.
func asAny[T any](objs []*T) []any {
	out := make([]any, len(objs))
	for i := range objs {
		out[i] = objs[i]
	}
	return out
}

// objectList writes Kubernetes objects as the YAML list field, in order; an empty list
// is written only when keepEmpty. Objects are compacted and encoded by a few workers a
// batch at a time (that is most of the work), and written in order as each batch ends.
func objectList(e *pieceEncoder, field string, objs []any, keepEmpty bool) error {
	if len(objs) == 0 {
		if !keepEmpty {
			return nil
		}
		return e.field(field, &yaml.Node{Kind: yaml.SequenceNode})
	}
	workers := min(runtime.GOMAXPROCS(0), 8)
	encoders := make([]pieceEncoder, workers)
	pieces := make([][]byte, min(len(objs), encodeBatch))
	for start := 0; start < len(objs); start += encodeBatch {
		batch := objs[start:min(start+encodeBatch, len(objs))]
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for k := w; k < len(batch); k += workers {
					pieces[k], errs[w] = encodeObject(&encoders[w], field, batch[k], start+k, pieces[k])
					if errs[w] != nil {
						return
					}
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		for _, p := range pieces[:len(batch)] {
			if _, err := e.w.Write(p); err != nil {
				return fmt.Errorf("fleet: write snapshot: %w", err)
			}
		}
	}
	return nil
}

// encodeBatch is how many objects objectList encodes before it writes them.
const encodeBatch = 256

// encodeObject encodes objs[i] of the list field as a list item, into buf's storage.
func encodeObject(e *pieceEncoder, field string, obj any, i int, buf []byte) ([]byte, error) {
	generic, err := compactObject(obj)
	if err != nil {
		return nil, fmt.Errorf("fleet: encode %s[%d]: %w", field, i, err)
	}
	out, err := e.encode(field, &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{genericNode(generic)}}, i > 0)
	return append(buf[:0], out...), err
}

// seriesTo writes the series sorted by node and metric, one node at a time.
func seriesTo(e *pieceEncoder, all map[string]map[string]string) error {
	for i, node := range sortedKeys(all) {
		metrics := &yaml.Node{Kind: yaml.MappingNode}
		for _, m := range sortedKeys(all[node]) {
			metrics.Content = append(metrics.Content, strNode(m), strNode(all[node][m]))
		}
		if err := e.item(fieldSeries, &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{strNode(node), metrics}}, i == 0); err != nil {
			return err
		}
	}
	return nil
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
