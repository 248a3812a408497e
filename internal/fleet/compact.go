package fleet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// compactObject returns the JSON form of a Kubernetes object (decoded with UseNumber)
// without the zero values Go's encoding adds but that carry no meaning: nulls, "", 0,
// false, {} and [] whose removal decodes to the same object. The result always decodes
// to the same object as the full JSON.
func compactObject(obj any) (any, error) {
	full, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	typ := reflect.TypeOf(obj).Elem()
	ref, err := decodeAs(typ, full)
	if err != nil {
		return nil, err
	}
	same := func(v any) bool {
		b, err := json.Marshal(v)
		if err != nil {
			return false
		}
		got, err := decodeAs(typ, b)
		return err == nil && reflect.DeepEqual(ref, got)
	}
	aggressive, err := decodeGeneric(full)
	if err != nil {
		return nil, err
	}
	pruneEmpty(aggressive, nil)
	if same(aggressive) {
		return aggressive, nil
	}
	careful, err := decodeGeneric(full)
	if err != nil {
		return nil, err
	}
	pruneEmpty(careful, func() bool { return same(careful) })
	return careful, nil
}

// decodeAs decodes JSON into a new value of type typ.
func decodeAs(typ reflect.Type, data []byte) (any, error) {
	v := reflect.New(typ).Interface()
	if err := json.Unmarshal(data, v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", typ, err)
	}
	return v, nil
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

// pruneEmpty removes empty values from maps, depth first; with keep != nil a removal is
// undone unless keep still reports true after it.
func pruneEmpty(v any, keep func() bool) {
	switch v := v.(type) {
	case []any:
		for _, item := range v {
			pruneEmpty(item, keep)
		}
	case map[string]any:
		for _, k := range sortedKeys(v) {
			child := v[k]
			pruneEmpty(child, keep)
			if !isEmpty(child) {
				continue
			}
			delete(v, k)
			if keep != nil && !keep() {
				v[k] = child
			}
		}
	}
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
