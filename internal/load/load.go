// Package load reads NodeGuardian rules and alert templates from YAML manifests and
// HCL files into api/v1 objects, reporting every problem with its file, line and column.
//
// Each document is turned into a generic JSON-like value indexed by position, checked
// against the embedded JSON Schema (schemas.JSONSchema, generated from api/v1), then,
// when the schema holds, decoded into the Go type and checked for what the schema
// cannot express (the CEL rules of the CRDs, label syntax, durations, selectors).
// Paths adds the checks across the whole set: duplicate names and template references.
package load

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

// Origin is where an object was read from.
type Origin struct {
	// File is the path as given by the caller ("<stdin>" for standard input).
	File string
	// Line is the line the object starts on.
	Line int
}

// Set is what was loaded. Callers treat Diagnostics.HasErrors() as "nothing may be
// applied": the set then holds what could be read, which may be incomplete.
type Set struct {
	// Rules as written (not defaulted), in file order, files in lexical order.
	Rules []*v1.NodeGuardianRule
	// Templates as written, in the same order.
	Templates []*v1.AlertTemplate
	// Origins maps "NodeGuardianRule/<name>" and "AlertTemplate/<name>" to where the
	// object (the first one, for duplicates) is written.
	Origins map[string]Origin
	// Files is the number of files read.
	Files int
	// Skipped counts documents of other kinds, which are not errors.
	Skipped int
	// Documents counts the NodeGuardian documents read, valid or not: when it is 0 the
	// inputs hold no rule and no template at all.
	Documents int
}

// OriginKey is the key of Set.Origins for an object of the given kind and name.
func OriginKey(kind, name string) string { return kind + "/" + name }

// YAML loads a multi-document YAML stream. It runs the schema and per-object checks
// and reports duplicate names within the stream; template references are checked by
// Paths only, since templates usually live in other files.
func YAML(file string, data []byte) (*Set, Diagnostics) {
	v, ds := compile()
	if ds != nil {
		return newSet(), ds
	}
	return loadOne(v, file, data, false)
}

// HCL loads an HCL file of rule and alert_template blocks (docs/hcl-format.md), with
// the same checks as YAML.
func HCL(file string, data []byte) (*Set, Diagnostics) {
	v, ds := compile()
	if ds != nil {
		return newSet(), ds
	}
	return loadOne(v, file, data, true)
}

// loadOne loads one file with an already compiled schema.
func loadOne(v *validator, file string, data []byte, isHCL bool) (*Set, Diagnostics) {
	l := newLoader(v)
	l.file(file, data, isHCL)
	return l.finish(false)
}

func newSet() *Set { return &Set{Origins: map[string]Origin{}} }

// compile builds the validator, reporting a broken embedded schema as a diagnostic.
func compile() (*validator, Diagnostics) {
	v, err := newValidator()
	if err != nil {
		return nil, Diagnostics{{Severity: Error, Message: err.Error()}}
	}
	return v, nil
}

// object is one loaded object with the document it came from.
type object struct {
	doc  *document
	rule *v1.NodeGuardianRule
	tmpl *v1.AlertTemplate
}

// loader accumulates the objects and diagnostics of one call.
type loader struct {
	v     *validator
	set   *Set
	docs  []*document // every NodeGuardian document, valid or not
	objs  []object    // the documents that decoded
	diags Diagnostics
	rank  map[string]int // display file name → order read, for sorting diagnostics
}

func newLoader(v *validator) *loader {
	return &loader{v: v, set: newSet(), rank: map[string]int{}}
}

// file loads one file's documents.
func (l *loader) file(name string, data []byte, isHCL bool) {
	src := newSource(name, data, isHCL)
	if _, ok := l.rank[src.file]; !ok {
		l.rank[src.file] = len(l.rank)
	}
	l.set.Files++
	var docs []*document
	var ds Diagnostics
	if isHCL {
		docs, ds = parseHCL(src, name, data)
	} else {
		docs, ds = parseYAML(src, data)
	}
	l.diags = append(l.diags, ds...)
	for _, d := range docs {
		if isHCL || l.ours(d) {
			l.document(d)
		}
	}
}

