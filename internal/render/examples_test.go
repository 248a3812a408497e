package render

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// examplesDir holds the example rule sets, each as NAME.yaml and NAME.hcl.
const examplesDir = "../../examples/rules"

// exampleNames lists the example sets, failing when a YAML file lacks its HCL twin or
// the other way round.
func exampleNames(t *testing.T) []string {
	t.Helper()
	byExt := map[string][]string{}
	for _, ext := range []string{".yaml", ".hcl"} {
		files, err := filepath.Glob(filepath.Join(examplesDir, ext[1:], "*"+ext))
		if err != nil {
			t.Fatalf("list examples: %v", err)
		}
		for _, f := range files {
			byExt[ext] = append(byExt[ext], strings.TrimSuffix(filepath.Base(f), ext))
		}
	}
	if !*update && !slices.Equal(byExt[".yaml"], byExt[".hcl"]) {
		t.Fatalf("examples without a twin: YAML %v, HCL %v", byExt[".yaml"], byExt[".hcl"])
	}
	if len(byExt[".yaml"]) == 0 {
		t.Fatalf("no examples in %s", examplesDir)
	}
	return byExt[".yaml"]
}

// TestExamplesHCL checks that each example's HCL is exactly what HCL renders for its
// YAML (-update rewrites it), and is canonically formatted.
func TestExamplesHCL(t *testing.T) {
	for _, name := range exampleNames(t) {
		t.Run(name, func(t *testing.T) {
			yamlFile := filepath.Join(examplesDir, "yaml", name+".yaml")
			data, err := os.ReadFile(yamlFile)
			if err != nil {
				t.Fatal(err)
			}
			rules, templates := decodeManifests(t, yamlFile, data)
			got, err := HCL(rules, templates)
			if err != nil {
				t.Fatalf("HCL: %v", err)
			}
			hclFile := filepath.Join(examplesDir, "hcl", name+".hcl")
			checkGolden(t, hclFile, got)
			src, err := os.ReadFile(hclFile)
			if err != nil {
				t.Fatal(err)
			}
			formatted, err := FormatHCL(hclFile, src)
			if err != nil {
				t.Fatalf("FormatHCL: %v", err)
			}
			if !bytes.Equal(formatted, src) {
				t.Errorf("%s is not canonically formatted", hclFile)
			}
		})
	}
}
