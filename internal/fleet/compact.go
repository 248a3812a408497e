package fleet

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
)

// compactObject returns the JSON form of a Kubernetes object (decoded with UseNumber)
// without the zero values Go's encoding adds but that carry no meaning: a value is left
// out when decoding the JSON without it gives the same object. Which values those are
// follows from the object's Go type (pruneAs), so nothing needs to be decoded again to
// check it: a null; an empty string, zero or false in a plain field; a struct whose
// fields are all left out. Kept: pointers to zero values, entries of maps and lists,
// empty maps and lists (nil and empty differ), values of types that decode themselves
// unless they decode to their zero value.
func compactObject(obj any) (any, error) {
	full, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	generic, err := decodeGeneric(full)
	if err != nil {
		return nil, err
	}
	pruneAs(generic, reflect.TypeOf(obj).Elem())
	return generic, nil
}

// decodeGeneric decodes JSON into maps, slices and json.Number values.
func decodeGeneric(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// pruneAs removes from g, the generic JSON form of a value of type t, what decodes to
// the same value when left out (see compactObject).
func pruneAs(g any, t reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return // decodes itself: kept whole
	}
	switch v := g.(type) {
	case []any:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for _, item := range v {
				pruneAs(item, t.Elem())
			}
		}
	case map[string]any:
		switch t.Kind() {
		case reflect.Map:
			for _, item := range v {
				pruneAs(item, t.Elem())
			}
		case reflect.Struct:
			for name, item := range v {
				ft, ok := jsonField(t, name)
				if !ok {
					continue
				}
				pruneAs(item, ft)
				if leaveOut(item, ft) {
					delete(v, name)
				}
			}
		}
	}
}

// leaveOut reports whether a struct field of type t whose JSON is g decodes, when g is
// left out, to the same value: the field's zero value.
func leaveOut(g any, t reflect.Type) bool {
	if g == nil {
		return true // null decodes to the zero value, or leaves it
	}
	if t.Kind() == reflect.Pointer {
		return false // a pointer to a zero value is not nil
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		if !isEmpty(g) {
			return false
		}
		b, err := json.Marshal(g)
		if err != nil {
			return false
		}
		v := reflect.New(t)
		return json.Unmarshal(b, v.Interface()) == nil && v.Elem().IsZero()
	}
	switch v := g.(type) {
	case string:
		return v == "" && t.Kind() == reflect.String
	case bool:
		return !v && t.Kind() == reflect.Bool
	case json.Number:
		f, err := v.Float64()
		return err == nil && f == 0 && t.Kind() >= reflect.Int && t.Kind() <= reflect.Float64
	case map[string]any:
		return len(v) == 0 && t.Kind() == reflect.Struct // all its fields left out
	}
	return false // lists and maps: empty is not nil
}

// jsonField is the type of the field of struct t that encoding/json names name,
// looking into embedded structs as encoding/json does.
func jsonField(t reflect.Type, name string) (reflect.Type, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		tagName, _, _ := strings.Cut(tag, ",")
		if tagName == "" && f.Anonymous {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if inner, ok := jsonField(ft, name); ok {
					return inner, true
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if tagName == "" {
			tagName = f.Name
		}
		if tagName == name {
			return f.Type, true
		}
	}
	return nil, false
}

// isEmpty reports whether a decoded JSON value is a zero value.
func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case bool:
		return !v
	case json.Number:
		f, err := v.Float64()
		return err == nil && f == 0
	case map[string]any:
		return len(v) == 0
	case []any:
		return len(v) == 0
	}
	return false
}
