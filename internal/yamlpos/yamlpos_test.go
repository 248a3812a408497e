package yamlpos

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestErrorFormat(t *testing.T) {
	base := errors.New("bad value")
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"file only", &Error{File: "f.yaml", Err: base}, "f.yaml: bad value"},
		{"line", &Error{File: "f.yaml", Line: 3, Err: base}, "f.yaml:3: bad value"},
		{"field", &Error{File: "f.yaml", Field: "nodes[2].metadata.name", Err: base}, "f.yaml: nodes[2].metadata.name: bad value"},
		{"line and field", &Error{File: "f.yaml", Line: 12, Field: "tests[0].expect[1].at", Err: base}, "f.yaml:12: tests[0].expect[1].at: bad value"},
		{"negative line is no line", &Error{File: "f.yaml", Line: -1, Err: base}, "f.yaml: bad value"},
		{"no file", &Error{Line: 4, Field: "a", Err: base}, ":4: a: bad value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if !errors.Is(tt.err, base) || tt.err.Unwrap() != base {
				t.Error("the underlying error is not unwrapped")
			}
		})
	}
}

func TestErrorAs(t *testing.T) {
	err := errors.Join(errors.New("other"), &Error{File: "f.yaml", Line: 2, Err: fs.ErrNotExist})
	var e *Error
	if !errors.As(err, &e) || e.File != "f.yaml" || e.Line != 2 {
		t.Fatalf("errors.As: %#v", e)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Error("errors.Is does not see through Error")
	}
}

func TestLocate(t *testing.T) {
	// pad is more input than the line search reads, on 43691 lines.
	pad := strings.Repeat("# pad\n", maxRefineSize/6+1)
	tests := []struct {
		name, in  string
		line, col int
		msg       string
	}{
		// Scanner errors are on their (1-based) line.
		{"tab indentation", "a:\n\t- b\n", 2, 0, "found character that cannot start any token"},
		{"mapping in a scalar", "a: 1\nb: c: d\n", 2, 0, "mapping values are not allowed in this context"},
		// yaml.v3 leaves out the line of a scanner error on the first line, and there is
		// no bad byte to find.
		{"scanner error on line 1", "a: b: c\n", 0, 0, "mapping values are not allowed in this context"},
		// Parser errors are reported on the 0-based line of the enclosing construct and
		// refined to the line where the input starts failing.
		{"unclosed flow list", "a: [\n", 2, 0, "did not find expected node content"},
		{"bad indentation in a list", "a:\n  - b: 1\n   c: 2\n", 3, 0, "did not find expected '-' indicator"},
		{"bad indentation in a mapping", "a:\n  b: 1\n c: 2\n", 3, 0, "did not find expected key"},
		{"in a later document", "a: 1\n---\nb:\n  - c: 1\n   d: 2\n", 5, 0, "did not find expected '-' indicator"},
		{"undefined tag handle", "a: 1\n\n!x!y z: 1\n", 3, 0, "found undefined tag handle"},
		{"undefined tag handle on line 1", "a: !x!y z\n", 1, 0, "found undefined tag handle"},
		{"incompatible document", "%YAML 2.0\n---\na: 1\n", 1, 0, "found incompatible YAML document"},
		{"duplicate directive", "%YAML 1.1\n%YAML 1.1\n---\na: 1\n", 2, 0, "found duplicate %YAML directive"},
		// Past maxRefineSize the reported line is only made 1-based.
		{"too large to refine", pad + "a:\n  - b: 1\n   c: 2\n", 43693, 0, "did not find expected '-' indicator"},
		// Reader errors carry no position: the first rejected byte gives line and column.
		{"control character", "a: 1\nb: \x01\n", 2, 4, "control characters are not allowed"},
		{"invalid UTF-8", "a: 1\nbé: \xff\n", 2, 5, "invalid leading UTF-8 octet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.in)
			err := firstError(data)
			if err == nil {
				t.Fatal("the input parses")
			}
			line, col, msg := Locate(data, err)
			if line != tt.line || col != tt.col || msg != tt.msg {
				t.Errorf("Locate(%q) = %d, %d, %q; want %d, %d, %q", err, line, col, msg, tt.line, tt.col, tt.msg)
			}
		})
	}
}

