package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

// kind is the shape of a node of the format-neutral tree both renderers walk.
type kind int

const (
	kindString kind = iota
	kindNumber      // text holds the literal, printed as is
	kindBool        // text is "true" or "false"
	kindNull
	kindList
	kindObject // a Go struct: an HCL block, a YAML mapping
	kindMap    // a map with user keys: an HCL object expression, a YAML mapping
)

// node is one value of the tree. Objects and maps keep their fields in order: struct
// field order for objects, sorted keys for maps.
type node struct {
	kind   kind
	text   string
	items  []*node
	fields []field
}

// field is one named value of an object or map; name is the JSON name or the map key.
type field struct {
	name  string
	value *node
}

// object is the tree of one manifest: its name, its own labels and annotations, and
// its spec.
type object struct {
	kind        string
	name        string
	labels      *node
	annotations *node
	spec        *node
}

// objects converts rules then templates into trees.
func objects(rules []*v1.NodeGuardianRule, templates []*v1.AlertTemplate) ([]object, error) {
	out := make([]object, 0, len(rules)+len(templates))
	for i, r := range rules {
		if r == nil {
			return nil, fmt.Errorf("rule %d is nil", i)
		}
		o, err := newObject(v1.KindRule, &r.ObjectMeta, reflect.ValueOf(r.Spec))
		if err != nil {
			return nil, fmt.Errorf("rule %q: %w", r.Name, err)
		}
		out = append(out, o)
	}
	for i, t := range templates {
		if t == nil {
			return nil, fmt.Errorf("alert template %d is nil", i)
		}
		o, err := newObject(v1.KindAlertTemplate, &t.ObjectMeta, reflect.ValueOf(t.Spec))
		if err != nil {
			return nil, fmt.Errorf("alert template %q: %w", t.Name, err)
		}
		out = append(out, o)
	}
	return out, nil
}

// newObject builds the tree of one object from its metadata and its spec struct.
func newObject(kind string, meta *metav1.ObjectMeta, spec reflect.Value) (object, error) {
	s, err := fromStruct(spec)
	if err != nil {
		return object{}, fmt.Errorf("spec: %w", err)
	}
	return object{
		kind:        kind,
		name:        meta.Name,
		labels:      fromStringMap(meta.Labels),
		annotations: fromStringMap(meta.Annotations),
		spec:        s,
	}, nil
}

// fromStruct converts a struct by its JSON field names and order. Empty fields are
// left out: zero scalars and durations tagged omitempty or omitzero, nil pointers,
// empty lists and maps, and structs (not pointers to them) whose fields are all empty;
// but an empty, non-nil list tagged omitzero (and not omitempty) is written as [].
func fromStruct(v reflect.Value) (*node, error) {
	obj := &node{kind: kindObject}
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		if sf.Anonymous && name == "" {
			inner, err := fromStruct(v.Field(i))
			if err != nil {
				return nil, err
			}
			obj.fields = append(obj.fields, inner.fields...)
			continue
		}
		if name == "" {
			name = sf.Name
		}
		omitEmpty := strings.Contains(","+opts+",", ",omitempty,")
		omitZero := strings.Contains(","+opts+",", ",omitzero,")
		f := v.Field(i)
		if omitZero && !omitEmpty && f.Kind() == reflect.Slice && !f.IsNil() && f.Len() == 0 {
			// omitzero keeps an empty, non-nil list: [] means something else than absent
			// (evict.excludeNamespaces: [] excludes no namespace, absent the default ones).
			obj.fields = append(obj.fields, field{name: name, value: &node{kind: kindList}})
			continue
		}
		n, err := fromValue(f, omitEmpty || omitZero)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if n != nil {
			obj.fields = append(obj.fields, field{name: name, value: n})
		}
	}
	return obj, nil
}

// fromValue converts one value; it returns nil for a value to leave out.
func fromValue(v reflect.Value, omitEmpty bool) (*node, error) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil, nil
		}
		// A pointer that is set is written even when it points at a zero value.
		e := v.Elem()
		if n, ok, err := fromSpecial(e, false); ok {
			return n, err
		}
		if e.Kind() == reflect.Struct {
			return fromStruct(e)
		}
		return fromValue(e, false)
	}
	if n, ok, err := fromSpecial(v, omitEmpty); ok {
		return n, err
	}
	switch v.Kind() {
	case reflect.Struct:
		n, err := fromStruct(v)
		if err != nil || len(n.fields) == 0 {
			return nil, err
		}
		return n, nil
	case reflect.Slice, reflect.Array:
		return fromList(v)
	case reflect.Map:
		return fromMap(v)
	}
	if omitEmpty && v.IsZero() {
		return nil, nil
	}
	return fromScalar(v)
}

