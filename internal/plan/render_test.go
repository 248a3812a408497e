package plan

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The golden files are rewritten with: go test ./internal/plan -run Render -update
func init() {
	if flag.Lookup("update") == nil { // another test file of the package may define it too
		flag.Bool("update", false, "rewrite the golden files under testdata")
	}
}

// updateGoldens reports whether -update was given.
func updateGoldens() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// checkGolden compares got with testdata/render/name, or rewrites the file with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "render", name)
	if updateGoldens() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (write the goldens with: go test ./internal/plan -run Render -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

// renderFormats are the renderers the goldens cover, by golden file suffix.
func renderFormats() []struct {
	suffix string
	render func(io.Writer, *Plan) error
} {
	return []struct {
		suffix string
		render func(io.Writer, *Plan) error
	}{
		{".txt", func(w io.Writer, p *Plan) error { return RenderText(w, p, RenderOptions{}) }},
		{".color.txt", func(w io.Writer, p *Plan) error { return RenderText(w, p, RenderOptions{Color: true}) }},
		{".json", RenderJSON},
		{".md", RenderMarkdown},
	}
}

func TestRenderGolden(t *testing.T) {
	for _, tc := range renderCases() {
		for _, f := range renderFormats() {
			t.Run(tc.name+f.suffix, func(t *testing.T) {
				var b bytes.Buffer
				if err := f.render(&b, tc.plan); err != nil {
					t.Fatal(err)
				}
				checkGolden(t, tc.name+f.suffix, b.Bytes())
			})
		}
	}
}

func TestRenderJSONRoundTrip(t *testing.T) {
	for _, tc := range renderCases() {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := RenderJSON(&b, tc.plan); err != nil {
				t.Fatal(err)
			}
			got, err := ReadJSON(&b)
			if err != nil {
				t.Fatal(err)
			}
			want := *tc.plan
			want.Inputs.SourcePath = "" // shown in text, not part of the JSON form
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("ReadJSON(RenderJSON(p)) differs from p (-want +got):\n%s", diff)
			}
		})
	}
}

// nilListsPlan has every struct once, with its lists nil, as a planner may build it.
func nilListsPlan() *Plan {
	return &Plan{
		FormatVersion: FormatVersion,
		Nodes: []NodePlan{{Node: "worker-1", Changes: []Change{
			{Op: OpAdd, Kind: KindAlert, Code: CodeFired, Reason: "r", Alert: &Alert{Event: "firing", Subject: "s"}},
			{Op: OpAdd, Kind: KindEvict, Code: CodeFired, Reason: "r", Pods: []PodEviction{{Namespace: "default", Name: "p"}}},
		}}, {Node: "worker-2"}},
		Deferred: []Deferred{{Rule: "r", Node: "worker-3", Code: CodeGlobalBudget, Reason: "later"}},
		Warnings: []Warning{{Code: CodeMetricSource, Message: "m"}},
		Rules:    []RuleStatus{{Name: "r", Active: true}},
	}
}

func TestRenderJSONCanonical(t *testing.T) {
	builds := []func() *Plan{func() *Plan { return &Plan{FormatVersion: FormatVersion} }, nilListsPlan}
	for _, build := range builds {
		p := build()
		var b bytes.Buffer
		if err := RenderJSON(&b, p); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b.Bytes(), []byte("null")) {
			t.Errorf("RenderJSON wrote null:\n%s", b.String())
		}
		if !strings.HasSuffix(b.String(), "}\n") {
			t.Errorf("RenderJSON output does not end in a newline: %q", b.String())
		}
		if diff := cmp.Diff(build(), p); diff != "" {
			t.Errorf("RenderJSON modified its plan (-before +after):\n%s", diff)
		}
		got, err := ReadJSON(&b)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(canonical(p), got); diff != "" {
			t.Errorf("ReadJSON(RenderJSON(p)) differs from canonical(p) (-want +got):\n%s", diff)
		}
	}
}

