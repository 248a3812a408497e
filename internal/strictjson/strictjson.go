// Package strictjson checks JSON for what encoding/json silently accepts: object keys
// that match a struct field only in another case, and keys given twice. The plan reader
// and the ownership ledger reader use it so that an edited document cannot say one thing
// to a person and another to the decoder.
package strictjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// MaxDepth bounds how deep CheckKeys follows nested values: plans and ledgers are fewer
// than ten levels deep.
const MaxDepth = 32

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// CheckKeys walks data, JSON of type t, token by token and refuses what encoding/json
// lets through: a key spelled in another case than the field's ("Id" for "id"), which
// the decoder matches case-insensitively, a key that is no field of the struct at all,
// and a key given twice in one object (a struct's or a map's), of which the decoder keeps
// the last. Values of types with their own UnmarshalJSON (time.Time) are not looked
// into. The error names the line, the path (top for the top level: "the plan") and the
// key. Syntax errors are the decoder's.
func CheckKeys(data []byte, t reflect.Type, top string) error {
	return Check(data, t, top, nil)
}

// Enums are the values a string may take, by its named type ("plan.Op", reflect.Type's
// String) or by a struct field ("plan.Change.effect": the struct type and the field's
// JSON name), which takes precedence.
type Enums map[string][]string

// Check is CheckKeys that also refuses a string that is not one of its enum's values,
// naming the line, the path and the values allowed.
func Check(data []byte, t reflect.Type, top string, enums Enums) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	w := walker{dec: dec, data: data, top: top, enums: enums}
	return w.value(t, "", 0, w.enumOf(t))
}

// walker walks one document.
type walker struct {
	dec   *json.Decoder
	data  []byte
	top   string
	enums Enums
}

// enumOf is the enum of a value of type t (nil: none).
func (w *walker) enumOf(t reflect.Type) []string {
	if t == nil || w.enums == nil {
		return nil
	}
	return w.enums[t.String()]
}

// value reads one value of type t (nil: any) at path and checks its objects' keys, and
// a string against enum (nil: any string).
func (w *walker) value(t reflect.Type, path string, depth int, enum []string) error {
	if depth > MaxDepth {
		return fmt.Errorf("%s: nested deeper than %d levels", w.orTop(path), MaxDepth)
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && reflect.PointerTo(t).Implements(unmarshalerType) {
		var skip json.RawMessage // its own decoder's business (json.RawMessage: read later)
		return w.dec.Decode(&skip)
	}
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; w.dec.More(); i++ {
			if err := w.value(elem, fmt.Sprintf("%s[%d]", path, i), depth+1, w.enumOf(elem)); err != nil {
				return err
			}
		}
	case json.Delim('{'):
		if err := w.object(t, path, depth); err != nil {
			return err
		}
	default: // a scalar
		if v, ok := tok.(string); ok && enum != nil && !slices.Contains(enum, v) {
			return fmt.Errorf("line %d: %s: unknown value %q (%s)", lineAt(w.data, w.dec.InputOffset()), w.orTop(path), v, oneOf(enum))
		}
		return nil
	}
	_, err = w.dec.Token() // the closing ] or }
	return err
}

// object reads the keys and values of an object of type t, whose { was read.
func (w *walker) object(t reflect.Type, path string, depth int) error {
	fields, elem := objectShape(t)
	seen := map[string]bool{}
	for w.dec.More() {
		tok, err := w.dec.Token()
		if err != nil {
			return err
		}
		at := w.dec.InputOffset() // just after the key
		key, _ := tok.(string)
		ft, enum := elem, w.enumOf(elem)
		if fields != nil {
			known, ok := fields[key]
			if !ok {
				return fmt.Errorf("line %d: %s: unknown field %q%s", lineAt(w.data, at), w.orTop(path), key, caseHint(fields, key))
			}
			ft, enum = known, w.enumOf(known)
			if e, ok := w.enums[t.String()+"."+key]; ok {
				enum = e
			}
		}
		if seen[key] {
			return fmt.Errorf("line %d: %s: field %q appears twice", lineAt(w.data, at), w.orTop(path), key)
		}
		seen[key] = true
		if err := w.value(ft, joinKey(path, key), depth+1, enum); err != nil {
			return err
		}
	}
	return w.missingEnum(t, path, seen)
}

// missingEnum refuses a struct without one of its fields that has an enum and is not
// omitempty: the decoder would leave it "", which is none of the enum's values.
func (w *walker) missingEnum(t reflect.Type, path string, seen map[string]bool) error {
	if t == nil || t.Kind() != reflect.Struct || w.enums == nil {
		return nil
	}
	for f := range t.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || seen[name] || strings.Contains(opts, "omit") {
			continue
		}
		enum, ok := w.enums[t.String()+"."+name]
		if !ok {
			enum = w.enumOf(f.Type)
		}
		if enum != nil {
			return fmt.Errorf("line %d: %s: no field %q (%s)", lineAt(w.data, w.dec.InputOffset()), w.orTop(path), name, oneOf(enum))
		}
	}
	return nil
}

// objectShape is what an object of type t may hold: a struct's fields by their JSON
// names (case-sensitive), or for a map (or an unknown type) any key with values of elem.
func objectShape(t reflect.Type) (fields map[string]reflect.Type, elem reflect.Type) {
	if t == nil {
		return nil, nil
	}
	switch t.Kind() {
	case reflect.Map:
		return nil, t.Elem()
	case reflect.Struct:
		fields = make(map[string]reflect.Type, t.NumField())
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fields[name] = f.Type
		}
		return fields, nil
	}
	return nil, nil
}

// caseHint suggests the field a key differs from only in case.
func caseHint(fields map[string]reflect.Type, key string) string {
	for name := range fields {
		if strings.EqualFold(name, key) {
			return fmt.Sprintf(" (field names are case-sensitive: %q)", name)
		}
	}
	return ""
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (w *walker) orTop(path string) string {
	if path == "" {
		return w.top
	}
	return path
}

// lineAt is the 1-based line of data at byte offset off.
func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// oneOf lists an enum's values for a message, or counts them when they are many.
func oneOf(enum []string) string {
	if len(enum) > 8 {
		return fmt.Sprintf("not one of the %d values it may take", len(enum))
	}
	return "one of " + strings.Join(enum, ", ")
}