func TestSyntaxError(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"refined line", "a:\n  - b: 1\n   c: 2\n", "f.yaml:3: YAML syntax error: did not find expected '-' indicator"},
		{"unclosed at the end", "ruleFiles: [\n", "f.yaml:2: YAML syntax error: did not find expected node content"},
		{"bad byte (no column)", "a: \x7f\n", "f.yaml:1: YAML syntax error: control characters are not allowed"},
		{"no line", "a: b: c\n", "f.yaml: YAML syntax error: mapping values are not allowed in this context"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.in)
			err := firstError(data)
			if err == nil {
				t.Fatal("the input parses")
			}
			e := SyntaxError("f.yaml", data, err)
			if got := e.Error(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if e.File != "f.yaml" || e.Field != "" {
				t.Errorf("file %q, field %q", e.File, e.Field)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		in, msg string
		line    int
	}{
		{"yaml: line 12: did not find expected key", "did not find expected key", 12},
		{"yaml: control characters are not allowed", "control characters are not allowed", 0},
		{"yaml: line x: odd", "line x: odd", 0},
		{"line 3: not from yaml", "not from yaml", 3},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			msg, line := split(errors.New(tt.in))
			if msg != tt.msg || line != tt.line {
				t.Errorf("split = %q, %d; want %q, %d", msg, line, tt.msg, tt.line)
			}
		})
	}
}

func TestBadByte(t *testing.T) {
	tests := []struct {
		name, in  string
		line, col int
	}{
		{"none", "a: b\n\tc: é\r\n", 0, 0},
		{"empty", "", 0, 0},
		{"NUL", "\x00", 1, 1},
		{"DEL", "ab\x7f", 1, 3},
		{"after a newline", "a\nbc\x1b", 2, 3},
		{"columns count runes", "éé\xc3", 1, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if line, col := badByte([]byte(tt.in)); line != tt.line || col != tt.col {
				t.Errorf("badByte(%q) = %d, %d; want %d, %d", tt.in, line, col, tt.line, tt.col)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("m: {a: 1}\nl: [1]\nn: null\ne:\ns: text\ni: 42\nb: true\nf: 1.5\nr: &x 1\nal: *x\n"), &doc); err != nil {
		t.Fatal(err)
	}
	values := map[string]*yaml.Node{}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		values[root.Content[i].Value] = root.Content[i+1]
	}
	tests := []struct {
		name string
		node *yaml.Node
		want string
	}{
		{"mapping", values["m"], "a mapping"},
		{"list", values["l"], "a list"},
		{"null", values["n"], "null"},
		{"empty value", values["e"], "null"},
		{"string", values["s"], `the str "text"`},
		{"integer", values["i"], `the int "42"`},
		{"bool", values["b"], `the bool "true"`},
		{"float", values["f"], `the float "1.5"`},
		{"anchored scalar", values["r"], `the int "1"`},
		{"alias", values["al"], "an alias"},
		{"document", &doc, "nothing"},
		{"zero node", &yaml.Node{}, "nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.node == nil {
				t.Fatal("missing node")
			}
			if got := Describe(tt.node); got != tt.want {
				t.Errorf("Describe = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDocument(t *testing.T) {
	tests := []struct {
		name, in, err string
	}{
		{"mapping", "a: 1\n", ""},
		{"empty", "", "f.yaml: empty file: expected a thing"},
		{"two documents", "a: 1\n---\nb: 2\n", "f.yaml:2: more than one YAML document: a thing is one document"},
		{"not a mapping", "- a\n", "f.yaml:1: expected a thing (a mapping), found a list"},
		{"syntax error", "a: [\n", "f.yaml:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Document("f.yaml", []byte(tt.in), "a thing")
			if tt.err == "" {
				if err != nil || n == nil || n.Kind != yaml.MappingNode {
					t.Fatalf("Document = %v, %v", n, err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
				t.Fatalf("error %v, want prefix %q", err, tt.err)
			}
		})
	}
}
