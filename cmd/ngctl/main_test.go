package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ngctl runs the CLI in-process and returns exit code, stdout and stderr.
func ngctl(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(append([]string{"ngctl"}, args...), strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const badRule = `apiVersion: nodeguardian.k8s.io/v1
kind: NodeGuardianRule
metadata:
  name: bad
spec:
  conditions:
    - metric: cpuLoadRatio
      operator: Bigger
      value: 1
  actions:
    - type: cordon
`

const warnRule = `apiVersion: nodeguardian.k8s.io/v1
kind: NodeGuardianRule
metadata:
  name: warned
spec:
  conditions:
    - metric: cpuLoadRatio
      operator: GreaterThan
      value: 1
  actions:
    - type: alert
      alert:
        template: not-loaded
`

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yaml", badRule)
	warn := writeFile(t, dir, "warn.yaml", warnRule)
	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"yaml examples", "", []string{"validate", "-f", "../../examples/rules/yaml"}, 0, "3 rules, 5 alert templates: valid\n", ""},
		{"hcl examples", "", []string{"validate", "-f", "../../examples/rules/hcl"}, 0, "3 rules, 5 alert templates: valid\n", ""},
		{"invalid names file and line", "", []string{"validate", "-f", bad}, 1, "invalid (1 error, 0 warnings)", "bad.yaml:8:17: error: spec.conditions[0].operator"},
		{"warnings pass", "", []string{"validate", "-f", warn}, 0, "valid (1 warning)", `template "not-loaded"`},
		{"warnings fail with --strict", "", []string{"validate", "--strict", "-f", warn}, 1, "valid (1 warning)", ""},
		{"stdin", badRule, []string{"validate", "-f", "-"}, 1, "invalid", "<stdin>:8:17"},
		{"verbose counts skipped documents", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\n" + warnRule, []string{"validate", "-v", "-f", "-"}, 0, "1 document of other kinds skipped", ""},
		{"missing file", "", []string{"validate", "-f", filepath.Join(dir, "nope.yaml")}, 1, "", "nope.yaml"},
		{"bad output", "", []string{"validate", "-o", "xml", "-f", warn}, 1, "", "unknown output"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := ngctl(t, tt.stdin, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			if !strings.Contains(out, tt.stdout) {
				t.Errorf("stdout %q does not contain %q", out, tt.stdout)
			}
			if !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.stderr)
			}
		})
	}
}

func TestValidateJSON(t *testing.T) {
	bad := writeFile(t, t.TempDir(), "bad.yaml", badRule)
	code, out, _ := ngctl(t, "", "validate", "-o", "json", "-f", bad)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	var doc struct {
		Valid       bool
		Rules       int
		Diagnostics []jsonDiagnostic
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if doc.Valid || len(doc.Diagnostics) != 1 {
		t.Fatalf("got %+v", doc)
	}
	d := doc.Diagnostics[0]
	if d.Severity != "error" || d.Line != 8 || d.Field != "spec.conditions[0].operator" || !strings.HasSuffix(d.File, "bad.yaml") {
		t.Fatalf("diagnostic %+v", d)
	}
}

func TestFmt(t *testing.T) {
	dir := t.TempDir()
	messy := "rule \"r\" {\ncondition {\nmetric=\"cpuLoadRatio\"\n    operator  =  \"GreaterThan\"\nvalue=1\n}\naction {\ntype=\"cordon\"\n}\n}\n"
	f := writeFile(t, dir, "r.hcl", messy)
	if code, _, _ := ngctl(t, "", "fmt", "--check", "../../examples"); code != 0 {
		t.Fatalf("examples are not canonical (exit %d)", code)
	}
	code, out, _ := ngctl(t, "", "fmt", "--check", "--diff", dir)
	if code != 1 || !strings.Contains(out, "r.hcl") || !strings.Contains(out, "+  condition {") {
		t.Fatalf("--check --diff: exit %d, out:\n%s", code, out)
	}
	if b, _ := os.ReadFile(f); string(b) != messy {
		t.Fatal("--check wrote the file")
	}
	if code, _, errOut := ngctl(t, "", "fmt", dir); code != 0 {
		t.Fatalf("fmt: exit %d: %s", code, errOut)
	}
	if code, _, _ := ngctl(t, "", "fmt", "--check", dir); code != 0 {
		t.Fatal("fmt did not make the file canonical")
	}
	writeFile(t, dir, "broken.hcl", "rule \"x\" {\n")
	if code, _, errOut := ngctl(t, "", "fmt", "--check", dir); code != 1 || !strings.Contains(errOut, "broken.hcl:") {
		t.Fatalf("syntax error: exit %d, stderr %q", code, errOut)
	}
}

func TestRenderRoundTrip(t *testing.T) {
	code, yamlOut, errOut := ngctl(t, "", "render", "-f", "../../examples/rules/hcl", "-o", "yaml")
	if code != 0 {
		t.Fatalf("render: exit %d: %s", code, errOut)
	}
	code, out, errOut := ngctl(t, yamlOut, "validate", "-f", "-")
	if code != 0 || !strings.Contains(out, "3 rules, 5 alert templates: valid") {
		t.Fatalf("validate rendered YAML: exit %d: %s %s", code, out, errOut)
	}
	code, hclOut, _ := ngctl(t, yamlOut, "render", "-f", "-", "-o", "hcl")
	want, err := os.ReadFile("../../examples/rules/hcl/high-load-isolation.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 || !strings.Contains(hclOut, string(want)) {
		t.Fatalf("HCL → YAML → HCL lost the canonical form of high-load-isolation:\n%s", hclOut)
	}
	bad := writeFile(t, t.TempDir(), "bad.yaml", badRule)
	if code, out, errOut := ngctl(t, "", "render", "-f", bad); code != 1 || out != "" || !strings.Contains(errOut, "bad.yaml:8") {
		t.Fatalf("invalid input: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestSchemaAndVersion(t *testing.T) {
	if code, out, _ := ngctl(t, "", "schema", "crds"); code != 0 || strings.Count(out, "kind: CustomResourceDefinition") != 2 {
		t.Fatalf("schema crds: exit %d", code)
	}
	code, out, _ := ngctl(t, "", "schema", "jsonschema")
	var v map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v["$defs"] == nil {
		t.Fatalf("schema jsonschema: exit %d", code)
	}
	if code, out, _ := ngctl(t, "", "version"); code != 0 || !strings.HasPrefix(out, "ngctl ") {
		t.Fatalf("version: exit %d %q", code, out)
	}
}
