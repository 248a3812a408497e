package fleet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"go.yaml.in/yaml/v3"

	"github.com/nodeguardian/nodeguardian/internal/yamlpos"
)

// maxAliasExpansions bounds how many YAML aliases one object may expand (alias bombs).
const maxAliasExpansions = 10000

// readDocument parses the single YAML (or JSON) document of a snapshot file.
func readDocument(file string, data []byte) (*yaml.Node, error) {
	return yamlpos.Document(file, data, "a "+Kind)
}

// span is where one value of a YAML node ended up in the JSON made from it.
type span struct {
	start, end int // byte offsets in the JSON
	line       int // line of the value in the YAML
	path       string
}

// jsonDoc is the JSON text of one YAML node, with the position of every value so that a
// JSON decoding error can be traced back to a YAML line.
type jsonDoc struct {
	buf     bytes.Buffer
	spans   []span
	aliases int
}

// toJSON converts a YAML node to JSON. Errors carry the line and path of the bad value.
func toJSON(n *yaml.Node, path string) (*jsonDoc, *Error) {
	d := &jsonDoc{}
	if err := d.value(n, path); err != nil {
		return nil, err
	}
	return d, nil
}

// lineAt returns the line and path of the innermost value that ends at or contains the
// JSON byte offset (encoding/json reports offsets just past the bad value).
func (d *jsonDoc) lineAt(offset int64) (int, string) {
	best := -1
	for i, s := range d.spans {
		if int64(s.start) < offset && offset <= int64(s.end) {
			if best < 0 || s.end-s.start < d.spans[best].end-d.spans[best].start {
				best = i
			}
		}
	}
	if best < 0 {
		return 0, ""
	}
	return d.spans[best].line, d.spans[best].path
}

func (d *jsonDoc) value(n *yaml.Node, path string) *Error {
	start := d.buf.Len()
	var err *Error
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			d.buf.WriteString("null")
			return nil
		}
		return d.value(n.Content[0], path)
	case yaml.AliasNode:
		if d.aliases++; d.aliases > maxAliasExpansions {
			return &Error{Line: n.Line, Field: path, Err: fmt.Errorf("more than %d alias expansions", maxAliasExpansions)}
		}
		return d.value(n.Alias, path)
	case yaml.MappingNode:
		err = d.mapping(n, path)
	case yaml.SequenceNode:
		d.buf.WriteByte('[')
		for i, item := range n.Content {
			if i > 0 {
				d.buf.WriteByte(',')
			}
			if err = d.value(item, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				break
			}
		}
		d.buf.WriteByte(']')
	default:
		err = d.scalar(n, path)
	}
	if err != nil {
		return err
	}
	d.spans = append(d.spans, span{start: start, end: d.buf.Len(), line: n.Line, path: path})
	return nil
}

func (d *jsonDoc) mapping(n *yaml.Node, path string) *Error {
	seen := make(map[string]bool, len(n.Content)/2)
	d.buf.WriteByte('{')
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return &Error{Line: k.Line, Field: path, Err: fmt.Errorf("a mapping key must be a scalar, found %s", yamlpos.Describe(k))}
		}
		if k.ShortTag() == "!!merge" {
			return &Error{Line: k.Line, Field: path, Err: errors.New("merge keys (<<) are not supported")}
		}
		field := joinPath(path, k.Value)
		if seen[k.Value] {
			return &Error{Line: k.Line, Field: field, Err: fmt.Errorf("duplicate key %q", k.Value)}
		}
		seen[k.Value] = true
		if i > 0 {
			d.buf.WriteByte(',')
		}
		writeJSONString(&d.buf, k.Value)
		d.buf.WriteByte(':')
		if err := d.value(v, field); err != nil {
			return err
		}
	}
	d.buf.WriteByte('}')
	return nil
}

func (d *jsonDoc) scalar(n *yaml.Node, path string) *Error {
	switch n.ShortTag() {
	case "!!null":
		d.buf.WriteString("null")
	case "!!bool", "!!int", "!!float":
		var v any
		if err := n.Decode(&v); err != nil {
			return &Error{Line: n.Line, Field: path, Err: err}
		}
		if f, ok := v.(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
			return &Error{Line: n.Line, Field: path, Err: fmt.Errorf("%q is not a finite number", n.Value)}
		}
		b, err := json.Marshal(v)
		if err != nil {
			return &Error{Line: n.Line, Field: path, Err: err}
		}
		d.buf.Write(b)
	default: // strings, timestamps (kept as written), binary, custom tags
		writeJSONString(&d.buf, n.Value)
	}
	return nil
}

func writeJSONString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s) // a string always marshals
	buf.Write(b)
}

// joinPath appends a mapping key to a field path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
