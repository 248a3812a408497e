package load

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	// kyaml: yaml.v3 nodes with line and column for every field.
	yaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/nodeguardian/nodeguardian/internal/yamlpos"
)

// maxDepth bounds the nesting of values in one document.
const maxDepth = 100

// parseYAML reads every document of a YAML stream up to the first syntax error,
// which is returned as a file-level diagnostic. Empty documents are dropped.
func parseYAML(src *source, data []byte) ([]*document, Diagnostics) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*document
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, Diagnostics{yamlErrorDiag(src, data, err)}
		}
		if d := yamlDocument(src, &n); d != nil {
			docs = append(docs, d)
		}
	}
}

// yamlErrorDiag turns a YAML syntax error into a diagnostic on the line (and, for a
// byte YAML rejects, the column) yamlpos.Locate finds.
func yamlErrorDiag(src *source, data []byte, err error) Diagnostic {
	line, col, msg := yamlpos.Locate(data, err)
	return src.diagAt(Error, pos{line: line, col: col}, "", "YAML syntax error: "+msg)
}

// yamlDocument converts one YAML document node. It returns nil for an empty document.
func yamlDocument(src *source, n *yaml.Node) *document {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" && n.Anchor == "" {
		return nil
	}
	d := newDocument(src, nodePos(n))
	b := yamlBuilder{d: d}
	v := b.value(n, "", 0)
	if m, ok := v.(map[string]any); ok {
		d.root = m
	} else {
		d.root = nil // not a mapping: the caller skips it
	}
	return d
}

func nodePos(n *yaml.Node) pos { return pos{line: n.Line, col: n.Column} }

// yamlBuilder turns yaml.v3 nodes into generic values, indexing their positions.
type yamlBuilder struct{ d *document }

// fail records an error at a node and marks the value at ptr as unreadable.
func (b yamlBuilder) fail(n *yaml.Node, ptr, msg string) any {
	b.report(n, ptr, msg)
	b.d.broken[ptr] = true
	return nil
}

// report records an error at a node about the field at ptr.
func (b yamlBuilder) report(n *yaml.Node, ptr, msg string) {
	b.d.diags = append(b.d.diags, b.d.src.diagAt(Error, nodePos(n), b.d.fieldPath(ptr), msg))
}

func (b yamlBuilder) value(n *yaml.Node, ptr string, depth int) any {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return b.fail(n, ptr, "YAML anchors and aliases are not supported; write the value out")
	}
	if depth > maxDepth {
		return b.fail(n, ptr, fmt.Sprintf("values are nested more than %d deep", maxDepth))
	}
	switch n.Kind {
	case yaml.MappingNode:
		if t := n.ShortTag(); t != "!!map" {
			return b.fail(n, ptr, fmt.Sprintf("unsupported YAML tag %q on a mapping", t))
		}
		return b.mapping(n, ptr, depth)
	case yaml.SequenceNode:
		if t := n.ShortTag(); t != "!!seq" {
			return b.fail(n, ptr, fmt.Sprintf("unsupported YAML tag %q on a sequence", t))
		}
		out := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			p := ptrIndex(ptr, i)
			b.d.index[p] = loc{val: nodePos(item), item: true}
			out = append(out, b.value(item, p, depth+1))
		}
		return out
	case yaml.ScalarNode:
		return b.scalar(n, ptr)
	}
	return b.fail(n, ptr, "unsupported YAML node")
}

func (b yamlBuilder) mapping(n *yaml.Node, ptr string, depth int) any {
	out := make(map[string]any, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Anchor != "" {
			b.report(k, ptr, "mapping keys must be plain strings")
			continue
		}
		if k.ShortTag() == "!!merge" {
			b.report(k, ptr, "YAML merge keys (<<) are not supported; write the fields out")
			continue
		}
		p := ptrJoin(ptr, k.Value)
		if first, dup := b.d.index[p]; dup {
			b.report(k, ptr, fmt.Sprintf("duplicate field %q (first at line %d)", k.Value, first.key.line))
			continue
		}
		b.d.index[p] = loc{key: nodePos(k), val: nodePos(v), name: k.Value}
		out[k.Value] = b.value(v, p, depth+1)
	}
	return out
}

func (b yamlBuilder) scalar(n *yaml.Node, ptr string) any {
	switch t := n.ShortTag(); t {
	case "!!null":
		return nil
	case "!!str", "!!timestamp", "!!binary":
		return n.Value
	case "!!bool", "!!int", "!!float":
		var v any
		if err := n.Decode(&v); err != nil {
			return b.fail(n, ptr, fmt.Sprintf("cannot read %q as %s", n.Value, t[2:]))
		}
		return b.number(n, ptr, v)
	default:
		return b.fail(n, ptr, fmt.Sprintf("unsupported YAML tag %q", t))
	}
}

// number normalises decoded scalars: every number becomes a finite float64.
func (b yamlBuilder) number(n *yaml.Node, ptr string, v any) any {
	var f float64
	switch x := v.(type) {
	case bool:
		return x
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case uint64:
		f = float64(x)
	case float64:
		f = x
	default:
		return b.fail(n, ptr, fmt.Sprintf("cannot read %q", n.Value))
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b.fail(n, ptr, fmt.Sprintf("must be a finite number, not %s", n.Value))
	}
	return f
}