func TestRenderReadJSONErrors(t *testing.T) {
	tests := []struct {
		name, input, want string
		version           bool // a *FormatVersionError
	}{
		{"empty", ``, "empty input", false},
		{"blank", " \n", "empty input", false},
		{"truncated", `{"formatVersion":"3",`, "not a plan: unexpected EOF", false},
		{"not JSON", `plan`, "not a plan: invalid character", false},
		{"not an object", `[1]`, "not a plan: json: cannot unmarshal array", false},
		{"no formatVersion", `{"id":"x"}`, "not a plan: no formatVersion", false},
		{"formatVersion 1", `{"formatVersion":"1","nodes":[]}`, "plan file formatVersion 1 was written by an older ngctl; run ngctl plan again", true},
		{"formatVersion 2", `{"formatVersion":"2","nodes":[]}`, "plan file formatVersion 2 was written by an older ngctl; run ngctl plan again", true},
		{"formatVersion 4", `{"formatVersion":"4","somethingNew":true}`, `plan format version "4" is not supported`, true},
		{"formatVersion 01", `{"formatVersion":"01"}`, `plan format version "01" is not supported`, true},
		{"formatVersion empty", `{"formatVersion":""}`, `plan format version "" is not supported`, true},
		{"formatVersion a number", `{"formatVersion":1}`, "not a plan: json: cannot unmarshal number", false},
		{"unknown field", `{"formatVersion":"3","colour":"red"}`, `read plan: line 1: the plan: unknown field "colour"`, false},
		// Nested unknown fields and enums name their line (issue 7: "json: unknown field
		// "Extra"" had none, and "op": "explode" was read and shown).
		{"unknown nested field", `{"formatVersion":"3","nodes":[{"node":"a","changes":[],"why":1}]}`, `line 1: nodes[0]: unknown field "why"`, false},
		{"unknown field deep down", "{\"formatVersion\":\"3\",\n\"nodes\":[{\"node\":\"a\",\"changes\":[\n{\"op\":\"add\",\"kind\":\"cordon\",\"code\":\"Fired\",\"reason\":\"\",\"Extra\":1}]}]}",
			`read plan: line 3: nodes[0].changes[0]: unknown field "Extra"`, false},
		{"unknown op", "{\"formatVersion\":\"3\",\"nodes\":[{\"node\":\"a\",\"changes\":[\n{\"op\":\"explode\",\"kind\":\"taint\",\"code\":\"Fired\",\"reason\":\"\"}]}]}",
			`read plan: line 2: nodes[0].changes[0].op: unknown value "explode" (one of add, change, remove)`, false},
		{"unknown kind", `{"formatVersion":"3","nodes":[{"node":"a","changes":[{"op":"add","kind":"reboot","code":"Fired","reason":""}]}]}`,
			`nodes[0].changes[0].kind: unknown value "reboot" (one of taint, label,`, false},
		{"unknown effect", `{"formatVersion":"3","nodes":[{"node":"a","changes":[{"op":"add","kind":"taint","key":"k","effect":"Explode","code":"Fired","reason":""}]}]}`,
			`nodes[0].changes[0].effect: unknown value "Explode" (one of NoSchedule, PreferNoSchedule, NoExecute)`, false},
		{"unknown code", `{"formatVersion":"3","warnings":[{"code":"Oops","message":""}]}`, `warnings[0].code: unknown value "Oops"`, false},
		{"no op", `{"formatVersion":"3","nodes":[{"node":"a","changes":[{"kind":"cordon","code":"Fired","reason":""}]}]}`,
			`nodes[0].changes[0]: no field "op" (one of add, change, remove)`, false},
		{"wrong type", `{"formatVersion":"3","nodes":{}}`, "line 1: json: cannot unmarshal object", false},
		{"data after the plan", `{"formatVersion":"3"} {}`, "unexpected data after the plan", false},
		{"garbage after the plan", `{"formatVersion":"3"} ]`, "unexpected data after the plan", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ReadJSON(strings.NewReader(tt.input))
			if err == nil {
				t.Fatalf("ReadJSON succeeded: %+v", p)
			}
			if !strings.HasPrefix(err.Error(), "read plan: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
			var fv *FormatVersionError
			if errors.As(err, &fv) != tt.version {
				t.Errorf("errors.As(%q, *FormatVersionError) = %v, want %v", err, !tt.version, tt.version)
			}
		})
	}
}

func TestRenderReadJSONValid(t *testing.T) {
	p, err := ReadJSON(strings.NewReader(" {\"formatVersion\": \"3\", \"id\": \"abc\"}\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "abc" || p.FormatVersion != FormatVersion {
		t.Errorf("ReadJSON = %+v", p)
	}
}

func TestRenderTextLastLine(t *testing.T) {
	change := NodePlan{Node: "n", Changes: []Change{{Op: OpAdd, Kind: KindCordon}}}
	dryRun := NodePlan{Node: "d", Changes: []Change{{Op: OpAdd, Kind: KindCordon, DryRun: true}}}
	tests := []struct {
		name     string
		nodes    []NodePlan
		deferred int
		want     string
	}{
		{"nothing", nil, 0, "No changes."},
		{"deferred only", nil, 2, "No changes."},
		{"dry-run only", []NodePlan{dryRun}, 0, "No changes."},
		{"one node", []NodePlan{change}, 0, "Plan: 1 node to change, 0 deferred."},
		{"one node and dry-run", []NodePlan{change, dryRun}, 1, "Plan: 1 node to change, 1 deferred."},
		{"two nodes", []NodePlan{change, change}, 3, "Plan: 2 nodes to change, 3 deferred."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Plan{FormatVersion: FormatVersion, Nodes: tt.nodes}
			for range tt.deferred {
				p.Deferred = append(p.Deferred, Deferred{Rule: "r", Node: "x", Reason: "later"})
			}
			p.Summary = countSummary(p)
			for _, color := range []bool{false, true} {
				var b bytes.Buffer
				if err := RenderText(&b, p, RenderOptions{Color: color}); err != nil {
					t.Fatal(err)
				}
				out := b.String()
				if strings.Contains(out, "\x1b[") != color {
					t.Errorf("color %v: ANSI escapes present = %v", color, !color)
				}
				lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
				last := strings.NewReplacer("\x1b[0m", "", "\x1b[1m", "", "\x1b[32m", "").Replace(lines[len(lines)-1])
				if last != tt.want {
					t.Errorf("color %v: last line %q, want %q", color, last, tt.want)
				}
			}
		})
	}
}

