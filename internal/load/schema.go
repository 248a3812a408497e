package load

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/schemas"
)

// Kind names of the objects this package loads.
const (
	kindRule     = "NodeGuardianRule"
	kindTemplate = "AlertTemplate"
)

// validator checks documents against the embedded JSON Schema. It is built once per
// call of YAML, HCL or Paths.
type validator struct {
	byKind  map[string]*jsonschema.Schema
	raw     any // the schema document, to look up the fields an object may have
	printer *message.Printer
}

func newValidator() (*validator, error) {
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemas.JSONSchema))
	if err != nil {
		return nil, fmt.Errorf("read the embedded JSON Schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.RegisterFormat(&jsonschema.Format{Name: "int32", Validate: intFormat(32)})
	c.RegisterFormat(&jsonschema.Format{Name: "int64", Validate: intFormat(64)})
	if err := c.AddResource(schemas.SchemaURL, raw); err != nil {
		return nil, fmt.Errorf("add the embedded JSON Schema: %w", err)
	}
	v := &validator{byKind: map[string]*jsonschema.Schema{}, raw: raw, printer: message.NewPrinter(language.English)}
	for _, k := range []string{kindRule, kindTemplate} {
		s, err := c.Compile(schemas.SchemaURL + "#/$defs/" + k)
		if err != nil {
			return nil, fmt.Errorf("compile the JSON Schema of %s: %w", k, err)
		}
		v.byKind[k] = s
	}
	return v, nil
}

// intFormat checks that a number fits in a signed integer of the given size.
func intFormat(bits int) func(any) error {
	limit := math.Ldexp(1, bits-1)
	return func(v any) error {
		f, ok := v.(float64)
		if ok && (f < -limit || f >= limit) {
			return fmt.Errorf("must fit in a %d-bit integer", bits)
		}
		return nil
	}
}

// validate returns one diagnostic per violated constraint of the document.
func (v *validator) validate(d *document) Diagnostics {
	sch := v.byKind[d.kind]
	if sch == nil {
		return Diagnostics{d.diag(Error, "", false, "", fmt.Sprintf("no schema for kind %q", d.kind))}
	}
	err := sch.Validate(any(d.root))
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return Diagnostics{d.diag(Error, "", false, "", err.Error())}
	}
	var out Diagnostics
	for _, leaf := range leaves(ve, nil) {
		if d.isBroken(ptrFromTokens(leaf.InstanceLocation)) {
			continue
		}
		out = append(out, v.phrase(d, leaf)...)
	}
	return out
}

// leaves collects the errors of the tree that have no causes: the actual violations.
func leaves(e *jsonschema.ValidationError, out []*jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return append(out, e)
	}
	for _, c := range e.Causes {
		out = leaves(c, out)
	}
	return out
}

// phrase turns one violation into diagnostics for people.
func (v *validator) phrase(d *document, e *jsonschema.ValidationError) Diagnostics {
	ptr := ptrFromTokens(e.InstanceLocation)
	var out Diagnostics
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		known := v.properties(e.SchemaURL)
		for _, p := range k.Properties {
			child := ptrJoin(ptr, p)
			if !d.isBroken(child) {
				out = append(out, d.diag(Error, child, true, ptr, unknownField(d, child, p, known)))
			}
		}
	case *kind.Required:
		for _, m := range k.Missing {
			if !d.isBroken(ptrJoin(ptr, m)) {
				out = append(out, d.diag(Error, ptr, true, ptr, missingField(d, m)))
			}
		}
	default:
		out = append(out, d.diag(Error, ptr, false, ptr, v.message(d, e, ptr)))
	}
	return out
}

// properties lists the fields the schema at schemaURL allows, for suggestions.
func (v *validator) properties(schemaURL string) []string {
	_, frag, _ := strings.Cut(schemaURL, "#")
	if u, err := url.PathUnescape(frag); err == nil {
		frag = u
	}
	cur := v.raw
	for _, t := range ptrTokens(frag) {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[t]
	}
	m, _ := cur.(map[string]any)
	props, _ := m["properties"].(map[string]any)
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func unknownField(d *document, ptr, field string, known []string) string {
	msg := fmt.Sprintf("unknown field %q", d.sourceName(ptr))
	if s := suggest(field, known); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", d.spell(s))
	}
	return msg
}

func missingField(d *document, field string) string {
	if d.src.hcl && isBlockField(field) {
		return fmt.Sprintf("missing required block %q", d.spell(field))
	}
	return fmt.Sprintf("missing required field %q", d.spell(field))
}

// Patterns of the schema that get their own message.
const (
	durationPattern = `^(([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)?$`
	metricPattern   = `^[a-zA-Z_][a-zA-Z0-9_]*$`
)

// message phrases the violations that concern one value.
func (v *validator) message(d *document, e *jsonschema.ValidationError, ptr string) string {
	switch k := e.ErrorKind.(type) {
	case *kind.Type:
		return typeMessage(k, d.valueAt(ptr))
	case *kind.Enum:
		return enumMessage(k)
	case *kind.Const:
		return fmt.Sprintf("must be %s (got %s)", jsonText(k.Want), jsonText(k.Got))
	case *kind.Pattern:
		return patternMessage(k)
	case *kind.MinLength:
		if k.Want == 1 {
			return "must not be empty"
		}
		return fmt.Sprintf("must be at least %d characters long (got %d)", k.Want, k.Got)
	case *kind.MaxLength:
		return fmt.Sprintf("must be at most %d characters long (got %d)", k.Want, k.Got)
	case *kind.MinItems:
		return minItemsMessage(d, ptr, k.Want, k.Got)
	case *kind.MaxItems:
		return fmt.Sprintf("must have at most %d items (got %d)", k.Want, k.Got)
	case *kind.MinProperties:
		if k.Want == 1 {
			return "must not be empty"
		}
		return fmt.Sprintf("must have at least %d entries (got %d)", k.Want, k.Got)
	case *kind.MaxProperties:
		return fmt.Sprintf("must have at most %d entries (got %d)", k.Want, k.Got)
	case *kind.Minimum:
		return fmt.Sprintf("must be at least %s (got %s)", k.Want.RatString(), k.Got.RatString())
	case *kind.Maximum:
		return fmt.Sprintf("must be at most %s (got %s)", k.Want.RatString(), k.Got.RatString())
	case *kind.Format:
		return fmt.Sprintf("%v (got %s)", k.Err, jsonText(k.Got))
	}
	return e.ErrorKind.LocalizedString(v.printer)
}

func minItemsMessage(d *document, ptr string, want, got int) string {
	toks := ptrTokens(ptr)
	if d.src.hcl && want == 1 && len(toks) > 0 && isBlockField(toks[len(toks)-1]) {
		return fmt.Sprintf("needs at least one %q block", d.spell(toks[len(toks)-1]))
	}
	if want == 1 {
		return "must have at least one item"
	}
	return fmt.Sprintf("must have at least %d items (got %d)", want, got)
}

func patternMessage(k *kind.Pattern) string {
	switch k.Want {
	case durationPattern:
		return fmt.Sprintf(`must be a duration such as "30s", "5m" or "1h30m" (got %q)`, k.Got)
	case metricPattern:
		return fmt.Sprintf(`must be a name made of letters, digits and "_", not starting with a digit (got %q)`, k.Got)
	}
	return fmt.Sprintf("must match %s (got %q)", k.Want, k.Got)
}

// knownKinds are the kinds this package loads.
func knownKind(k string) bool { return k == kindRule || k == kindTemplate }

// apiVersion is the apiVersion of every object this package loads.
func apiVersion() string { return v1.GroupVersion.String() }
