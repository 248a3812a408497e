package fleet

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// compactVerified is how snapshots were compacted before compactObject followed the
// Go types: prune every empty value, verify by decoding that the object is the same,
// and when it is not, prune one value at a time, verifying each. It is the oracle
// compactObject is tested against.
func compactVerified(obj any) (any, error) {
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
