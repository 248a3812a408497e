package plandiff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/nodeguardian/nodeguardian/internal/engine"
	"github.com/nodeguardian/nodeguardian/internal/fleet"
	"github.com/nodeguardian/nodeguardian/internal/load"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// demoPlans plans the example rules on the demo fleet, and the same rules with
// emergency-eviction's threshold lowered from 95 to 92.
func demoPlans(t *testing.T) (base, head Input) {
	t.Helper()
	set, diags := load.Paths([]string{"../../examples/rules/yaml"}, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	snap, err := fleet.Load("../../examples/fleet/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := engine.FromSnapshot(snap)
	if err != nil {
		t.Fatal(err)
	}
	opts := engine.Options{Now: snap.Time.Time, Interval: snap.Interval.Duration, Source: "snapshot demo.yaml"}
	side := func(ref string, s *load.Set) Input {
		p, err := engine.Plan(s.Rules, s.Templates, f, opts)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := ObjectsOf(s, nil)
		if err != nil {
			t.Fatal(err)
		}
		return Input{Ref: ref, Plan: p, Objects: objs}
	}
	base = side("main", set)
	changed := *set
	changed.Rules = nil
	for _, r := range set.Rules {
		r = r.DeepCopy()
		if r.Name == "emergency-eviction" {
			r.Spec.Conditions[0].Value = 92
		}
		changed.Rules = append(changed.Rules, r)
	}
	return base, side("head", &changed)
}

func TestNewDemo(t *testing.T) {
	base, head := demoPlans(t)
	d := New(base, head)
	if !d.HasEffectChanges() {
		t.Fatal("no effect change")
	}
	var got []string
	for _, e := range d.Effects {
		if e.Rule == "emergency-eviction" {
			got = append(got, fmt.Sprintf("%s %s %s %s %s", e.Type, e.Node, e.Op, e.Kind, e.Key))
		}
	}
	want := []string{
		"effectAdded worker-11 change state emergency-eviction",
		"effectAdded worker-11 add taint nodeguardian/emergency:NoExecute",
		"effectAdded worker-11 add alert emergency-eviction/firing",
		"effectRemoved worker-7 change state emergency-eviction",
		"effectRemoved worker-7 add taint nodeguardian/emergency:NoExecute",
		"effectRemoved worker-7 add evict default/api-4",
		"effectRemoved worker-7 add alert emergency-eviction/firing",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("effects:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(d.Objects) != 1 || d.Objects[0].Type != RuleChanged || len(d.Objects[0].Fields) != 1 ||
		d.Objects[0].Fields[0] != (FieldChange{Path: "spec.conditions[0].value", Base: "95", Head: "92"}) {
		t.Errorf("objects: %+v", d.Objects)
	}
	if same := New(base, base); same.HasEffectChanges() || len(same.Effects)+len(same.Objects)+len(same.Rules) != 0 {
		t.Errorf("a version compared with itself differs: %+v", same)
	}
}

func TestCompareValues(t *testing.T) {
	tests := []struct {
		name, base, head string
		want             []FieldChange
	}{
		{"equal", `{"a":1}`, `{"a":1}`, nil},
		{"number", `{"spec":{"c":[{"v":0.8}]}}`, `{"spec":{"c":[{"v":0.9}]}}`, []FieldChange{{"spec.c[0].v", "0.8", "0.9"}}},
		{"added key", `{"a":{}}`, `{"a":{"b/c":"x"}}`, []FieldChange{{`a["b/c"]`, "", `"x"`}}},
		{"removed element", `{"l":[1,2]}`, `{"l":[1]}`, []FieldChange{{"l[1]", "2", ""}}},
		{"type change", `{"a":[1]}`, `{"a":{"b":1}}`, []FieldChange{{"a", "[1]", `{"b":1}`}}},
		{"from nothing", ``, `{"a":1}`, []FieldChange{{"", "", `{"a":1}`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CompareValues(json.RawMessage(tt.base), json.RawMessage(tt.head))
			if fmt.Sprint(got) != fmt.Sprint(orEmpty(tt.want)) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func orEmpty(f []FieldChange) []FieldChange {
	if f == nil {
		return []FieldChange{}
	}
	return f
}

func TestRenderJSONMatchesSchema(t *testing.T) {
	data, err := os.ReadFile("../../schemas/diff.schema.json")
	if err != nil {
		t.Fatalf("%v (make generate)", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("diff.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("diff.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	base, head := demoPlans(t)
	for _, d := range []*Diff{New(base, head), Plans(nil, nil), New(head, base)} {
		var b bytes.Buffer
		if err := RenderJSON(&b, d); err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(&b)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(v); err != nil {
			t.Errorf("%v", err)
		}
	}
}

// TestMarkdownStaysUnderTheLimit renders a diff of 5,000 nodes newly tainted by each of
// three rules: the Markdown lists the first nodes of each rule and says how many more.
func TestMarkdownStaysUnderTheLimit(t *testing.T) {
	var nodes []plan.NodePlan
	for i := range 5000 {
		n := plan.NodePlan{Node: fmt.Sprintf("node-%05d", i)}
		for r := range 3 {
			n.Changes = append(n.Changes, plan.Change{Op: plan.OpAdd, Kind: plan.KindTaint, Key: fmt.Sprintf("nodeguardian/r%d", r),
				Value: "true", Effect: "NoSchedule", Rule: fmt.Sprintf("rule-%d", r), Reason: "cpuLoadRatio 1.9 > 1.5 for 3m"})
		}
		nodes = append(nodes, n)
	}
	d := Plans(&plan.Plan{}, &plan.Plan{Nodes: nodes})
	var b bytes.Buffer
	if err := RenderMarkdown(&b, d); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if len(out) > MaxMarkdown {
		t.Fatalf("%d characters", len(out))
	}
	for _, want := range []string{Marker, "+5000 nodes tainted nodeguardian/r0", "| `rule-2` | unchanged | = | 5000 | 0 | 0 | 5000 |", "and 4800 more nodes"} {
		if !strings.Contains(out, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	if strings.Count(out, "<details>") != strings.Count(out, "</details>") {
		t.Error("unbalanced <details>")
	}
}

// TestRendersEscapeControlAndBidi: field values, reasons and deferrals from input are
// shown with their control and format characters escaped (plan.SafeText), in text and
// Markdown — a bidi override (U+202E) as well as ESC.
func TestRendersEscapeControlAndBidi(t *testing.T) {
	const evil = "a\u202eb\x1b[31mc"
	head := &plan.Plan{
		Nodes: []plan.NodePlan{{Node: "n1", Changes: []plan.Change{{Op: plan.OpAdd, Kind: plan.KindTaint, Key: "k", Value: "v",
			Effect: "NoSchedule", Rule: "r", Reason: "reason " + evil}}}},
		Deferred: []plan.Deferred{{Rule: "r", Node: "n1", Reason: "deferred " + evil}},
	}
	d := Plans(&plan.Plan{}, head)
	d.Objects = []ObjectChange{{Type: RuleChanged, Kind: KindRule, Name: "r", HeadFile: "r.yaml:1",
		Fields: []FieldChange{{Path: "spec.description", Base: `"x"`, Head: `"` + evil + `"`}}}}
	for name, render := range map[string]func(*bytes.Buffer) error{
		"text":     func(b *bytes.Buffer) error { return RenderText(b, d) },
		"markdown": func(b *bytes.Buffer) error { return RenderMarkdown(b, d) },
	} {
		var b bytes.Buffer
		if err := render(&b); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if strings.ContainsAny(out, "\u202e\x1b") {
			t.Errorf("%s: a raw bidi override or ESC:\n%s", name, out)
		}
		if strings.Count(out, `a\u202eb\x1b`) < 2 {
			t.Errorf("%s: the escaped text is not shown for the field and the deferral:\n%s", name, out)
		}
	}
}
