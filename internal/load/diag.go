package load

import (
	"fmt"
	"sort"
	"strings"
)

// Severity says whether a diagnostic stops a file from being applied.
type Severity int

const (
	// Error means the input is invalid: nothing loaded with it may be applied.
	Error Severity = iota
	// Warning points at something suspicious that is still valid.
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// stdinName is how standard input ("-") is named in diagnostics and origins.
const stdinName = "<stdin>"

// Diagnostic is one problem found in an input file, with its position.
type Diagnostic struct {
	// Severity is Error or Warning.
	Severity Severity
	// File is the path as given by the caller; "-" (standard input) is shown as "<stdin>".
	File string
	// Line is 1-based; 0 if unknown.
	Line int
	// Column is 1-based; 0 if unknown.
	Column int
	// Field is a path such as "spec.conditions[0].operator", using the YAML field
	// names also for HCL input; "" if the problem is not about one field.
	Field string
	// Message says what is wrong, for people.
	Message string
	// Snippet is optional: the source line with a caret under the column.
	Snippet string
}

// String formats the diagnostic as "file:line:col: error: field: message", leaving out
// the parts that are unknown. It does not include the snippet.
func (d Diagnostic) String() string {
	var b strings.Builder
	if d.File != "" {
		b.WriteString(displayName(d.File))
		if d.Line > 0 {
			fmt.Fprintf(&b, ":%d", d.Line)
			if d.Column > 0 {
				fmt.Fprintf(&b, ":%d", d.Column)
			}
		}
		b.WriteString(": ")
	}
	b.WriteString(d.Severity.String())
	b.WriteString(": ")
	if d.Field != "" {
		b.WriteString(d.Field)
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	return b.String()
}

// Diagnostics is a list of diagnostics. It implements error; note that a nil
// Diagnostics stored in an error interface is not a nil error, so test HasErrors.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Errors returns the diagnostics of severity Error.
func (ds Diagnostics) Errors() Diagnostics { return ds.filter(Error) }

// Warnings returns the diagnostics of severity Warning.
func (ds Diagnostics) Warnings() Diagnostics { return ds.filter(Warning) }

func (ds Diagnostics) filter(s Severity) Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == s {
			out = append(out, d)
		}
	}
	return out
}

// Error returns every diagnostic, one per line, each followed by its snippet.
func (ds Diagnostics) Error() string {
	var b strings.Builder
	for i, d := range ds {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.String())
		if d.Snippet != "" {
			b.WriteByte('\n')
			b.WriteString(d.Snippet)
		}
	}
	return b.String()
}

// displayName turns "-" into "<stdin>".
func displayName(file string) string {
	if file == "-" {
		return stdinName
	}
	return file
}

// sortDiagnostics orders diagnostics by file (in the order of rank, unknown files
// last), then line, column, severity, field and message; equal ones are dropped.
func sortDiagnostics(ds Diagnostics, rank map[string]int) Diagnostics {
	r := func(f string) int {
		if n, ok := rank[f]; ok {
			return n
		}
		return len(rank)
	}
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		switch {
		case r(a.File) != r(b.File):
			return r(a.File) < r(b.File)
		case a.File != b.File:
			return a.File < b.File
		case a.Line != b.Line:
			return a.Line < b.Line
		case a.Column != b.Column:
			return a.Column < b.Column
		case a.Severity != b.Severity:
			return a.Severity < b.Severity
		case a.Field != b.Field:
			return a.Field < b.Field
		}
		return a.Message < b.Message
	})
	out := ds[:0]
	for i, d := range ds {
		if i > 0 && d == ds[i-1] {
			continue
		}
		out = append(out, d)
	}
	return out
}

// maxSnippetWidth bounds the source shown in a snippet, in characters.
const maxSnippetWidth = 120

// snippet renders one source line with a caret under col (1-based, in characters);
// without a caret when col is 0 (unknown).
func snippet(lineNo int, line string, col int) string {
	runes := []rune(strings.TrimRight(line, "\r"))
	caret := col > 0
	if col < 1 {
		col = 1
	}
	if col > len(runes)+1 {
		col = len(runes) + 1
	}
	start := 0
	if len(runes) > maxSnippetWidth && col > maxSnippetWidth/2 {
		start = min(col-1-maxSnippetWidth/2, len(runes)-maxSnippetWidth)
	}
	end := min(len(runes), start+maxSnippetWidth)
	shown := runes[start:end]
	pad := make([]rune, 0, col-1-start)
	for _, c := range runes[start : col-1] {
		if c == '\t' {
			pad = append(pad, '\t')
		} else {
			pad = append(pad, ' ')
		}
	}
	gutter := fmt.Sprintf("%5d | ", lineNo)
	blank := strings.Repeat(" ", len(gutter)-2) + "| "
	for i, c := range shown {
		if c < ' ' && c != '\t' || c == 0x7f {
			shown[i] = '?'
		}
	}
	if caret {
		return gutter + string(shown) + "\n" + blank + string(pad) + "^"
	}
	return gutter + string(shown)
}
