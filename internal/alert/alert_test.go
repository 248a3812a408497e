package alert

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/alert -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run go test ./internal/alert -update)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

// templatesIn reads the AlertTemplates of a YAML stream: name, subject, body.
func templatesIn(t *testing.T, file string) [][3]string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][3]string
	dec := yaml.NewDecoder(f)
	for {
		var doc struct {
			Metadata struct{ Name string }
			Spec     struct{ Subject, Body string }
		}
		if err := dec.Decode(&doc); err != nil {
			break
		}
		out = append(out, [3]string{doc.Metadata.Name, doc.Spec.Subject, doc.Spec.Body})
	}
	if len(out) == 0 {
		t.Fatalf("%s: no templates", file)
	}
	return out
}

// The seed README's Jinja-style template and the prototype's Go-style templates render
// with the same context, firing and resolved; validate would find no unknown variable.
func TestGoldenTemplates(t *testing.T) {
	for _, file := range []string{"seed-alert-template.yaml", "prototype-alert-templates.yaml"} {
		t.Run(file, func(t *testing.T) {
			var b strings.Builder
			for _, state := range []string{StateFiring, StateResolved} {
				c := Sample()
				c.State = state
				for _, tm := range templatesIn(t, filepath.Join("testdata", file)) {
					for i, text := range tm[1:] {
						field := []string{"subject", "body"}[i]
						tp, err := Compile(field, text)
						if err != nil {
							t.Fatalf("%s %s: %v", tm[0], field, err)
						}
						if u := tp.Unknown(); len(u) > 0 {
							t.Errorf("%s %s: unknown %v", tm[0], field, u)
						}
						out, err := tp.Render(&c)
						if err != nil {
							t.Fatalf("%s %s: %v", tm[0], field, err)
						}
						b.WriteString("=== " + tm[0] + " " + field + " (" + tp.Syntax().String() + ", " + state + ")\n" + out + "\n")
					}
				}
			}
			golden(t, strings.TrimSuffix(file, ".yaml")+".golden", b.String())
		})
	}
}

// Annotation values with placeholders, in both syntaxes, with the same context.
func TestGoldenAnnotations(t *testing.T) {
	data, err := os.ReadFile("testdata/annotations.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	c := Sample()
	c.PlanID = "" // annotation values never see the plan ID
	var b strings.Builder
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}) {
		out, err := Render(k, m[k], &c)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		b.WriteString(k + ": " + out + "\n")
	}
	golden(t, "annotations.golden", b.String())
}

