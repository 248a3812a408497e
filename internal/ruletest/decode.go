package ruletest

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/nodeguardian/nodeguardian/internal/yamlpos"
)

// Error is a problem with a test file: where it is (file, line, field) and what it is.
// Field is a path such as "tests[0].expect[1].at".
type Error = yamlpos.Error

// Limits of the decoder.
const (
	maxErrors          = 20    // errors reported per file
	maxAliasExpansions = 10000 // alias bombs
)

// decoder walks a YAML tree strictly, collecting errors with their lines.
type decoder struct {
	file    string
	errs    []error
	aliases int
	samples int // series values read so far, of MaxFileSamples
}

// failf records a problem at the line of n.
func (d *decoder) failf(n *yaml.Node, field, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	if len(d.errs) < maxErrors {
		d.errs = append(d.errs, &Error{File: d.file, Line: line, Field: field, Err: fmt.Errorf(format, args...)})
	}
}

// err returns the errors found, joined (nil when there are none).
func (d *decoder) err() error { return errors.Join(d.errs...) }

// resolve follows aliases, counting expansions.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		if d.aliases++; d.aliases > maxAliasExpansions {
			if d.aliases == maxAliasExpansions+1 { // reported even past maxErrors
				d.errs = append(d.errs, &Error{File: d.file, Line: n.Line, Err: fmt.Errorf("more than %d alias expansions", maxAliasExpansions)})
			}
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line}
		}
		n = n.Alias
	}
	return n
}

// isNull reports whether a node is absent or an explicit null.
func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// entry is one key of a mapping with its value.
type entry struct {
	key, value *yaml.Node
}

// entries returns the entries of a mapping in file order, reporting a value that is not
// a mapping, keys that are not scalars, merge keys and duplicate keys. Null is empty.
func (d *decoder) entries(n *yaml.Node, field, what string) []entry {
	n = d.resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.failf(n, field, "expected %s, found %s", what, yamlpos.Describe(n))
		return nil
	}
	seen := map[string]int{}
	out := make([]entry, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			d.failf(k, field, "a key must be a scalar, found %s", yamlpos.Describe(k))
		case k.ShortTag() == "!!merge":
			d.failf(k, field, "merge keys (<<) are not supported")
		case seen[k.Value] > 0:
			d.failf(k, joinField(field, k.Value), "duplicate key (first on line %d)", seen[k.Value])
		default:
			seen[k.Value] = k.Line
			out = append(out, entry{key: k, value: d.resolve(v)})
		}
	}
	return out
}

// object reads a mapping with a fixed set of fields, reporting unknown ones. The result
// maps each field present to its value.
func (d *decoder) object(n *yaml.Node, field, what string, known ...string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	for _, e := range d.entries(n, field, what) {
		if !contains(known, e.key.Value) {
			d.failf(e.key, joinField(field, e.key.Value), "unknown field (known fields: %s)", strings.Join(known, ", "))
			continue
		}
		out[e.key.Value] = e.value
	}
	return out
}

// list returns the items of a sequence (nil for null), reporting anything else.
func (d *decoder) list(n *yaml.Node, field, what string) []*yaml.Node {
	n = d.resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.failf(n, field, "expected %s, found %s", what, yamlpos.Describe(n))
		return nil
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, item := range n.Content {
		out[i] = d.resolve(item)
	}
	return out
}

// scalar returns the text of a non-null scalar; ok is false (and the problem reported)
// for anything else.
func (d *decoder) scalar(n *yaml.Node, field, what string) (string, bool) {
	n = d.resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		if n == nil {
			n = &yaml.Node{}
		}
		d.failf(n, field, "expected %s, found %s", what, yamlpos.Describe(n))
		return "", false
	}
	return n.Value, true
}

// str reads a string: any non-null scalar, as written.
func (d *decoder) str(n *yaml.Node, field string) string {
	s, _ := d.scalar(n, field, "a string")
	return s
}

// required reads a non-empty string field of an object.
func (d *decoder) required(obj map[string]*yaml.Node, parent *yaml.Node, field, name string) string {
	v, ok := obj[name]
	if !ok {
		d.failf(parent, joinField(field, name), "missing")
		return ""
	}
	s := d.str(v, joinField(field, name))
	if s == "" && !isNull(v) {
		d.failf(v, joinField(field, name), "must not be empty")
	}
	return s
}

// strList reads a list of strings (nil for null).
func (d *decoder) strList(n *yaml.Node, field string) []string {
	items := d.list(n, field, "a list of strings")
	if items == nil {
		return nil
	}
	out := make([]string, 0, len(items))
	for i, item := range items {
		if s, ok := d.scalar(item, fmt.Sprintf("%s[%d]", field, i), "a string"); ok {
			out = append(out, s)
		}
	}
	return out
}

// strMap reads a mapping of strings to strings (nil for null). Values must be scalars.
func (d *decoder) strMap(n *yaml.Node, field string) map[string]string {
	es := d.entries(n, field, "a mapping of strings")
	if es == nil {
		return nil
	}
	out := make(map[string]string, len(es))
	for _, e := range es {
		if s, ok := d.scalar(e.value, joinField(field, e.key.Value), "a string"); ok {
			out[e.key.Value] = s
		}
	}
	return out
}

// duration reads a Go duration such as 30s or 1h30m ("0" is zero).
func (d *decoder) duration(n *yaml.Node, field string) (time.Duration, bool) {
	s, ok := d.scalar(n, field, "a duration such as 30s or 5m")
	if !ok {
		return 0, false
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		d.failf(n, field, "%q is not a duration such as 30s or 5m", s)
		return 0, false
	}
	return v, true
}

// boolean reads true or false.
func (d *decoder) boolean(n *yaml.Node, field string) bool {
	s, ok := d.scalar(n, field, "true or false")
	if !ok {
		return false
	}
	if d.resolve(n).ShortTag() != "!!bool" {
		d.failf(n, field, "expected true or false, found %q", s)
		return false
	}
	return s == "true" || s == "True" || s == "TRUE"
}

// int32Value reads an integer that fits in 32 bits.
func (d *decoder) int32Value(n *yaml.Node, field string) int32 {
	s, ok := d.scalar(n, field, "an integer")
	if !ok {
		return 0
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || d.resolve(n).ShortTag() != "!!int" || v < math.MinInt32 || v > math.MaxInt32 {
		d.failf(n, field, "expected a 32-bit integer, found %q", s)
		return 0
	}
	return int32(v)
}

// joinField appends a key to a field path.
func joinField(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// sortedKeys returns the keys of a map in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
