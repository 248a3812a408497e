package main

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// schema is the part of JSON Schema 2020-12 the reflector writes.
type schema struct {
	Schema               string             `json:"$schema,omitempty"`
	ID                   string             `json:"$id,omitempty"`
	Comment              string             `json:"$comment,omitempty"`
	Ref                  string             `json:"$ref,omitempty"`
	Title                string             `json:"title,omitempty"`
	Description          string             `json:"description,omitempty"`
	Type                 any                `json:"type,omitempty"` // a name, or a list of names
	Format               string             `json:"format,omitempty"`
	Const                any                `json:"const,omitempty"`
	Enum                 []string           `json:"enum,omitempty"`
	Minimum              json.Number        `json:"minimum,omitempty"`
	Maximum              json.Number        `json:"maximum,omitempty"`
	Items                *schema            `json:"items,omitempty"`
	Properties           map[string]*schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	AdditionalProperties any                `json:"additionalProperties,omitempty"` // false or a *schema
	AnyOf                []*schema          `json:"anyOf,omitempty"`
	Defs                 map[string]*schema `json:"$defs,omitempty"`
}

// reflector builds schemas of Go types as encoding/json writes them. Named structs, and
// named string types with constants, become $defs referred to by name.
type reflector struct {
	docs *sourceDocs
	defs map[string]*schema
}

// newReflector returns a reflector that takes descriptions and enums from docs.
func newReflector(docs *sourceDocs) *reflector {
	return &reflector{docs: docs, defs: map[string]*schema{}}
}

// schemaOf returns the schema of a value of type t.
func (r *reflector) schemaOf(t reflect.Type) (*schema, error) {
	if t == reflect.TypeFor[time.Time]() {
		return &schema{Type: "string", Format: "date-time"}, nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		return r.schemaOf(t.Elem())
	case reflect.Struct:
		return r.structRef(t)
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil, fmt.Errorf("type %s: byte slices are not supported", t)
		}
		items, err := r.schemaOf(t.Elem())
		if err != nil {
			return nil, err
		}
		return &schema{Type: "array", Items: items}, nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("type %s: map keys must be strings", t)
		}
		values, err := r.schemaOf(t.Elem())
		if err != nil {
			return nil, err
		}
		return &schema{Type: "object", AdditionalProperties: values}, nil
	case reflect.String:
		return r.stringSchema(t), nil
	case reflect.Bool:
		return &schema{Type: "boolean"}, nil
	case reflect.Float32, reflect.Float64:
		return &schema{Type: "number"}, nil
	}
	if s := intSchema(t); s != nil {
		return s, nil
	}
	return nil, fmt.Errorf("type %s: kind %s is not supported", t, t.Kind())
}

// intSchema returns the schema of an integer type (nil for other types); sized types
// get their bounds.
func intSchema(t reflect.Type) *schema {
	s := &schema{Type: "integer"}
	switch t.Kind() {
	case reflect.Int8, reflect.Int16, reflect.Int32:
		bits := t.Bits()
		s.Minimum = json.Number(strconv.FormatInt(-1<<(bits-1), 10))
		s.Maximum = json.Number(strconv.FormatInt(1<<(bits-1)-1, 10))
	case reflect.Uint8, reflect.Uint16, reflect.Uint32:
		s.Minimum = "0"
		s.Maximum = json.Number(strconv.FormatUint(math.MaxUint64>>(64-t.Bits()), 10))
	case reflect.Uint, reflect.Uint64, reflect.Uintptr:
		s.Minimum = "0"
	case reflect.Int, reflect.Int64:
	default:
		return nil
	}
	return s
}

// stringSchema returns the schema of a string type: a $def with an enum for a named
// type of the package that has constants, a plain string otherwise.
func (r *reflector) stringSchema(t reflect.Type) *schema {
	values := r.docs.enums[t.Name()]
	if t.PkgPath() == "" || len(values) == 0 {
		return &schema{Type: "string"}
	}
	if _, ok := r.defs[t.Name()]; !ok {
		r.defs[t.Name()] = &schema{Type: "string", Description: r.docs.types[t.Name()], Enum: values}
	}
	return &schema{Ref: "#/$defs/" + t.Name()}
}

// structRef returns a reference to the $def of a named struct, building it the first
// time; anonymous structs are inlined.
func (r *reflector) structRef(t reflect.Type) (*schema, error) {
	if t.Name() == "" {
		return r.structSchema(t)
	}
	if _, ok := r.defs[t.Name()]; !ok {
		r.defs[t.Name()] = &schema{} // a placeholder, for types that refer to themselves
		s, err := r.structSchema(t)
		if err != nil {
			return nil, err
		}
		r.defs[t.Name()] = s
	}
	return &schema{Ref: "#/$defs/" + t.Name()}, nil
}

// structSchema returns the schema of a struct: every field encoding/json writes is a
// property, required unless it is omitempty (or omitzero) or a pointer, and no other
// property is allowed. A pointer without omitempty may be null.
func (r *reflector) structSchema(t reflect.Type) (*schema, error) {
	s := &schema{
		Type:                 "object",
		Description:          r.docs.types[t.Name()],
		Properties:           map[string]*schema{},
		AdditionalProperties: false,
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, hasTag := f.Tag.Lookup("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && !hasTag {
			return nil, fmt.Errorf("type %s: embedded field %s is not supported", t, f.Name)
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		omit := false
		for _, o := range strings.Split(opts, ",") {
			switch o {
			case "omitempty", "omitzero":
				omit = true
			case "string":
				return nil, fmt.Errorf("type %s: field %s: json option %q is not supported", t, f.Name, o)
			}
		}
		p, err := r.schemaOf(f.Type)
		if err != nil {
			return nil, fmt.Errorf("type %s: field %s: %w", t, f.Name, err)
		}
		isPtr := f.Type.Kind() == reflect.Pointer
		if isPtr && !omit {
			p = &schema{AnyOf: []*schema{p, {Type: "null"}}}
		}
		p.Description = r.docs.fields[t.Name()][f.Name]
		s.Properties[name] = p
		if !omit && !isPtr {
			s.Required = append(s.Required, name)
		}
	}
	return s, nil
}
