package ruletest

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/nodeguardian/nodeguardian/internal/series"
	"github.com/nodeguardian/nodeguardian/internal/yamlpos"
)

// maxFileSize bounds what Load reads.
const maxFileSize = 16 << 20

// Field names of a test file. They follow the project's (and Kubernetes') camelCase.
const (
	fieldRuleFiles = "ruleFiles"
	fieldInterval  = "interval"
	fieldTests     = "tests"
	fieldName      = "name"
	fieldNodes     = "nodes"
	fieldPods      = "pods"
	fieldPDBs      = "podDisruptionBudgets"
	fieldSeries    = "series"
	fieldExpect    = "expect"
)

// Load reads a test file. Rule file paths are resolved against the file's directory;
// the rule files themselves are read by Run. Errors are *Error values (joined when
// there are several) naming the file and, for problems in it, the line and field.
func Load(file string) (*File, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, &Error{File: file, Err: fmt.Errorf("cannot read: %w", unwrapPath(err))}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, &Error{File: file, Err: fmt.Errorf("cannot read: %w", unwrapPath(err))}
	}
	if len(data) > maxFileSize {
		return nil, &Error{File: file, Err: fmt.Errorf("larger than %d MiB", maxFileSize>>20)}
	}
	out, err := Parse(file, data)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(file)
	for i, rf := range out.RuleFiles {
		if !filepath.IsAbs(rf) {
			out.RuleFiles[i] = filepath.Join(dir, rf)
		}
	}
	return out, nil
}

// unwrapPath drops the operation and path of an *fs.PathError, which Error already names.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Parse decodes a test file's content (file names it in errors). Rule file paths are
// kept as written.
func Parse(file string, data []byte) (*File, error) {
	root, err := readDocument(file, data)
	if err != nil {
		return nil, err
	}
	d := &decoder{file: file}
	top := d.object(root, "", "a test file (a mapping)", fieldRuleFiles, fieldInterval, fieldTests)
	out := &File{Path: file}
	if v, ok := top[fieldRuleFiles]; ok {
		out.RuleFiles = d.strList(v, fieldRuleFiles)
	}
	if len(out.RuleFiles) == 0 {
		d.failf(root, fieldRuleFiles, "missing: list the rule files (and alert templates) to test")
	}
	interval := DefaultInterval
	if v, ok := top[fieldInterval]; ok {
		interval = d.interval(v, fieldInterval, 0) // 0: invalid, reported
	}
	tests := d.list(top[fieldTests], fieldTests, "a list of tests")
	if len(tests) == 0 {
		d.failf(root, fieldTests, "missing: a file needs at least one test")
	}
	names := map[string]int{}
	for i, n := range tests {
		t := d.test(n, fmt.Sprintf("%s[%d]", fieldTests, i), interval)
		if first, dup := names[t.Name]; dup && t.Name != "" {
			d.failf(n, fmt.Sprintf("%s[%d].%s", fieldTests, i, fieldName), "duplicate test name %q (first on line %d)", t.Name, first)
		}
		names[t.Name] = n.Line
		out.Tests = append(out.Tests, t)
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// readDocument parses the single YAML document of a test file into its root mapping.
func readDocument(file string, data []byte) (*yaml.Node, error) {
	return yamlpos.Document(file, data, "a test file")
}

// test decodes one test case.
func (d *decoder) test(n *yaml.Node, field string, interval time.Duration) Test {
	obj := d.object(n, field, "a test (a mapping)",
		fieldName, fieldInterval, fieldNodes, fieldPods, fieldPDBs, fieldSeries, fieldExpect)
	t := Test{Line: n.Line, Interval: interval}
	t.Name = d.required(obj, n, field, fieldName)
	if v, ok := obj[fieldInterval]; ok {
		t.Interval = d.interval(v, joinField(field, fieldInterval), 0)
	}
	t.Nodes = d.nodes(obj[fieldNodes], joinField(field, fieldNodes))
	if len(t.Nodes) == 0 {
		d.failf(n, joinField(field, fieldNodes), "missing: a test needs at least one node")
	}
	nodes := nodeSet(t.Nodes)
	t.Pods = d.pods(obj[fieldPods], joinField(field, fieldPods), nodes)
	t.PDBs = d.pdbs(obj[fieldPDBs], joinField(field, fieldPDBs))
	t.Series = d.series(obj[fieldSeries], joinField(field, fieldSeries), nodes)
	scope := scope{nodes: nodes, pods: podSet(t.Pods), interval: t.Interval}
	t.Expect = d.expectations(obj[fieldExpect], joinField(field, fieldExpect), scope)
	if len(t.Expect) == 0 {
		d.failf(n, joinField(field, fieldExpect), "missing: a test needs at least one expectation")
	}
	return t
}

// interval reads a duration in (0, series.MaxInterval], returning dflt (0: invalid, so
// that nothing is checked against it) when it is not one: within that bound no
// placement of samples or evaluations in time overflows.
func (d *decoder) interval(n *yaml.Node, field string, dflt time.Duration) time.Duration {
	v, ok := d.duration(n, field)
	if !ok {
		return dflt
	}
	switch {
	case v <= 0:
		d.failf(n, field, "must be positive")
		return dflt
	case v > series.MaxInterval:
		d.failf(n, field, "%s: must be at most %s", v, series.MaxInterval)
		return dflt
	}
	return v
}

func nodeSet(nodes []Node) map[string]bool {
	out := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		out[n.Name] = true
	}
	return out
}

func podSet(pods []Pod) map[string]bool {
	out := make(map[string]bool, len(pods))
	for _, p := range pods {
		out[p.Namespace+"/"+p.Name] = true
	}
	return out
}
