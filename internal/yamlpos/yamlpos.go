// Package yamlpos holds positions and errors in YAML sources: an error type that
// names the file, line and field of a problem, the recovery of the real line of a
// yaml.v3 syntax error, and the names of node kinds used in messages.
package yamlpos

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Error is a problem with a YAML source file: where it is (file, line, field) and
// what it is.
type Error struct {
	// File names the source, as given by the caller.
	File string
	// Line is 1-based; 0 when the problem has no single line (an empty file, an
	// unreadable one, ...).
	Line int
	// Field is the path of the offending field, as in "nodes[2].metadata.name" or
	// "tests[0].expect[1].at"; "" when the problem concerns the whole file.
	Field string
	// Err is the problem itself.
	Err error
}

// Error formats the problem as "file:line: field: message", leaving out the line
// when it is 0 and the field when it is "".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// SyntaxError turns an error of yaml.v3's decoder on data into an Error on the line
// Locate finds, with the message "YAML syntax error: ...".
func SyntaxError(file string, data []byte, err error) *Error {
	line, _, msg := Locate(data, err)
	return &Error{File: file, Line: line, Err: fmt.Errorf("YAML syntax error: %s", msg)}
}

// Locate finds where in data a syntax error of yaml.v3's decoder is, and returns its
// message without the "yaml: " and "line N: " prefixes. line is 1-based, 0 when
// unknown; col is 1-based and known (non-zero) only for a byte YAML rejects.
//
// yaml.v3 reports scanner errors on their (1-based) line but parser errors on the
// 0-based line of the enclosing construct, so for the latter the line is corrected and
// then refined to the first line after which the input fails the same way. Reader
// errors (invalid UTF-8, control characters) carry no line: they are put on the first
// byte YAML rejects.
func Locate(data []byte, err error) (line, col int, msg string) {
	msg, line = split(err)
	switch {
	case isParserError(msg):
		line++
		if l := problemLine(data, line, msg); l > 0 {
			line = l
		}
	case line == 0:
		line, col = badByte(data)
	}
	return line, col, msg
}

// split splits "yaml: line 12: message" into the message and the line (0 when the
// error names none).
func split(err error) (string, int) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, tail, ok := strings.Cut(rest, ": "); ok {
			if l, err := strconv.Atoi(n); err == nil {
				return tail, l
			}
		}
	}
	return msg, 0
}

// isParserError reports whether msg is one of the errors of yaml.v3's parser (as
// opposed to its scanner), which report 0-based lines.
func isParserError(msg string) bool {
	return strings.HasPrefix(msg, "did not find expected ") ||
		strings.HasPrefix(msg, "found duplicate %") ||
		msg == "found incompatible YAML document" || msg == "found undefined tag handle"
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
		if err := firstError(data[:end]); err != nil {
			if m, _ := split(err); m == msg {
				return k
			}
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

// badByte finds the first byte YAML rejects (invalid UTF-8 or a control character),
// for the reader errors that carry no position; 0, 0 if there is none.
func badByte(data []byte) (line, col int) {
	line, col = 1, 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 || r < ' ' && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return line, col
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		data = data[size:]
	}
	return 0, 0
}

// Describe names the kind of a YAML node for messages: "a mapping", "a list", "an
// alias", "null", `the str "x"` (a scalar with its tag and value) or "nothing".
func Describe(n *yaml.Node) string {
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

// Document parses data, which must hold exactly one YAML document whose root is a
// mapping, and returns that mapping. what names the expected content in messages, e.g.
// "a FleetSnapshot" or "a test file".
func Document(file string, data []byte, what string) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, &Error{File: file, Err: errors.New("empty file: expected " + what)}
	} else if err != nil {
		return nil, SyntaxError(file, data, err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return nil, &Error{File: file, Line: next.Line, Err: fmt.Errorf("more than one YAML document: %s is one document", what)}
	} else if !errors.Is(err, io.EOF) {
		return nil, SyntaxError(file, data, err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: root.Line, Err: fmt.Errorf("expected %s (a mapping), found %s", what, Describe(root))}
	}
	return root, nil
}
