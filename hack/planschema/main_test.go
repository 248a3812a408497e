package main

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSchemaIsUpToDate(t *testing.T) {
	got, err := generate("../../internal/plan")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../schemas/plan.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("schemas/plan.schema.json is out of date: run make generate")
	}
}

func TestDiffSchemaIsUpToDate(t *testing.T) {
	got, err := generateDiff([]string{"../../internal/plan", "../../internal/plandiff"})
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../schemas/diff.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("schemas/diff.schema.json is out of date: run make generate")
	}
}

// Test types for the reflector.
type (
	sample struct {
		Name     string            `json:"name"`
		Opt      string            `json:"opt,omitempty"`
		Zero     int64             `json:"zero,omitzero"`
		Ptr      *int16            `json:"ptr"`
		PtrOpt   *nested           `json:"ptrOpt,omitempty"`
		When     time.Time         `json:"when"`
		List     []nested          `json:"list"`
		Labels   map[string]uint8  `json:"labels,omitempty"`
		Ratio    float64           `json:"ratio"`
		On       bool              `json:"on"`
		NoTag    string            // encoded under its Go name
		Skipped  string            `json:"-"`
		Inline   struct{ A bool }  `json:"inline"`
		Mode     mode              `json:"mode"`
		Free     freeText          `json:"free"`
		Matrix   [][]uint          `json:"matrix"`
		ByName   map[string]sample `json:"byName,omitempty"` // refers to itself
		internal int
	}
	nested   struct{}
	mode     string
	freeText string
	bad1     struct{ C chan int }
	bad2     struct{ M map[int]string }
	bad3     struct{ B []byte }
	bad4     struct{ nested }
	bad5     struct {
		N int `json:"n,string"`
	}
)

// sampleDocs are the source docs the reflector tests use.
func sampleDocs() *sourceDocs {
	return &sourceDocs{
		types:  map[string]string{"sample": "A sample.", "mode": "A mode."},
		fields: map[string]map[string]string{"sample": {"Name": "The name."}},
		enums:  map[string][]string{"mode": {"fast", "slow"}},
	}
}

func TestReflect(t *testing.T) {
	_, _ = sample{}.internal, bad4{}.nested // the reflector skips or rejects these; staticcheck would call them unused
	r := newReflector(sampleDocs())
	ref, err := r.schemaOf(reflect.TypeFor[sample]())
	if err != nil {
		t.Fatal(err)
	}
	if ref.Ref != "#/$defs/sample" {
		t.Fatalf("ref %q", ref.Ref)
	}
	got := r.defs["sample"]
	if want := []string{"name", "when", "list", "ratio", "on", "NoTag", "inline", "mode", "free", "matrix"}; !reflect.DeepEqual(got.Required, want) {
		t.Errorf("required %v, want %v", got.Required, want)
	}
	tests := []struct{ property, want string }{
		{"name", `{"description":"The name.","type":"string"}`},
		{"opt", `{"type":"string"}`},
		{"zero", `{"type":"integer"}`},
		{"ptr", `{"anyOf":[{"type":"integer","minimum":-32768,"maximum":32767},{"type":"null"}]}`},
		{"ptrOpt", `{"$ref":"#/$defs/nested"}`},
		{"when", `{"type":"string","format":"date-time"}`},
		{"list", `{"type":"array","items":{"$ref":"#/$defs/nested"}}`},
		{"labels", `{"type":"object","additionalProperties":{"type":"integer","minimum":0,"maximum":255}}`},
		{"ratio", `{"type":"number"}`},
		{"on", `{"type":"boolean"}`},
		{"NoTag", `{"type":"string"}`},
		{"inline", `{"type":"object","properties":{"A":{"type":"boolean"}},"required":["A"],"additionalProperties":false}`},
		{"mode", `{"$ref":"#/$defs/mode"}`},
		{"free", `{"type":"string"}`},
		{"matrix", `{"type":"array","items":{"type":"array","items":{"type":"integer","minimum":0}}}`},
		{"byName", `{"type":"object","additionalProperties":{"$ref":"#/$defs/sample"}}`},
	}
	if len(got.Properties) != len(tests) {
		t.Errorf("%d properties, want %d", len(got.Properties), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.property, func(t *testing.T) {
			b, err := json.Marshal(got.Properties[tt.property])
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("got  %s\nwant %s", b, tt.want)
			}
		})
	}
	b, _ := json.Marshal(r.defs["mode"])
	if want := `{"description":"A mode.","type":"string","enum":["fast","slow"]}`; string(b) != want {
		t.Errorf("mode: got %s, want %s", b, want)
	}
}

func TestReflectErrors(t *testing.T) {
	tests := []struct {
		typ  reflect.Type
		want string
	}{
		{reflect.TypeFor[bad1](), "kind chan is not supported"},
		{reflect.TypeFor[bad2](), "map keys must be strings"},
		{reflect.TypeFor[bad3](), "byte slices are not supported"},
		{reflect.TypeFor[bad4](), "embedded field nested is not supported"},
		{reflect.TypeFor[bad5](), `json option "string" is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.typ.Name(), func(t *testing.T) {
			_, err := newReflector(sampleDocs()).schemaOf(tt.typ)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestReadSource(t *testing.T) {
	d, err := readSource("../../internal/plan")
	if err != nil {
		t.Fatal(err)
	}
	if got := d.enums["Op"]; !reflect.DeepEqual(got, []string{"add", "change", "remove"}) {
		t.Errorf("enum Op = %v", got)
	}
	if got := d.types["Plan"]; !strings.HasPrefix(got, "Plan is ") {
		t.Errorf("doc of Plan = %q", got)
	}
	if got := d.fields["Plan"]["ID"]; got != "SHA-256 of the plan's JSON form but the id, alert text included (see ID)" {
		t.Errorf("doc of Plan.ID = %q", got)
	}
	if _, err := readSource(t.TempDir()); err == nil {
		t.Errorf("readSource of an empty directory succeeded")
	}
}