// fromSpecial converts the Kubernetes types that have their own JSON form.
func fromSpecial(v reflect.Value, omitEmpty bool) (*node, bool, error) {
	if !v.CanInterface() {
		return nil, false, nil
	}
	switch x := v.Interface().(type) {
	case metav1.Duration:
		if omitEmpty && x.Duration == 0 {
			return nil, true, nil
		}
		return &node{kind: kindString, text: shortDuration(x.Duration)}, true, nil
	case intstr.IntOrString:
		if x.Type == intstr.String {
			return &node{kind: kindString, text: x.StrVal}, true, nil
		}
		return &node{kind: kindNumber, text: strconv.FormatInt(int64(x.IntVal), 10)}, true, nil
	case apiextensionsv1.JSON:
		if len(bytes.TrimSpace(x.Raw)) == 0 {
			return nil, true, nil
		}
		n, err := fromJSON(x.Raw)
		return n, true, err
	}
	return nil, false, nil
}

// fromList converts a slice; an empty one is left out.
func fromList(v reflect.Value) (*node, error) {
	if v.Len() == 0 {
		return nil, nil
	}
	list := &node{kind: kindList}
	for i := range v.Len() {
		n, err := fromValue(v.Index(i), false)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		if n == nil {
			// An item must keep its place: an empty struct is an empty object.
			n = &node{kind: kindObject}
		}
		list.items = append(list.items, n)
	}
	return list, nil
}

// fromMap converts a map with string keys, sorted; an empty one is left out.
func fromMap(v reflect.Value) (*node, error) {
	if v.Len() == 0 {
		return nil, nil
	}
	if v.Type().Key().Kind() != reflect.String {
		return nil, fmt.Errorf("map key type %s is not a string", v.Type().Key())
	}
	keys := make([]string, 0, v.Len())
	for _, k := range v.MapKeys() {
		keys = append(keys, k.String())
	}
	slices.Sort(keys)
	m := &node{kind: kindMap}
	for _, k := range keys {
		n, err := fromValue(v.MapIndex(reflect.ValueOf(k).Convert(v.Type().Key())), false)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k, err)
		}
		if n == nil {
			n = &node{kind: kindNull}
		}
		m.fields = append(m.fields, field{name: k, value: n})
	}
	return m, nil
}

// fromStringMap converts labels or annotations; nil when there are none.
func fromStringMap(m map[string]string) *node {
	n, _ := fromMap(reflect.ValueOf(m)) // a map[string]string cannot fail
	return n
}

// fromScalar converts a string, boolean or number; numbers print exactly, in full.
func fromScalar(v reflect.Value) (*node, error) {
	switch v.Kind() {
	case reflect.String:
		return &node{kind: kindString, text: v.String()}, nil
	case reflect.Bool:
		return &node{kind: kindBool, text: strconv.FormatBool(v.Bool())}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &node{kind: kindNumber, text: strconv.FormatInt(v.Int(), 10)}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &node{kind: kindNumber, text: strconv.FormatUint(v.Uint(), 10)}, nil
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("number %v has no HCL or JSON form", f)
		}
		return &node{kind: kindNumber, text: strconv.FormatFloat(f, 'f', -1, v.Type().Bits())}, nil
	}
	return nil, fmt.Errorf("unsupported type %s", v.Type())
}

// fromJSON converts arbitrary JSON, keeping numbers exactly as written and sorting
// object keys so the output is canonical.
func fromJSON(raw []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid JSON: trailing data after the value")
	}
	return fromAny(x), nil
}

// fromAny converts a value decoded by encoding/json with UseNumber.
func fromAny(x any) *node {
	switch x := x.(type) {
	case nil:
		return &node{kind: kindNull}
	case bool:
		return &node{kind: kindBool, text: strconv.FormatBool(x)}
	case json.Number:
		return &node{kind: kindNumber, text: x.String()}
	case string:
		return &node{kind: kindString, text: x}
	case []any:
		list := &node{kind: kindList, items: make([]*node, 0, len(x))}
		for _, item := range x {
			list.items = append(list.items, fromAny(item))
		}
		return list
	case map[string]any:
		m := &node{kind: kindMap}
		for _, k := range slices.Sorted(maps.Keys(x)) {
			m.fields = append(m.fields, field{name: k, value: fromAny(x[k])})
		}
		return m
	}
	panic(fmt.Sprintf("render: unexpected JSON value %T", x)) // encoding/json yields only the cases above
}
