package fleet

import (
	"fmt"
	"strings"
)

// Error is a problem with a snapshot file: where it is (file, line, field) and what it is.
type Error struct {
	File string
	// Line is 1-based; 0 when the problem has no single line (an empty file, ...).
	Line int
	// Field is the path of the offending field, as in "series.node-a.cpu" or
	// "nodes[2].metadata.name"; "" when the problem concerns the whole file.
	Field string
	Err   error
}

// Error formats the problem as "file:line: field: message".
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

// problems collects the errors of one file.
type problems struct {
	file string
	errs []error
}

// maxProblems bounds how many errors one file reports.
const maxProblems = 20

// add records a problem at a line and field.
func (p *problems) add(line int, field string, format string, args ...any) {
	p.addErr(line, field, fmt.Errorf(format, args...))
}

// addErr records an error at a line and field.
func (p *problems) addErr(line int, field string, err error) {
	if len(p.errs) < maxProblems {
		p.errs = append(p.errs, &Error{File: p.file, Line: line, Field: field, Err: err})
	}
}
