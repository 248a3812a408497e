package fleet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// maxAliasExpansions bounds how many YAML aliases one object may expand (alias bombs).
const maxAliasExpansions = 10000

// readDocument parses the single YAML (or JSON) document of a snapshot file.
func readDocument(file string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, &Error{File: file, Err: errors.New("empty file: expected a " + Kind)}
	} else if err != nil {
		return nil, syntaxError(file, data, err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return nil, &Error{File: file, Line: next.Line, Err: errors.New("more than one YAML document: a snapshot is one document")}
	} else if !errors.Is(err, io.EOF) {
		return nil, syntaxError(file, data, err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: root.Line, Err: fmt.Errorf("expected a mapping (a %s), found %s", Kind, describe(root))}
	}
	return root, nil
}

// syntaxError turns a YAML parser error into an Error on its line.
func syntaxError(file string, data []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, tail, ok := strings.Cut(rest, ": "); ok {
			if l, convErr := strconv.Atoi(n); convErr == nil {
				line, msg = l, tail
			}
		}
	}
	switch {
	case strings.HasPrefix(msg, "did not find expected "):
		// yaml.v3's parser (unlike its scanner) reports the 0-based line of the
		// construct that is not closed; the problem is at the earliest on the next line,
		// and it is on the first line after which the input fails the same way.
		line++
		if l := problemLine(data, line, msg); l > 0 {
			line = l
		}
	case line == 0:
		line = badByteLine(data)
	}
	return &Error{File: file, Line: line, Err: fmt.Errorf("YAML syntax error: %s", msg)}
}

// Limits of the search for the line of a YAML parser error.
const (
	maxRefineSize  = 256 << 10 // bytes of input
	maxRefineLines = 100       // lines after the reported one
)

// problemLine finds the first line from `from` on such that the input up to and
// including it fails with msg; 0 if there is none within the limits.
func problemLine(data []byte, from int, msg string) int {
	if len(data) > maxRefineSize {
		return 0
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	end := 0
	for i := 0; i < from-1 && i < len(lines); i++ {
		end += len(lines[i])
	}
	for k := from; k <= len(lines) && k < from+maxRefineLines; k++ {
		end += len(lines[k-1])
		if err := firstError(data[:end]); err != nil && strings.HasSuffix(err.Error(), ": "+msg) {
			return k
		}
	}
	return 0
}

// firstError parses every document of data and returns the first error, if any.
func firstError(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// badByteLine finds the line of the first byte YAML rejects (invalid UTF-8 or a control
// character); 0 if there is none.
func badByteLine(data []byte) int {
	line := 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 || r < ' ' && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return line
		}
		if r == '\n' {
			line++
		}
		data = data[size:]
	}
	return 0
}

// describe names the kind of a YAML node for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "null"
		}
		return fmt.Sprintf("the %s %q", strings.TrimPrefix(n.ShortTag(), "!!"), n.Value)
	}
	return "nothing"
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
			return &Error{Line: k.Line, Field: path, Err: fmt.Errorf("a mapping key must be a scalar, found %s", describe(k))}
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
