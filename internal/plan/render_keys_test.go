package plan

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// ReadJSON is as strict as schemas/plan.schema.json: a field name in another case, which
// encoding/json would match, and a field given twice, of which it would keep the last,
// are refused at every level, with the line and the field named. The schema refuses the
// case variants too (additionalProperties: false); it cannot express duplicate keys.
func TestReadJSONIsAsStrictAsTheSchema(t *testing.T) {
	s := compilePlanSchema(t)
	var b bytes.Buffer
	if err := RenderJSON(&b, renderTypical()); err != nil {
		t.Fatal(err)
	}
	valid := b.String()
	if _, err := ReadJSON(strings.NewReader(valid)); err != nil {
		t.Fatalf("the plan before the edit: %v", err)
	}
	tests := []struct {
		name, from, to string
		schemaRejects  bool
		want           string
	}{
		{"Id", `"id": "9b2e61c04d7a"`, `"Id": "9b2e61c04d7a"`, true,
			`read plan: line 3: the plan: unknown field "Id" (field names are case-sensitive: "id")`},
		{"id twice", `"id": "9b2e61c04d7a",`, `"id": "9b2e61c04d7a", "id": "0000",`, false,
			`read plan: line 3: the plan: field "id" appears twice`},
		{"Id after id", `"id": "9b2e61c04d7a",`, `"id": "9b2e61c04d7a", "Id": "0000",`, true, `unknown field "Id"`},
		{"nested case variant", `"key": "nodeguardian.k8s.io/high-load",`, `"Key": "nodeguardian.k8s.io/high-load",`, true,
			`read plan: line 30: nodes[0].changes[0]: unknown field "Key" (field names are case-sensitive: "key")`},
		{"alert subject in another case", `"subject": "High load on worker-3"`, `"SUBJECT": "High load on worker-3"`, true,
			`nodes[0].changes[5].alert: unknown field "SUBJECT"`},
		{"nested key twice", `"effect": "NoSchedule",`, `"effect": "NoSchedule", "effect": "NoExecute",`, false,
			`read plan: line 32: nodes[0].changes[0]: field "effect" appears twice`},
		{"inputs key twice", `"source": "snapshot"`,
			`"source": "snapshot", "rulesHash": "x"`, false, `inputs: field "rulesHash" appears twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(valid, tt.from) {
				t.Fatalf("the plan's JSON has no %q", tt.from)
			}
			bad := strings.Replace(valid, tt.from, tt.to, 1)
			if _, err := ReadJSON(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadJSON = %v, want an error containing %q", err, tt.want)
			}
			if err := validatePlanJSON(s, []byte(bad)); tt.schemaRejects && err == nil {
				t.Errorf("the schema accepts the plan with %s", tt.name)
			}
		})
	}
}

// TestPlanEnumsAreTheSchemas: the enums ReadJSON checks are those of
// schemas/plan.schema.json (generated from the constants), so a new constant cannot be
// written by one and refused by the other.
func TestPlanEnumsAreTheSchemas(t *testing.T) {
	data, err := os.ReadFile(planSchemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Defs map[string]struct {
			Enum []string `json:"enum"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for name, typ := range map[string]reflect.Type{"Op": reflect.TypeFor[Op](), "Kind": reflect.TypeFor[Kind](), "ReasonCode": reflect.TypeFor[ReasonCode]()} {
		want := doc.Defs[name].Enum
		if got := planEnums[typ.String()]; len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("%s: ReadJSON checks %v, the schema says %v", name, got, want)
		}
	}
}
