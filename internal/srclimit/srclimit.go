// Package srclimit checks HCL sources against size and nesting limits before they are
// parsed. The HCL parser (hclsyntax) and formatter (hclwrite) recurse once per level of
// nesting with no bound of their own: `x = [[[[…` 80,000 levels deep overflows the Go
// stack (a crash no recover() catches) and 50,000 levels take seconds and gigabytes. A
// byte scan counting nesting outside strings and comments is cheap and catches it.
//
// Every place that parses HCL source goes through CheckHCL first.
package srclimit

import (
	"fmt"
)

// MaxHCLSize bounds an HCL file: 1 MiB, tens of thousands of lines. Parsing takes time
// and memory proportional to the size (about a second and 1 GiB of allocations per
// MiB), and hand-written rule files are a few KiB.
const MaxHCLSize = 1 << 20

// MaxDepth bounds the nesting of an HCL file: brackets, braces and parentheses
// (blocks, tuples, objects, calls), strings and template interpolations, plus the
// operators of one expression — unary (`- - -1`, `!!x`) and binary (`a + b + c`, each
// a level of the tree evaluation recurses through), conditionals (`a ? b : c ? d : e`,
// whose results the parser recurses into) — and splats (`a[*][*]`). 1 MiB of `a?a?…`
// took 2.6 s and 900 MB to parse; rule files nest fewer than ten levels.
const MaxDepth = 100

// Error is a source that exceeds a limit: the file, and the line and column (1-based;
// 0 when the whole file is meant) where it does.
type Error struct {
	File         string
	Line, Column int
	Err          error
}

// Error formats the problem as "file:line:col: message".
func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Column, e.Err)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// CheckHCL returns an *Error when data, the content of file, is larger than MaxHCLSize
// or nests deeper than MaxDepth; nil otherwise. It never fails on a valid rule file and
// leaves syntax errors to the parser: an unbalanced closer is ignored.
func CheckHCL(file string, data []byte) error {
	if len(data) > MaxHCLSize {
		return &Error{File: file, Err: fmt.Errorf("HCL file of %d bytes is larger than %d KiB", len(data), MaxHCLSize>>10)}
	}
	s := &scanner{data: data, line: 1, col: 1}
	if s.run() {
		return nil
	}
	return &Error{File: file, Line: s.errLine, Column: s.errCol,
		Err: fmt.Errorf("HCL nested more than %d levels deep (brackets, braces, parentheses, strings, templates, operators, conditionals or splats)", MaxDepth)}
}
