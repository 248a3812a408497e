package load

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// Limits of the search for the line of a YAML parser error.
const (
	maxRefineSize  = 256 << 10 // bytes of input
	maxRefineLines = 100       // lines after the reported one
)

// yamlErrorDiag turns a YAML syntax error into a diagnostic on its line.
//
// yaml.v3 reports scanner errors on their (1-based) line but parser errors on the
// 0-based line of the enclosing construct, so for the latter the line is corrected and
// then refined to the first line after which the input fails the same way.
func yamlErrorDiag(src *source, data []byte, err error) Diagnostic {
	msg, line := splitYAMLError(err)
	col := 0
	switch {
	case isParserError(msg):
		line++
		if l := problemLine(data, line, msg); l > 0 {
			line = l
		}
	case line == 0:
		line, col = badByte(data)
	}
	return src.diagAt(Error, pos{line: line, col: col}, "", "YAML syntax error: "+msg)
}

// splitYAMLError splits "yaml: line 12: message" into the message and the line.
func splitYAMLError(err error) (string, int) {
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
			if m, _ := splitYAMLError(err); m == msg {
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
