package main

import (
	"strings"
	"testing"
)

const configMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  threshold: "1.5"
`

// almostRule is a rule whose apiVersion or kind is almost ours.
func almostRule(apiVersion, kind string) string {
	return `apiVersion: ` + apiVersion + `
kind: ` + kind + `
metadata:
  name: almost
spec:
  conditions:
    - metric: cpuLoadRatio
      operator: GreaterThan
      value: 1.5
  actions:
    - type: cordon
`
}

// TestValidateNearlyOurs: a document that is almost a NodeGuardian object is an error
// naming the value it must have, not a skipped document; other kinds are still skipped.
func TestValidateNearlyOurs(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content, stderr string
	}{
		{"kind in lower case", almostRule("nodeguardian.k8s.io/v1", "nodeguardianrule"),
			`almost.yaml:2:7: error: kind: must be "NodeGuardianRule" (got "nodeguardianrule")`},
		{"the prototype's group", almostRule("nodeguardian.io/v1", "NodeGuardianRule"),
			`almost.yaml:1:13: error: apiVersion: must be "nodeguardian.k8s.io/v1" (got "nodeguardian.io/v1")`},
		{"another version", almostRule("nodeguardian.k8s.io/v1beta1", "NodeGuardianRule"),
			`almost.yaml:1:13: error: apiVersion: must be "nodeguardian.k8s.io/v1" (got "nodeguardian.k8s.io/v1beta1")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := writeFile(t, dir, "almost.yaml", tt.content)
			code, out, errOut := ngctl(t, "", "validate", "-f", f)
			if code != 1 || !strings.Contains(errOut, tt.stderr) || !strings.Contains(out, "invalid (1 error") {
				t.Errorf("exit %d, want 1 with %q\nstdout: %s\nstderr: %s", code, tt.stderr, out, errOut)
			}
		})
	}
}

// TestValidateNoObjects: inputs holding no rule and no template at all fail; a stream
// with other kinds besides ours (kustomize build | ngctl validate -f -) passes.
func TestValidateNoObjects(t *testing.T) {
	dir := t.TempDir()
	cm := writeFile(t, dir, "configmap.yaml", configMap)
	empty := t.TempDir()
	tests := []struct {
		name, stdin string
		args        []string
		code        int
		stdout      string
		stderr      string
	}{
		{"other kinds only", "", []string{"validate", "-f", cm}, 1, "0 rules, 0 alert templates: invalid (1 error",
			"error: no NodeGuardian objects in " + cm + " (1 file read, 1 document of other kinds skipped)"},
		{"empty directory", "", []string{"validate", "-f", empty, "-f", cm}, 1, "invalid",
			"error: no NodeGuardian objects in " + empty + ", " + cm},
		{"empty stdin", "", []string{"validate", "-f", "-"}, 1, "invalid", "error: no NodeGuardian objects in <stdin>"},
		{"json", "", []string{"validate", "-o", "json", "-f", cm}, 1, `"message": "no NodeGuardian objects in ` + cm, ""},
		{"a stream with other kinds", configMap + "---\n" + almostRule("nodeguardian.k8s.io/v1", "NodeGuardianRule"),
			[]string{"validate", "-v", "-f", "-"}, 0, "1 rule, 0 alert templates: valid", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := ngctl(t, tt.stdin, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errOut, tt.stderr) {
				t.Errorf("exit %d (want %d)\nstdout: %s(want %q)\nstderr: %s(want %q)", code, tt.code, out, tt.stdout, errOut, tt.stderr)
			}
		})
	}
}
