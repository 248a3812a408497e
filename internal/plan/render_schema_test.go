package plan

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// planSchemaPath is schemas/plan.schema.json, from this package's directory.
const planSchemaPath = "../../schemas/plan.schema.json"

// planSchemaID is the $id of schemas/plan.schema.json.
const planSchemaID = "https://nodeguardian.k8s.io/schemas/plan.schema.json"

// compilePlanSchema compiles schemas/plan.schema.json, with formats asserted.
func compilePlanSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(planSchemaPath)
	if err != nil {
		t.Fatalf("%v (generate it with: make generate)", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", planSchemaPath, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(planSchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(planSchemaID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// validatePlanJSON validates JSON text against the plan schema.
func validatePlanJSON(s *jsonschema.Schema, data []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

func TestRenderJSONMatchesSchema(t *testing.T) {
	s := compilePlanSchema(t)
	cases := append(renderCases(),
		renderCase{"nil lists", nilListsPlan()},
		renderCase{"zero", &Plan{FormatVersion: FormatVersion}})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := RenderJSON(&b, tc.plan); err != nil {
				t.Fatal(err)
			}
			if err := validatePlanJSON(s, b.Bytes()); err != nil {
				t.Errorf("RenderJSON output does not match %s: %v\n%s", planSchemaPath, err, b.String())
			}
		})
	}
}

func TestRenderSchemaRejects(t *testing.T) {
	s := compilePlanSchema(t)
	tests := []struct {
		name     string
		plan     func() *Plan
		from, to string
	}{
		{"unknown field", renderTypical, `"id": "9b2e61c04d7a",`, `"id": "9b2e61c04d7a", "colour": "red",`},
		{"unknown nested field", renderTypical, `"node": "worker-5",`, `"node": "worker-5", "why": 1,`},
		{"missing required field", renderTypical, `"id": "9b2e61c04d7a",`, ``},
		{"formatVersion 1", renderTypical, `"formatVersion": "3"`, `"formatVersion": "1"`},
		{"unknown code", renderTypical, `"code": "Drift"`, `"code": "Whim"`},
		{"empty code", renderTypical, `"code": "RuleBudget"`, `"code": ""`},
		{"bad until", renderDryRunOnly, `"until": "2026-05-04T10:07:00Z"`, `"until": "soon"`},
		{"bad nextEvaluation", renderTypical, `"nextEvaluation": "2026-05-04T10:01:00Z"`, `"nextEvaluation": 60`},
		{"unknown op", renderTypical, `"op": "add"`, `"op": "replace"`},
		{"unknown kind", renderTypical, `"kind": "cordon"`, `"kind": "future"`},
		{"bad time", renderTypical, `"createdAt": "2026-05-04T10:00:00Z"`, `"createdAt": "yesterday"`},
		{"priority out of int32", renderTypical, `"priority": 1000`, `"priority": 3000000000`},
		{"null list", renderNoChanges, `"deferred": []`, `"deferred": null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := RenderJSON(&b, tt.plan()); err != nil {
				t.Fatal(err)
			}
			valid := b.String()
			if !strings.Contains(valid, tt.from) {
				t.Fatalf("the plan's JSON has no %q", tt.from)
			}
			if err := validatePlanJSON(s, []byte(valid)); err != nil {
				t.Fatalf("the plan does not match the schema before the edit: %v", err)
			}
			bad := strings.Replace(valid, tt.from, tt.to, 1)
			if err := validatePlanJSON(s, []byte(bad)); err == nil {
				t.Errorf("the schema accepts the plan with %s", tt.name)
			}
		})
	}
}

// The plan's JSON form has one compatibility rule, the same in the schema, in ReadJSON
// and in the docs: it is closed, and any change to it is a new formatVersion.
func TestPlanFormatIsClosed(t *testing.T) {
	data, err := os.ReadFile(planSchemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Description string `json:"description"`
		Defs        map[string]struct {
			Type                 string `json:"type"`
			Properties           map[string]any
			AdditionalProperties any `json:"additionalProperties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(doc.Description, "unknown fields are refused") || !strings.Contains(doc.Description, "new formatVersion") ||
		!strings.Contains(doc.Description, "a field given\ntwice") {
		t.Errorf("the schema does not state the compatibility rule: %q", doc.Description)
	}
	for name, d := range doc.Defs {
		if d.Type == "object" && d.Properties != nil && d.AdditionalProperties != false {
			t.Errorf("$defs/%s admits unknown properties", name)
		}
	}
	var b bytes.Buffer
	if err := RenderJSON(&b, &Plan{FormatVersion: FormatVersion}); err != nil {
		t.Fatal(err)
	}
	withField := strings.Replace(b.String(), `"formatVersion": "3",`, `"formatVersion": "3", "addedLater": true,`, 1)
	if _, err := ReadJSON(strings.NewReader(withField)); err == nil || !strings.Contains(err.Error(), `unknown field "addedLater"`) {
		t.Errorf("a plan with a field this version does not know was read: %v", err)
	}
	docs, err := os.ReadFile("../../docs/semantics.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(docs), "unknown fields are refused") || !strings.Contains(string(docs), "a field given twice in one object") {
		t.Error("docs/semantics.md does not state the plan format's compatibility rule")
	}
}
