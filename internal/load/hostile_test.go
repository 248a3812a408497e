package load

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hostileBudget is how long loading one hostile file may take (generous: the machine
// running the tests may be busy).
const hostileBudget = 10 * time.Second

// TestHostileSourcesFailFast: deeply nested and huge files are errors naming the file
// (and line, where there is one), reported in seconds — never a stack overflow (issue 7:
// 80,000 levels of HCL crashed ngctl validate, fmt and render).
func TestHostileSourcesFailFast(t *testing.T) {
	deep := func(open, close string, n int) string { return strings.Repeat(open, n) + strings.Repeat(close, n) }
	tests := []struct {
		name, file, src string
		want            string // prefix of the first diagnostic
	}{
		{"HCL tuples 80,000 deep", "deep.hcl", "x = " + deep("[", "]", 80000), "deep.hcl:1:105: error: HCL nested more than 100 levels deep"},
		{"HCL blocks 50,000 deep", "deep.hcl", deep("a {\n", "}\n", 50000), "deep.hcl:101:3: error: HCL nested"},
		{"HCL unary operators 200,000 deep", "deep.hcl", "x = " + strings.Repeat("-", 200000) + "1", "deep.hcl:1:105: error: HCL nested"},
		{"HCL splats 100,000 deep", "deep.hcl", "x = a" + strings.Repeat("[*]", 100000), "deep.hcl:1:"},
		{"HCL over 1 MiB", "big.hcl", strings.Repeat("# comment\n", 110000), "big.hcl: error: HCL file of 1100000 bytes is larger than 1024 KiB"},
		{"YAML flow 100,000 deep", "deep.yaml", "a: " + deep("[", "]", 100000), "deep.yaml:"},
		{"YAML flow mappings 100,000 deep", "deep.yaml", "a: " + deep("{a: ", "}", 100000), "deep.yaml:"},
		{"YAML block 5,000 deep", "deep.yaml", blockYAML(5000), "deep.yaml:"},
		{"YAML rule 100,000 deep", "deep.yaml", "apiVersion: nodeguardian.k8s.io/v1\nkind: NodeGuardianRule\nmetadata: {name: deep}\nspec: " + deep("[", "]", 100000), "deep.yaml:"},
	}
	v, err := newValidator()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, ds := loadOne(v, tt.file, []byte(tt.src), strings.HasSuffix(tt.file, ".hcl"))
			if d := time.Since(start); d > hostileBudget {
				t.Errorf("took %s", d)
			}
			if !ds.HasErrors() || !strings.HasPrefix(ds.Errors()[0].String(), tt.want) {
				t.Fatalf("diagnostics:\n%.500s\nwant an error starting %q", ds.Error(), tt.want)
			}
		})
	}
}

// blockYAML is a rule whose spec is a block mapping nested n levels deep, one space of
// indentation a level.
func blockYAML(n int) string {
	var b strings.Builder
	b.WriteString("apiVersion: nodeguardian.k8s.io/v1\nkind: NodeGuardianRule\nmetadata: {name: deep}\nspec:\n")
	for i := range n {
		b.WriteString(strings.Repeat(" ", i+1))
		b.WriteString("a:\n")
	}
	return b.String()
}

// TestPathsRejectsHugeFiles: Paths reads at most 16 MiB of a file.
func TestPathsRejectsHugeFiles(t *testing.T) {
	file := filepath.Join(t.TempDir(), "huge.yaml")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(file, maxFileSize+1); err != nil { // sparse
		t.Fatal(err)
	}
	_, ds := Paths([]string{file}, nil)
	if !ds.HasErrors() || !strings.Contains(ds.Error(), file+": error: file is larger than 16 MiB") {
		t.Fatalf("diagnostics:\n%s", ds.Error())
	}
}
