package fleet

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nodeguardian/nodeguardian/internal/series"
	"github.com/nodeguardian/nodeguardian/internal/yamlpos"
)

// Top-level fields of a snapshot file, in the order Marshal writes them.
const (
	fieldAPIVersion = "apiVersion"
	fieldKind       = "kind"
	fieldTime       = "time"
	fieldInterval   = "interval"
	fieldNodes      = "nodes"
	fieldPods       = "pods"
	fieldPDBs       = "podDisruptionBudgets"
	fieldSeries     = "series"
)

// topFields lists the top-level fields a snapshot may have.
func topFields() []string {
	return []string{fieldAPIVersion, fieldKind, fieldTime, fieldInterval, fieldNodes, fieldPods, fieldPDBs, fieldSeries}
}

// entry is one top-level field of the file.
type entry struct {
	key, value *yaml.Node
}

// Load reads a snapshot file (YAML or JSON) of at most MaxFileSize bytes. Errors are
// *Error values (joined when there are several) naming the file and, where possible,
// the line and field; warnings are in the snapshot's Warnings.
func Load(file string) (*Snapshot, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("fleet: read snapshot: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("fleet: read snapshot: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, &Error{File: file, Err: fmt.Errorf("larger than %d MiB", MaxFileSize>>20)}
	}
	return Parse(file, data)
}

// Parse decodes a snapshot (YAML or JSON; file names it in errors). The top level is
// decoded strictly; inside Kubernetes objects unknown fields are ignored. Errors are
// *Error values (joined when there are several) naming the file, line and field.
// Problems that do not make the snapshot unusable (a pod on a node that is not in
// nodes) are returned in the snapshot's Warnings. A file in block layout is read as a
// stream (see stream.go); the result is the same.
func Parse(file string, data []byte) (*Snapshot, error) {
	if l, err := splitLayout(data); err == nil && len(l.items) > 0 {
		if s, ok := parseStreamed(file, data, l); ok {
			return s, nil
		}
	}
	return parseDocument(file, data)
}

// parseDocument decodes a snapshot read as one YAML document.
func parseDocument(file string, data []byte) (*Snapshot, error) {
	root, err := readDocument(file, data)
	if err != nil {
		return nil, err
	}
	p := &problems{file: file}
	fields := topLevel(p, root)
	s := decodeSnapshot(p, root, fields, func(field string) iter.Seq2[int, listItem] {
		return plainItems(items(p, fields[field]))
	})
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	s.Warnings = p.warnings
	return s, nil
}

// parseStreamed decodes a snapshot split by splitLayout, one list item at a time; ok is
// false when anything went wrong, for Parse to read the file as one document and report
// the problems with their exact lines.
func parseStreamed(file string, data []byte, l *layout) (s *Snapshot, ok bool) {
	root, err := readDocument(file, l.rest)
	if err != nil {
		return nil, false
	}
	p := &problems{file: file}
	fields := topLevel(p, root)
	failed := false
	s = decodeSnapshot(p, root, fields, func(field string) iter.Seq2[int, listItem] {
		if _, streamed := l.items[field]; streamed {
			return l.parseItems(file, data, field, &failed)
		}
		return plainItems(items(p, fields[field]))
	})
	if failed || len(p.errs) > 0 {
		return nil, false
	}
	s.Warnings = p.warnings
	return s, true
}

// decodeSnapshot decodes the top-level fields; list gives the items of a list field.
func decodeSnapshot(p *problems, root *yaml.Node, fields map[string]entry, list func(string) iter.Seq2[int, listItem]) *Snapshot {
	s := &Snapshot{}
	s.APIVersion = expectConst(p, root, fields, fieldAPIVersion, APIVersion)
	s.Kind = expectConst(p, root, fields, fieldKind, Kind)
	s.Time = parseTime(p, root, fields)
	s.Interval = parseInterval(p, root, fields)
	listed := decodeNodes(p, list(fieldNodes), s)
	decodePods(p, list(fieldPods), s)
	decodePDBs(p, list(fieldPDBs), s)
	s.Series = parseSeries(p, fields[fieldSeries], s, listed)
	return s
}

// topLevel indexes the top-level fields, reporting unknown and duplicate ones.
func topLevel(p *problems, root *yaml.Node) map[string]entry {
	known := map[string]bool{}
	for _, f := range topFields() {
		known[f] = true
	}
	fields := map[string]entry{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			p.add(k.Line, "", "a field name must be a scalar, found %s", yamlpos.Describe(k))
		case !known[k.Value]:
			p.add(k.Line, k.Value, "unknown field (known fields: %s)", strings.Join(topFields(), ", "))
		case fields[k.Value].key != nil:
			p.add(k.Line, k.Value, "duplicate field (first on line %d)", fields[k.Value].key.Line)
		default:
			fields[k.Value] = entry{key: k, value: resolveAlias(v)}
		}
	}
	return fields
}

// resolveAlias follows an alias to the node it names.
func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// scalarField returns a required top-level scalar, reporting it when missing or not a scalar.
func scalarField(p *problems, root *yaml.Node, fields map[string]entry, name, want string) (string, int, bool) {
	e, ok := fields[name]
	if !ok {
		p.add(root.Line, name, "missing (%s)", want)
		return "", 0, false
	}
	if e.value.Kind != yaml.ScalarNode || e.value.ShortTag() == "!!null" {
		p.add(e.value.Line, name, "expected %s, found %s", want, yamlpos.Describe(e.value))
		return "", 0, false
	}
	return e.value.Value, e.value.Line, true
}

// expectConst checks a field that must have one value (apiVersion, kind).
func expectConst(p *problems, root *yaml.Node, fields map[string]entry, name, want string) string {
	v, line, ok := scalarField(p, root, fields, name, fmt.Sprintf("%q", want))
	if ok && v != want {
		p.add(line, name, "is %q, expected %q", v, want)
	}
	return v
}

// parseTime reads the snapshot's instant (RFC 3339, kept in UTC).
func parseTime(p *problems, root *yaml.Node, fields map[string]entry) metav1.Time {
	v, line, ok := scalarField(p, root, fields, fieldTime, "an RFC 3339 time, the instant of the last sample")
	if !ok {
		return metav1.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		p.add(line, fieldTime, "%q is not an RFC 3339 time such as 2025-01-02T15:04:05Z", v)
		return metav1.Time{}
	}
	checkTime(p, line, t)
	return metav1.NewTime(t.UTC())
}

// parseInterval reads the spacing of samples, in (0, series.MaxInterval].
func parseInterval(p *problems, root *yaml.Node, fields map[string]entry) metav1.Duration {
	v, line, ok := scalarField(p, root, fields, fieldInterval, "a duration such as 1m, the spacing of samples")
	if !ok {
		return metav1.Duration{}
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		p.add(line, fieldInterval, "%q is not a duration such as 30s or 1m (at most %s)", v, series.MaxInterval)
		return metav1.Duration{}
	}
	checkInterval(p, line, v, d)
	return metav1.Duration{Duration: d}
}

// mappingEntries returns the keys of a mapping node with their value nodes, in file order.
func mappingEntries(n *yaml.Node) []entry {
	out := make([]entry, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, entry{key: n.Content[i], value: resolveAlias(n.Content[i+1])})
	}
	return out
}
