package plandiff

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/nodeguardian/nodeguardian/internal/load"
	"github.com/nodeguardian/nodeguardian/internal/redact"
)

// Object kinds.
const (
	KindRule     = "NodeGuardianRule"
	KindTemplate = "AlertTemplate"
)

// Object is a rule or alert template of one version, as compared.
type Object struct {
	Kind string
	Name string
	// File is where it is written, "path:line" relative to the repository.
	File string
	// Value is the object as compared: its defaulted spec and its labels and
	// annotations, as JSON.
	Value json.RawMessage
}

// ObjectsOf returns the objects of a loaded set, rules defaulted. file maps the set's
// origin files to repository-relative paths (nil keeps them as they are).
func ObjectsOf(set *load.Set, file func(string) string) ([]Object, error) {
	var out []Object
	origin := func(kind, name string) string {
		o, ok := set.Origins[load.OriginKey(kind, name)]
		if !ok {
			return ""
		}
		f := o.File
		if file != nil {
			f = file(f)
		}
		return f + ":" + strconv.Itoa(o.Line)
	}
	for _, r := range set.Rules {
		c := r.DeepCopy()
		c.Default()
		v, err := objectValue(c.Labels, c.Annotations, c.Spec)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.Name, err)
		}
		out = append(out, Object{Kind: KindRule, Name: r.Name, File: origin(KindRule, r.Name), Value: v})
	}
	for _, t := range set.Templates {
		v, err := objectValue(t.Labels, t.Annotations, t.Spec)
		if err != nil {
			return nil, fmt.Errorf("alert template %s: %w", t.Name, err)
		}
		out = append(out, Object{Kind: KindTemplate, Name: t.Name, File: origin(KindTemplate, t.Name), Value: v})
	}
	return out, nil
}

// objectValue is the JSON that is compared: metadata labels and annotations, and spec.
func objectValue(labels, annotations map[string]string, spec any) (json.RawMessage, error) {
	type meta struct {
		Labels      map[string]string `json:"labels,omitempty"`
		Annotations map[string]string `json:"annotations,omitempty"`
	}
	v := struct {
		Metadata *meta `json:"metadata,omitempty"`
		Spec     any   `json:"spec"`
	}{Spec: spec}
	if len(labels)+len(annotations) > 0 {
		v.Metadata = &meta{Labels: labels, Annotations: annotations}
	}
	return json.Marshal(v)
}

// CompareObjects lists the objects added, removed, changed or moved between two
// versions, matched by kind and name (not by file), sorted by kind and name.
func CompareObjects(base, head []Object) []ObjectChange {
	key := func(o Object) string { return o.Kind + "/" + o.Name }
	bm := map[string]Object{}
	for _, o := range base {
		bm[key(o)] = o
	}
	out := []ObjectChange{}
	seen := map[string]bool{}
	for _, h := range head {
		seen[key(h)] = true
		b, ok := bm[key(h)]
		if !ok {
			out = append(out, ObjectChange{Type: RuleAdded, Kind: h.Kind, Name: h.Name, HeadFile: h.File, Fields: []FieldChange{}})
			continue
		}
		fields := CompareValues(b.Value, h.Value)
		c := ObjectChange{Kind: h.Kind, Name: h.Name, BaseFile: b.File, HeadFile: h.File, Fields: fields}
		switch {
		case len(fields) > 0:
			c.Type = RuleChanged
		case fileOnly(b.File) != fileOnly(h.File):
			c.Type = RuleMoved
		default:
			continue
		}
		out = append(out, c)
	}
	for _, b := range base {
		if !seen[key(b)] {
			out = append(out, ObjectChange{Type: RuleRemoved, Kind: b.Kind, Name: b.Name, BaseFile: b.File, Fields: []FieldChange{}})
		}
	}
	slices.SortFunc(out, func(x, y ObjectChange) int {
		return cmp.Or(cmp.Compare(y.Kind, x.Kind), cmp.Compare(x.Name, y.Name)) // rules before templates
	})
	return out
}

// fileOnly is the file of a "path:line" origin.
func fileOnly(origin string) string {
	if i := strings.LastIndexByte(origin, ':'); i >= 0 {
		return origin[:i]
	}
	return origin
}

// CompareValues lists the fields in which two JSON documents differ, as paths in
// document order: "spec.conditions[0].value". A list element that only one side has is
// one field, as is a value whose type changes.
func CompareValues(base, head json.RawMessage) []FieldChange {
	var b, h any
	_ = decodeJSON(base, &b)
	_ = decodeJSON(head, &h)
	out := []FieldChange{}
	compareValue("", b, h, &out)
	return out
}

func decodeJSON(data json.RawMessage, v *any) error {
	if len(data) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

func compareValue(path string, b, h any, out *[]FieldChange) {
	switch bv := b.(type) {
	case map[string]any:
		if hv, ok := h.(map[string]any); ok {
			compareMaps(path, bv, hv, out)
			return
		}
	case []any:
		if hv, ok := h.([]any); ok {
			for i := range max(len(bv), len(hv)) {
				var x, y any
				if i < len(bv) {
					x = bv[i]
				}
				if i < len(hv) {
					y = hv[i]
				}
				compareValue(fmt.Sprintf("%s[%d]", path, i), x, y, out)
			}
			return
		}
	}
	bs, hs := jsonText(b), jsonText(h)
	if bs != hs {
		// A value may hold a credential (a prometheusURL with a password, a URL in an
		// annotation): the diff is posted on pull requests, so URLs are shown masked.
		*out = append(*out, FieldChange{Path: path, Base: redact.Text(bs), Head: redact.Text(hs)})
	}
}

func compareMaps(path string, b, h map[string]any, out *[]FieldChange) {
	keys := make([]string, 0, len(b)+len(h))
	for k := range b {
		keys = append(keys, k)
	}
	for k := range h {
		if _, ok := b[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		compareValue(fieldPath(path, k), b[k], h[k], out)
	}
}

// plainKey matches keys that are written after a dot in a path.
var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// fieldPath appends a key to a path: "spec.conditions", `labels["a/b"]`.
func fieldPath(path, key string) string {
	if !plainKey.MatchString(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// jsonText is a value as compact JSON, "" for none.
func jsonText(v any) string {
	if v == nil {
		return ""
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
