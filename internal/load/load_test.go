package load

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/invalid, testdata/warnings and testdata/prototype")

// inputs lists the .yaml and .hcl files of a testdata folder.
func inputs(t testing.TB, dir string) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"*.yaml", "*.hcl"} {
		m, err := filepath.Glob(filepath.Join("testdata", dir, pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	stems := map[string]bool{}
	for _, f := range files {
		stem := strings.TrimSuffix(f, filepath.Ext(f))
		if stems[stem] {
			t.Fatalf("%s: another input has the same golden file", f)
		}
		stems[stem] = true
	}
	return files
}

// checkGolden compares got with the golden file next to input, or rewrites it.
func checkGolden(t *testing.T, input, got string) {
	t.Helper()
	golden := strings.TrimSuffix(input, filepath.Ext(input)) + ".golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/load -update)", err)
	}
	if got != string(want) {
		t.Errorf("diagnostics differ from %s (run go test ./internal/load -update)\n--- got:\n%s\n--- want:\n%s", golden, got, want)
	}
}

// checkPositions asserts that every diagnostic names the input file and a line.
func checkPositions(t *testing.T, input string, ds Diagnostics) {
	t.Helper()
	for _, d := range ds {
		if d.File != input || d.Line <= 0 {
			t.Errorf("diagnostic without file:line of %s: %s", input, d)
		}
		if d.Snippet == "" {
			t.Errorf("diagnostic without snippet: %s", d)
		}
	}
}

func TestInvalidGolden(t *testing.T) {
	files := inputs(t, "invalid")
	if len(files) < 16 {
		t.Fatalf("want at least 16 invalid inputs, have %d", len(files))
	}
	for _, in := range files {
		t.Run(filepath.Base(in), func(t *testing.T) {
			_, ds := Paths([]string{in}, nil)
			if !ds.HasErrors() {
				t.Fatalf("no errors; diagnostics:\n%s", ds.Error())
			}
			checkPositions(t, in, ds)
			if strings.Contains(ds.Error(), secret) {
				t.Errorf("the diagnostics show the password %q", secret)
			}
			checkGolden(t, in, ds.Error()+"\n")
		})
	}
}

// secret is the password of the URLs in testdata: no diagnostic may show it.
const secret = "s3cr3t"

func TestWarningsGolden(t *testing.T) {
	for _, in := range inputs(t, "warnings") {
		t.Run(filepath.Base(in), func(t *testing.T) {
			set, ds := Paths([]string{in}, nil)
			if ds.HasErrors() {
				t.Fatalf("unexpected errors:\n%s", ds.Errors().Error())
			}
			if len(ds.Warnings()) == 0 || len(set.Rules) == 0 {
				t.Fatalf("want warnings and rules, got %d warnings, %d rules", len(ds.Warnings()), len(set.Rules))
			}
			checkPositions(t, in, ds)
			checkGolden(t, in, ds.Error()+"\n")
		})
	}
}

func TestSeedManifestsValidateUnchanged(t *testing.T) {
	set, ds := Paths([]string{"testdata/seed"}, nil)
	if ds.HasErrors() {
		t.Fatalf("the prototype's manifests must load unchanged:\n%s", ds.Error())
	}
	if len(ds) > 0 {
		t.Errorf("unexpected warnings:\n%s", ds.Error())
	}
	if set.Files != 2 || len(set.Rules) != 1 || len(set.Templates) != 1 || set.Skipped != 0 {
		t.Fatalf("got %d files, %d rules, %d templates, %d skipped", set.Files, len(set.Rules), len(set.Templates), set.Skipped)
	}
	r := set.Rules[0]
	if r.Name != "high-load-isolation" || len(r.Spec.Conditions) != 2 || r.Spec.Conditions[1].Value != 90 ||
		r.Spec.Actions[1].Alert.Template != "high-load-alert" || r.Spec.Monitoring.CheckInterval.Duration.String() != "30s" {
		t.Errorf("rule not read as written: %+v", r.Spec)
	}
	if r.Spec.MaxUnhealthy != nil || r.Spec.Metadata.Priority == nil || *r.Spec.Metadata.Priority != 100 {
		t.Errorf("rule must be as written, not defaulted: %+v", r.Spec)
	}
	if got := set.Templates[0].Spec.Channels; len(got) != 3 {
		t.Errorf("template channels: %v", got)
	}
	want := map[string]Origin{
		"AlertTemplate/high-load-alert":        {File: "testdata/seed/high-load-alert.yaml", Line: 1},
		"NodeGuardianRule/high-load-isolation": {File: "testdata/seed/high-load-isolation.yaml", Line: 1},
	}
	if !reflect.DeepEqual(set.Origins, want) {
		t.Errorf("origins: got %v, want %v", set.Origins, want)
	}
}

