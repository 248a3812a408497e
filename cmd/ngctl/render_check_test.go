package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyRules copies examples/rules (hcl/ and yaml/) into a temp dir.
func copyRules(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"hcl", "yaml"} {
		src := filepath.Join("..", "..", "examples", "rules", sub)
		entries, err := os.ReadDir(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(src, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, sub), e.Name(), string(data))
		}
	}
	return dir
}

// `ngctl render --check DIR` (the .hcl files under DIR against its YAML) and
// `ngctl render -f SOURCE --check COMMITTED`: exit 0 when the committed YAML holds the
// objects the HCL renders to, exit 1 with a unified diff and what to do when not.
func TestRenderCheck(t *testing.T) {
	drifted := copyRules(t)
	file := filepath.Join(drifted, "yaml", "high-load-isolation.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), "value: 0.8", "value: 0.9", 1)
	if edited == string(data) {
		t.Fatal("the example no longer has value: 0.8")
	}
	writeFile(t, filepath.Dir(file), filepath.Base(file), edited)
	onlyYAML := t.TempDir()
	writeFile(t, onlyYAML, "r.yaml", string(data))
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"DIR in sync", []string{"render", "--check", "../../examples/rules"}, 0,
			[]string{"the YAML under ../../examples/rules matches the HCL under ../../examples/rules: 3 rules, 5 alert templates"}},
		{"-f SOURCE in sync", []string{"render", "-f", "../../examples/rules/hcl", "--check", "../../examples/rules/yaml"}, 0, []string{"matches"}},
		{"flag after the path", []string{"render", "--check", "../../examples/rules/yaml", "-f", "../../examples/rules/hcl"}, 0, []string{"matches"}},
		{"DIR drifted", []string{"render", "--check", drifted}, 1,
			[]string{"-      value: 0.9", "+      value: 0.8", "does not match its source: render it again with ngctl render -f FILE.hcl -o yaml"}},
		{"-f SOURCE drifted", []string{"render", "-f", filepath.Join(drifted, "hcl"), "--check", filepath.Join(drifted, "yaml")}, 1,
			[]string{"value: 0.9", "render it again with ngctl render -f " + filepath.Join(drifted, "hcl") + " -o yaml"}},
		{"DIR without HCL", []string{"render", "--check", onlyYAML}, 1, []string{"no .hcl source under", "-f SOURCE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := ngctl(t, "", tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, errOut)
				}
			}
		})
	}
}
