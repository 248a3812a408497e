package render

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

var update = flag.Bool("update", false, "rewrite the golden files (testdata/*, examples/rules/*.hcl)")

// checkGolden compares got with the file at path, or rewrites the file under -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("update %s: %v", path, err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update to accept):\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name      string
		rules     []*v1.NodeGuardianRule
		templates []*v1.AlertTemplate
	}{
		{name: "every-field", rules: []*v1.NodeGuardianRule{everyFieldRule()}, templates: []*v1.AlertTemplate{everyFieldTemplate()}},
		{name: "minimal", rules: []*v1.NodeGuardianRule{minimalRule()}},
		{name: "several", rules: []*v1.NodeGuardianRule{minimalRule(), minimalRule()}, templates: []*v1.AlertTemplate{everyFieldTemplate()}},
		{name: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := HCL(tt.rules, tt.templates)
			if err != nil {
				t.Fatalf("HCL: %v", err)
			}
			checkGolden(t, filepath.Join("testdata", tt.name+".hcl"), h)
			formatted, err := FormatHCL(tt.name+".hcl", h)
			if err != nil {
				t.Fatalf("FormatHCL: %v", err)
			}
			if !bytes.Equal(formatted, h) {
				t.Errorf("HCL output is not canonical:\n%s", formatted)
			}
			y, err := YAML(tt.rules, tt.templates)
			if err != nil {
				t.Fatalf("YAML: %v", err)
			}
			checkGolden(t, filepath.Join("testdata", tt.name+".yaml"), y)
		})
	}
}