// failingWriter fails every write.
type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestRenderErrors(t *testing.T) {
	renderers := []struct {
		name   string
		render func(io.Writer, *Plan) error
	}{
		{"text", func(w io.Writer, p *Plan) error { return RenderText(w, p, RenderOptions{}) }},
		{"JSON", RenderJSON},
		{"Markdown", RenderMarkdown},
	}
	for _, r := range renderers {
		t.Run(r.name, func(t *testing.T) {
			if err := r.render(io.Discard, nil); err == nil || !strings.Contains(err.Error(), "no plan") {
				t.Errorf("nil plan: error %v, want no plan", err)
			}
			wErr := errors.New("disk full")
			err := r.render(failingWriter{wErr}, renderNoChanges())
			if !errors.Is(err, wErr) || !strings.HasPrefix(err.Error(), "render plan as "+r.name) {
				t.Errorf("failing writer: error %v, want it to wrap %v", err, wErr)
			}
		})
	}
}

func TestRenderMarkdownEscape(t *testing.T) {
	tests := []struct{ in, text, code string }{
		{"plain words", "plain words", "`plain words`"},
		{"a|b", `a\|b`, "`a|b`"},
		{"*x* _y_ [z](u) <b> & ~s~ #h", `\*x\* \_y\_ \[z\](u) \<b\> \& \~s\~ \#h`, "`*x* _y_ [z](u) <b> & ~s~ #h`"},
		{"- item", `\- item`, "`- item`"},
		{"12. item", `12\. item`, "`12. item`"},
		{"1.5 > 1", `1.5 \> 1`, "`1.5 > 1`"},
		{"two\nlines", "two lines", "`two lines`"},
		{"a `b` c", "a \\`b\\` c", "``a `b` c``"},
		{"`b`", "\\`b\\`", "`` `b` ``"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := mdText(tt.in); got != tt.text {
				t.Errorf("mdText(%q) = %q, want %q", tt.in, got, tt.text)
			}
			if got := codeSpan(tt.in); got != tt.code {
				t.Errorf("codeSpan(%q) = %q, want %q", tt.in, got, tt.code)
			}
		})
	}
}

func TestRenderShowValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"true", "true"},
		{"", `""`},
		{" padded", `" padded"`},
		{"tab\there", `"tab\there"`},
		{"two\nlines", `"two\nlines"`},
		{"高负载", "高负载"},
		{`{"a":1}`, `{"a":1}`},
	}
	for _, tt := range tests {
		if got := showValue(tt.in); got != tt.want {
			t.Errorf("showValue(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestRenderUnknownOpAndKind(t *testing.T) {
	p := &Plan{FormatVersion: FormatVersion, Nodes: []NodePlan{{Node: "n", Changes: []Change{
		{Op: "replace", Kind: "future", Key: "k", Old: "a", Value: "b", Rule: "r", Reason: "why"},
	}}}}
	p.Summary = countSummary(p)
	tests := []struct {
		name   string
		render func(io.Writer, *Plan) error
		want   string
	}{
		{"text", func(w io.Writer, p *Plan) error { return RenderText(w, p, RenderOptions{}) }, "    # r: why\n    ? future k = a → b\n"},
		{"Markdown", RenderMarkdown, "# r: why\n? future k = a → b\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.render(&b, p); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), tt.want) {
				t.Errorf("output does not contain %q:\n%s", tt.want, b.String())
			}
		})
	}
}

// Times are written in UTC, the deferrals' ends and the next evaluation too, without
// modifying the plan.
func TestRenderJSONTimesInUTC(t *testing.T) {
	zone := time.FixedZone("IST", 5*3600+1800)
	at := time.Date(2026, 5, 4, 15, 30, 0, 0, zone)
	p := &Plan{FormatVersion: FormatVersion, NextEvaluation: &at,
		Deferred: []Deferred{{Rule: "r", Node: "n", Code: CodeCooldownActive, Reason: "cooldown", Until: &at}}}
	var b bytes.Buffer
	if err := RenderJSON(&b, p); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"until": "2026-05-04T10:00:00Z"`, `"nextEvaluation": "2026-05-04T10:00:00Z"`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("RenderJSON wrote no %s:\n%s", want, b.String())
		}
	}
	if p.NextEvaluation.Location() != zone || p.Deferred[0].Until.Location() != zone {
		t.Error("RenderJSON modified its plan's times")
	}
	if got := deferredText(p.Deferred[0]); got != "cooldown (until 2026-05-04T10:00:00Z)" {
		t.Errorf("deferredText = %q", got)
	}
}