func TestDetectSyntax(t *testing.T) {
	tests := []struct {
		in   string
		want Syntax
	}{
		{"plain text", Plain},
		{"{ not a template }", Plain},
		{"{{ .nodeName }}", Go},
		{"{{- .nodeName -}}", Go},
		{"{{ $x := 1 }}", Go},
		{"{{ range .actions }}x{{ end }}", Go},
		{`{{ printf "%.2f" .metrics.x }}`, Go},
		{"{{ if .state }}y{{ end }}", Go},
		{"{{ len .topPods }}", Go},
		{"{{ node_name }}", Jinja},
		{"{{ metrics.cpu_load_ratio | round(2) }}", Jinja},
		{"{% for p in top_pods %}{{ p.name }}{% endfor %}", Jinja},
		{"{# comment #}{{ .nodeName }}", Jinja},
		{"{{ rangeX }}", Jinja},
		{"{{ index }}", Go},
		{"{{ node_name }} {{ .nodeName }}", Go},
	}
	for _, tt := range tests {
		if got := DetectSyntax(tt.in); got != tt.want {
			t.Errorf("DetectSyntax(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestRender(t *testing.T) {
	c := Sample()
	c.Metrics = append(c.Metrics, Metric{Name: "queueDepth", Value: 1234567, Operator: ">", Threshold: 1000},
		Metric{Name: "ratio", Value: 0.8734, Operator: ">", Threshold: 0.5})
	c.Time = time.Date(2026, 11, 29, 13, 0, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct{ name, in, want, err string }{
		{"plain", "plain text", "plain text", ""},
		{"go node and rule", "{{ .nodeName }} / {{ .ruleName }} / {{ .rule_name }}", "worker-1 / high-load-isolation / high-load-isolation", ""},
		{"jinja node and rule", "{{ node_name }} / {{ rule_name }} / {{ ruleName }}", "worker-1 / high-load-isolation / high-load-isolation", ""},
		{"timestamp in UTC", "{{ timestamp }} {{ .timestamp }}", "2026-11-29T12:00:00Z {{ .timestamp }}", "function"},
		{"go timestamp", "at {{ .timestamp }}", "at 2026-11-29T12:00:00Z", ""},
		{"jinja timestamp", "at {{ timestamp }}", "at 2026-11-29T12:00:00Z", ""},
		{"go float faithful", "{{ .metrics.ratio }} {{ .metrics.queueDepth }} {{ .metrics.memoryUtilizationPercent }}", "0.8734 1234567 92.5", ""},
		{"jinja float faithful", "{{ metrics.ratio }} {{ metrics.queueDepth }} {{ metrics.memory_utilization }}", "0.8734 1234567 92.5", ""},
		{"jinja round and default", "{{ metrics.ratio | round(2) }} {{ metrics.nope | default('n/a') }}", "0.87 n/a", ""},
		{"go printf", `{{ printf "%.1f" .metrics.ratio }}`, "0.9", ""},
		{"go compare", `{{ if gt .metrics.ratio 0.5 }}high{{ end }}`, "high", ""},
		{"thresholds", "{{ thresholds.cpu_load_ratio }} {{ .thresholds.cpuLoadRatio }}", "", "function"},
		{"jinja thresholds", "{{ thresholds.cpu_load_ratio }}", "1.5", ""},
		{"go conditions", "{{ range .conditions }}{{ .metric }} {{ .value }} {{ .operator }} {{ .threshold }};{{ end }}", "cpuLoadRatio 1.8734 > 1.5;memoryUtilizationPercent 92.5 > 90;diskUtilizationPercent 87.25 > 85;queueDepth 1234567 > 1000;ratio 0.8734 > 0.5;", ""},
		{"state and plan", "{{ state }} {{ plan_id[:8] }}", "firing 01234567", ""},
		// planId as the payload spells it, rulePriority beside ruleName: aliases in both syntaxes.
		{"go aliases", "{{ .planId }} {{ .rulePriority }} {{ .rule_priority }}", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef 100 100", ""},
		{"jinja aliases", "{{ planId[:8] }} {{ rule_priority }} {{ rulePriority }}", "01234567 100 100", ""},
		{"labels", `{{ index .nodeLabels "kubernetes.io/hostname" }}`, "worker-1", ""},
		{"go missing key", "{{ .metrics.nope }}", "", `map has no entry for key "nope"`},
		// Jinja as Go: an undefined name fails the rendering (the built-in message is sent,
		// the plan warns) rather than printing nothing; default() and "is defined" still work.
		{"jinja undefined name", "node {{ nodeNmae }}", "", `Unable to evaluate name "nodeNmae"`},
		{"jinja missing metric", "{{ metrics.nope }}", "", `attribute 'nope' not found`},
		{"jinja missing element field", "{% for p in top_pods %}{{ p.gpu }}{% endfor %}", "", `'gpu' not found`},
		{"jinja default on undefined", "{{ nodeNmae | default('n/a') }} {{ metrics.nope | d('-') }} {{ node_labels['zone'] | default('z') }}", "n/a - z", ""},
		{"jinja is defined", "{% if metrics.nope is defined %}y{% else %}n{% endif %}{% if node_name is defined %}y{% endif %}", "ny", ""},
		{"go top pods", "{{ len .topPods }} {{ range .topPods }}{{ .namespace }}/{{ .name }} {{ .cpu }} {{ .memory }};{{ end }}", "2 default/batch-7 1500m 2Gi;default/web-1 250m 512Mi;", ""},
		{"go huge range", "{{ range 1000000000 }}{{ end }}", "", "more than 10000 loop iterations"},
		{"go nested ranges", "{{ range .actions }}{{ range $.actions }}{{ range $.actions }}{{ range $.actions }}{{ range $.actions }}{{ range $.actions }}{{ range $.actions }}{{ range $.actions }}{{ range $.actions }}{{ range $.actions }}{{ range $.actions }}{{ range $.actions }}{{ range $.actions }}{{ range $.actions }}{{ end }}{{ end }}{{ end }}{{ end }}{{ end }}{{ end }}{{ end }}{{ end }}{{ end }}{{ end }}{{ end }}{{ end }}{{ end }}{{ end }}", "", "more than 10000 loop iterations"},
		{"go huge output", `{{ range 9000 }}{{ printf "%0100d" 1 }}{{ end }}`, "", "output longer than 65536 bytes"},
		{"go define", `{{ define "x" }}{{ template "x" }}{{ end }}{{ template "x" }}`, "", "not supported"},
		{"jinja huge range", "{% for i in range(1000000000) %}{% endfor %}", "", "range: more than 1000 numbers"},
		{"jinja nested loops", "{% for a in range(30) %}{% for b in range(30) %}{% for c in range(30) %}{% endfor %}{% endfor %}{% endfor %}", "", "range: more than 1000 numbers"},
		{"jinja nested data loops", strings.Repeat("{% for a in conditions %}", 8) + strings.Repeat("{% endfor %}", 8), "", "more than 10000 loop iterations"},
		{"jinja huge output", "{% for i in range(900) %}{{ plan_id }}{{ plan_id }}{% endfor %}", "", "output longer than 65536 bytes"},
		{"jinja multiply", "{{ (metrics.ratio * 100) | round(2) }}", "87.34", ""},
		{"jinja repeat a string literal", "{{ 'x' * 100 }}", "", "cannot repeat a string literal"},
		{"jinja two multiplications", "{{ node_name * 10 * 10 }}", "", "at most one *"},
		{"jinja big factor", "{{ node_name * 100000 }}", "", "at most 1000"},
		{"jinja include refused", "{% include '/etc/passwd' %}", "", "include"},
		{"jinja macro refused", "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "", "macro"},
		{"jinja power refused", "{{ 2 ** 100000 }}", "", "**"},
		{"unterminated go", "a {{ .nodeName", "", "unclosed action"},
		{"unterminated jinja", "a {{ node_name", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Render("t", tt.in, &c)
			if tt.err != "" || err != nil {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Render(%q) error %v, want one containing %q (output %q)", tt.in, err, tt.err, got)
				}
				return
			}
			if got != tt.want {
				t.Errorf("Render(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestUnknown(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"{{ .nodeName }} {{ .nodename }} {{ $.ruleName }} {{ $.rule }}", []string{"nodename", "rule"}},
		{"{{ range .actions }}{{ .type }}{{ .severity }}{{ end }}", []string{"actions[].severity"}},
		{"{{ range $i, $a := .actions }}{{ $a.anything }}{{ end }}", nil},
		{"{{ with .metrics }}{{ .anything }}{{ end }}{{ .metrics.anyMetric }} {{ .nodeLabels.zone }}", nil},
		{"{{ .nodeName.first }}", []string{"nodeName.first"}},
		{"{{ .planId }} {{ .rulePriority }} {{ .rule_priority }}", nil},
		{"{{ planId }} {{ rulePriority }} {{ rule_priority }}", nil},
		{"{{ node_name }} {{ host }} {{ x | default('n/a') }}", []string{"host", "x"}},
		{"{% for p in top_pods %}{{ p.name }} {{ p.gpu }} {{ loop.index }}{% endfor %}", []string{"top_pods[].gpu"}},
		{"{% for k, v in node_labels.items() %}{{ k }}={{ v }}{% endfor %}", nil},
		{"{% if state == 'firing' %}{{ metrics.cpu_load_ratio | round(2) }}{% endif %}", nil},
		{"{{ range(3) | join(',') }}", nil},
	}
	for _, tt := range tests {
		tp, err := Compile("t", tt.in)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.in, err)
			continue
		}
		if got := tp.Unknown(); !slices.Equal(got, tt.want) {
			t.Errorf("Unknown(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// An empty context: lists are empty, not missing.
func TestRenderEmptyContext(t *testing.T) {
	var c Context
	for in, want := range map[string]string{
		"{{ range .topPods }}x{{ else }}none{{ end }}":             "none",
		"{% for p in top_pods %}x{% else %}none{% endfor %}":       "none",
		"{{ len .actions }} {{ len .conditions }} [{{ .planID }}]": "0 0 []",
		"{{ timestamp }}": "0001-01-01T00:00:00Z",
	} {
		if got, err := Render("t", in, &c); err != nil || got != want {
			t.Errorf("Render(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestFallback(t *testing.T) {
	s, b := Fallback("hl", "firing", "n1", "cpuLoadRatio 2 > 1.5")
	if s != "[NodeGuardian] hl firing on n1" || b != "cpuLoadRatio 2 > 1.5" {
		t.Errorf("Fallback = %q, %q", s, b)
	}
}

func TestUsesPlanID(t *testing.T) {
	for in, want := range map[string]bool{"{{ .planID }}": true, "{{ plan_id }}": true, "{{ .nodeName }}": false} {
		if got := UsesPlanID(in); got != want {
			t.Errorf("UsesPlanID(%q) = %v", in, got)
		}
	}
}

func TestLimitMessages(t *testing.T) {
	if want := fmt.Sprintf("output longer than %d bytes", MaxOutput); errOutput.Error() != want {
		t.Errorf("errOutput %q, want %q", errOutput, want)
	}
	if want := fmt.Sprintf("more than %d loop iterations", MaxSteps); errSteps.Error() != want {
		t.Errorf("errSteps %q, want %q", errSteps, want)
	}
}
