package fleet

import (
	"fmt"

	"github.com/nodeguardian/nodeguardian/internal/yamlpos"
)

// Error is a problem with a snapshot file: where it is (file, line, field) and what it
// is. Field is a path such as "series.node-a.cpu" or "nodes[2].metadata.name".
type Error = yamlpos.Error

// problems collects the errors and warnings of one file.
type problems struct {
	file     string
	errs     []error
	warnings []*Error
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

// warn records a warning at a line and field.
func (p *problems) warn(line int, field string, format string, args ...any) {
	if len(p.warnings) < maxProblems {
		p.warnings = append(p.warnings, &Error{File: p.file, Line: line, Field: field, Err: fmt.Errorf(format, args...)})
	}
}