// ours decides whether a YAML document is a NodeGuardian object, counting and
// dropping the others. A document that is almost one — a kind of ours in another
// nodeguardian group or version (the prototype's examples use nodeguardian.io/v1), or a
// kind that differs from ours only in case or by a typo — is loaded as that kind, so
// that the schema reports the apiVersion or kind it must have, with everything else.
func (l *loader) ours(d *document) bool {
	if d.root == nil {
		if d.diags.HasErrors() {
			l.diags = append(l.diags, d.diags...)
			return false
		}
		l.set.Skipped++
		l.diags = append(l.diags, d.diag(Warning, "", false, "", "document is not a mapping; skipped"))
		return false
	}
	av, _ := d.root["apiVersion"].(string)
	k, _ := d.root["kind"].(string)
	group, _, _ := strings.Cut(av, "/")
	if !strings.Contains(av, "/") && av != v1.Group {
		group = "" // the core group
	}
	ngGroup := strings.Contains(strings.ToLower(group), "nodeguardian")
	near := nearKind(k)
	switch {
	case (ngGroup || av == "") && knownKind(k):
		d.kind = k
		return true
	case (ngGroup || av == "") && near != "":
		d.kind = near
		return true
	case group == v1.Group && k == "":
		l.diags = append(l.diags, d.diag(Error, "/kind", false, "/kind",
			fmt.Sprintf("must be %s or %s", kindRule, kindTemplate)))
		l.set.Documents++ // one of ours, invalid
		return false
	case group == v1.Group && !slices.Contains(otherKinds, k):
		// A kind of our own group that does not exist ("Rule"): a mistake, not a
		// document of another tool to skip.
		l.diags = append(l.diags, d.diag(Error, "/kind", false, "/kind",
			fmt.Sprintf("must be %s or %s (got %q)", kindRule, kindTemplate, k)))
		l.set.Documents++ // one of ours, invalid
		return false
	case ngGroup:
		// Another kind of the group (the fleet's FleetSnapshot): not ours to check.
	case knownKind(k):
		l.diags = append(l.diags, d.diag(Warning, "/apiVersion", false, "/apiVersion",
			fmt.Sprintf("kind %s with apiVersion %q is not a NodeGuardian object (%s); document skipped", k, av, apiVersion())))
	}
	l.set.Skipped++
	return false
}

// otherKinds are the kinds of the nodeguardian.k8s.io group that are not rule files:
// a multi-document stream may hold them, and they are skipped (fleet.Kind).
var otherKinds = []string{"FleetSnapshot"}

// nearKind is the kind of ours that k is almost (same but for case, or a typo such as
// NodeGuardianRules), or "" when k is one of ours exactly or none of them.
func nearKind(k string) string {
	if k == "" || knownKind(k) {
		return ""
	}
	for _, known := range []string{kindRule, kindTemplate} {
		if strings.EqualFold(k, known) {
			return known
		}
	}
	return suggest(k, []string{kindRule, kindTemplate})
}

// document validates one object and, when its schema holds, decodes and checks it.
func (l *loader) document(d *document) {
	l.docs = append(l.docs, d)
	l.set.Documents++
	if u, ok := d.valueAt(prometheusURLPtr).(string); ok {
		d.src.redactURL(u)
	}
	ds := append(Diagnostics(nil), d.diags...)
	ds = append(ds, l.v.validate(d)...)
	if !ds.HasErrors() {
		ds = append(ds, checkBeforeDecode(d)...)
	}
	if !ds.HasErrors() {
		o, err := decode(d)
		if err != nil {
			ds = append(ds, d.diag(Error, "", false, "", err.Error()))
		} else {
			ds = append(ds, checkObject(o)...)
			l.add(o)
		}
	}
	l.diags = append(l.diags, ds...)
}

// prometheusURLPtr is where a rule names its Prometheus, whose URL may hold a password.
const prometheusURLPtr = "/spec/monitoring/metricsSource/prometheusURL"

// decode converts a schema-valid document into its Go type.
func decode(d *document) (object, error) {
	raw, err := json.Marshal(d.root)
	if err != nil {
		return object{}, fmt.Errorf("cannot encode %s: %w", d.kind, err)
	}
	o := object{doc: d}
	var target any
	if d.kind == kindRule {
		o.rule = &v1.NodeGuardianRule{}
		target = o.rule
	} else {
		o.tmpl = &v1.AlertTemplate{}
		target = o.tmpl
	}
	if err := json.Unmarshal(raw, target); err != nil {
		return object{}, fmt.Errorf("cannot decode %s: %w", d.kind, err)
	}
	return o, nil
}

func (l *loader) add(o object) {
	l.objs = append(l.objs, o)
	if o.rule != nil {
		l.set.Rules = append(l.set.Rules, o.rule)
	} else {
		l.set.Templates = append(l.set.Templates, o.tmpl)
	}
	key := OriginKey(o.doc.kind, o.doc.name())
	if _, ok := l.set.Origins[key]; !ok {
		l.set.Origins[key] = Origin{File: o.doc.src.file, Line: o.doc.start().line}
	}
}

// finish runs the checks across the set and sorts the diagnostics.
func (l *loader) finish(templateRefs bool) (*Set, Diagnostics) {
	l.checkDuplicates()
	if templateRefs {
		l.checkTemplateRefs()
		l.checkTemplateMetrics()
	}
	if len(l.diags) == 0 {
		return l.set, nil
	}
	return l.set, sortDiagnostics(l.diags, l.rank)
}
