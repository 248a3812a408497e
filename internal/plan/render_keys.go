package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// maxKeyDepth bounds how deep checkKeys follows nested values. A plan is at most six
// levels deep (plan, nodes, a node, changes, a change, its alert or pods); ReadJSON runs
// checkKeys only on input that decoded as a Plan, so the limit is a second guard.
const maxKeyDepth = 32

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// checkKeys walks data, a plan that decoded, token by token and refuses what
// encoding/json lets through but the plan's JSON form (schemas/plan.schema.json) does
// not: a key spelled in another case than the field's ("Id" for "id"), which the decoder
// matches case-insensitively, and a key given twice in one object, of which the decoder
// keeps the last. The error names the line and the key.
func checkKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	return walkKeys(dec, data, reflect.TypeFor[Plan](), "", 0)
}

// walkKeys reads one value of type t (nil: any) at path and checks its objects' keys.
func walkKeys(dec *json.Decoder, data []byte, t reflect.Type, path string, depth int) error {
	if depth > maxKeyDepth {
		return fmt.Errorf("%s: nested deeper than %d levels", orTop(path), maxKeyDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch tok {
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := walkKeys(dec, data, elem, fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
				return err
			}
		}
	case json.Delim('{'):
		if err := walkObject(dec, data, t, path, depth); err != nil {
			return err
		}
	default:
		return nil // a scalar
	}
	_, err = dec.Token() // the closing ] or }
	return err
}

// walkObject reads the keys and values of an object of type t, whose { was read.
func walkObject(dec *json.Decoder, data []byte, t reflect.Type, path string, depth int) error {
	fields, elem := objectShape(t)
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		at := dec.InputOffset() // just after the key
		key, _ := tok.(string)
		ft := elem
		if fields != nil {
			known, ok := fields[key]
			if !ok {
				return fmt.Errorf("line %d: %s: unknown field %q%s", lineAt(data, at), orTop(path), key, caseHint(fields, key))
			}
			ft = known
		}
		if seen[key] {
			return fmt.Errorf("line %d: %s: field %q appears twice", lineAt(data, at), orTop(path), key)
		}
		seen[key] = true
		if err := walkKeys(dec, data, ft, joinKey(path, key), depth+1); err != nil {
			return err
		}
	}
	return nil
}

// objectShape is what an object of type t may hold: a struct's fields by their JSON
// names (case-sensitive), or for a map (or an unknown type) any key with values of elem.
func objectShape(t reflect.Type) (fields map[string]reflect.Type, elem reflect.Type) {
	if t == nil || reflect.PointerTo(t).Implements(unmarshalerType) {
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

func orTop(path string) string {
	if path == "" {
		return "the plan"
	}
	return path
}

// lineAt is the 1-based line of data at byte offset off.
func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte("\n")) + 1
}