func TestStdin(t *testing.T) {
	data, err := os.ReadFile("testdata/seed/high-load-isolation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	set, ds := Paths([]string{"-", "testdata/seed/high-load-alert.yaml"}, strings.NewReader(string(data)))
	if ds.HasErrors() || len(set.Rules) != 1 || len(set.Templates) != 1 || set.Files != 2 {
		t.Fatalf("got %d rules, %d templates, %d files; diagnostics:\n%s", len(set.Rules), len(set.Templates), set.Files, ds.Error())
	}
	if o := set.Origins["NodeGuardianRule/high-load-isolation"]; o.File != "<stdin>" || o.Line != 1 {
		t.Errorf("origin of the rule read from stdin: %+v", o)
	}
	_, ds = Paths([]string{"-"}, strings.NewReader("apiVersion: nodeguardian.k8s.io/v1\nkind: AlertTemplate\nmetadata: {name: x}\nspec: {subject: 1}\n"))
	if len(ds) != 1 || !strings.HasPrefix(ds[0].String(), "<stdin>:4:17: error: spec.subject: must be a string, not a number") {
		t.Errorf("got:\n%s", ds.Error())
	}
	_, ds = Paths([]string{"-"}, nil)
	if !ds.HasErrors() {
		t.Error("reading stdin without a reader must fail")
	}
}

func TestOtherKindsAreSkipped(t *testing.T) {
	const stream = `---
# only a comment
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: &labels {app: web}
spec:
  selector:
    matchLabels: *labels
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  threshold: "1.5"
---
apiVersion: nodeguardian.k8s.io/v1
kind: FleetSnapshot
metadata:
  name: another-kind-of-the-group
---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [rules.yaml]
---
apiVersion: nodeguardian.k8s.io/v1
kind: AlertTemplate
metadata:
  name: ok
spec:
  subject: hello
`
	set, ds := YAML("mixed.yaml", []byte(stream))
	if len(ds) != 0 {
		t.Fatalf("unexpected diagnostics:\n%s", ds.Error())
	}
	if set.Skipped != 4 || len(set.Templates) != 1 || set.Files != 1 {
		t.Errorf("got %d skipped, %d templates, %d files", set.Skipped, len(set.Templates), set.Files)
	}
}

func TestHCLMatchesYAML(t *testing.T) {
	load := func(name string, f func(string, []byte) (*Set, Diagnostics)) *Set {
		data, err := os.ReadFile(filepath.Join("testdata/valid", name))
		if err != nil {
			t.Fatal(err)
		}
		set, ds := f(name, data)
		if len(ds) != 0 {
			t.Fatalf("%s:\n%s", name, ds.Error())
		}
		return set
	}
	h := load("hcl-format-example.hcl", HCL)
	y := load("hcl-format-example.yaml", YAML)
	if len(h.Rules) != 1 || len(h.Templates) != 1 {
		t.Fatalf("HCL: %d rules, %d templates", len(h.Rules), len(h.Templates))
	}
	if !reflect.DeepEqual(h.Rules, y.Rules) {
		t.Errorf("rules differ:\nHCL:  %+v\nYAML: %+v", h.Rules[0], y.Rules[0])
	}
	if !reflect.DeepEqual(h.Templates, y.Templates) {
		t.Errorf("templates differ:\nHCL:  %+v\nYAML: %+v", h.Templates[0], y.Templates[0])
	}
	if o := h.Origins["NodeGuardianRule/high-load-isolation"]; o.Line != 1 {
		t.Errorf("HCL origin: %+v", o)
	}
}

func TestDuplicatesAcrossFiles(t *testing.T) {
	set, ds := Paths([]string{"testdata/valid"}, nil)
	if set.Files != 2 {
		t.Errorf("read %d files, want 2", set.Files)
	}
	errs := ds.Errors()
	if len(errs) != 2 {
		t.Fatalf("want 2 duplicate errors, got:\n%s", ds.Error())
	}
	want := `testdata/valid/hcl-format-example.yaml:5:9: error: metadata.name: duplicate NodeGuardianRule "high-load-isolation": first defined at testdata/valid/hcl-format-example.hcl:1`
	if errs[0].String() != want {
		t.Errorf("got  %s\nwant %s", errs[0], want)
	}
	if o := set.Origins["NodeGuardianRule/high-load-isolation"]; o.File != "testdata/valid/hcl-format-example.hcl" {
		t.Errorf("origin must be the first definition: %+v", o)
	}
}

func TestMissingPath(t *testing.T) {
	_, ds := Paths([]string{"testdata/does-not-exist.yaml"}, nil)
	want := "testdata/does-not-exist.yaml: error: cannot read: no such file or directory"
	if len(ds) != 1 || ds.Error() != want {
		t.Errorf("got:\n%s\nwant:\n%s", ds.Error(), want)
	}
}

func TestAliasBombIsRejected(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: nodeguardian.k8s.io/v1\nkind: AlertTemplate\nmetadata: {name: bomb}\nspec:\n  subject: x\n  variables:\n")
	b.WriteString("    a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "    a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	start := time.Now()
	set, ds := YAML("bomb.yaml", []byte(b.String()))
	if !ds.HasErrors() || len(set.Templates) != 0 {
		t.Fatalf("an alias bomb must be rejected; got %d templates:\n%s", len(set.Templates), ds.Error())
	}
	if !strings.Contains(ds.Error(), "anchors and aliases are not supported") {
		t.Errorf("unexpected message:\n%s", ds.Error())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestDiagnosticString(t *testing.T) {
	for _, c := range []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{File: "x.yaml", Line: 12, Column: 7, Field: "spec.conditions[0].operator", Message: "must be one of A, B"},
			"x.yaml:12:7: error: spec.conditions[0].operator: must be one of A, B"},
		{Diagnostic{Severity: Warning, File: "-", Line: 3, Message: "m"}, "<stdin>:3: warning: m"},
		{Diagnostic{File: "dir", Message: "m"}, "dir: error: m"},
		{Diagnostic{Message: "m"}, "error: m"},
	} {
		if got := c.d.String(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
	ds := Diagnostics{{Severity: Warning, Message: "w"}, {Message: "e", Snippet: "  1 | x\n    | ^"}}
	if !ds.HasErrors() || len(ds.Errors()) != 1 || len(ds.Warnings()) != 1 {
		t.Errorf("Errors/Warnings split wrong")
	}
	if got, want := ds.Error(), "warning: w\nerror: e\n  1 | x\n    | ^"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestPrototypeExamplesGolden validates each of the prototype's example manifests
// (testdata/prototype, copied unchanged) with its alert templates loaded, as
// `kubectl apply -f examples/` had them, and compares the diagnostics with the golden
// file. The examples' own defects (testdata/prototype/README.md) must be reported: the
// wrong apiVersion and unknown fields of the two *-config-example.yaml, the templated
// label value of high-load-isolation.yaml, the missing emergency-recovery-alert template
// of emergency-eviction.yaml; the rest loads without a diagnostic.
func TestPrototypeExamplesGolden(t *testing.T) {
	const templates = "testdata/prototype/alert-templates.yaml"
	files := inputs(t, "prototype")
	if len(files) != 6 {
		t.Fatalf("want the prototype's 6 examples, have %v", files)
	}
	want := map[string][]string{ // what each golden must hold
		"alert-templates.yaml":        {"errors: 0, warnings: 0; rules: 0, alert templates: 4"},
		"disk-space-alert.yaml":       {"errors: 0, warnings: 0; rules: 1, alert templates: 4"},
		"emergency-eviction.yaml":     {`:48:19: warning: spec.recoveryActions[1].alert.template: template "emergency-recovery-alert" is not in the loaded files`, "errors: 0, warnings: 1; rules: 1"},
		"high-load-isolation.yaml":    {`:45:41: error: spec.actions[2].label.labels["nodeguardian.io/triggered-at"]: label values cannot hold templates`, "errors: 1, warnings: 0"},
		"email-config-example.yaml":   {`:35:13: error: apiVersion: must be "nodeguardian.k8s.io/v1" (got "nodeguardian.io/v1")`, `unknown field "emailConfig"`, `unknown field "title"`},
		"unified-config-example.yaml": {`:83:13: error: apiVersion: must be "nodeguardian.k8s.io/v1" (got "nodeguardian.io/v1")`, `metricsSource: unknown field "url"`, `unknown field "summary"`},
	}
	for _, in := range files {
		t.Run(filepath.Base(in), func(t *testing.T) {
			paths := []string{in}
			if in != templates {
				paths = append(paths, templates)
			}
			set, ds := Paths(paths, nil)
			got := ""
			if len(ds) > 0 {
				got = ds.Error() + "\n"
			}
			got += fmt.Sprintf("errors: %d, warnings: %d; rules: %d, alert templates: %d\n",
				len(ds.Errors()), len(ds.Warnings()), len(set.Rules), len(set.Templates))
			for _, w := range want[filepath.Base(in)] {
				if !strings.Contains(got, w) {
					t.Errorf("diagnostics lack %q:\n%s", w, got)
				}
			}
			checkGolden(t, in, got)
		})
	}
}
