package render

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

// TestYAMLStringsReadBack renders awkward strings as label values and reads them back
// with sigs.k8s.io/yaml (a YAML 1.1 reader, as kubectl uses).
func TestYAMLStringsReadBack(t *testing.T) {
	tests := []string{
		"", "true", "false", "yes", "No", "on", "OFF", "y", "n", "~", "null", "1", "1.5", "1e3",
		"0x1F", "0755", "1_000", "1:20", "12:30:45", ".inf", "-.Inf", ".nan", "<<", "- a", "a: b",
		"#comment", "@at", "`tick", "'single'", "\"double\"", " leading", "trailing ", "{{ node_name }}",
		"multi\nline\n", "no final\nnewline", "  indented\nfirst\n", "tab\there", "ünïcödé",
	}
	for _, s := range tests {
		rule := minimalRule()
		rule.Labels = map[string]string{"k": s}
		rule.Spec.Metadata.Description = s
		out, err := YAML([]*v1.NodeGuardianRule{rule}, nil)
		if err != nil {
			t.Fatalf("YAML(%q): %v", s, err)
		}
		var back v1.NodeGuardianRule
		if err := yaml.UnmarshalStrict(out, &back); err != nil {
			t.Fatalf("read back %q: %v\n%s", s, err, out)
		}
		if back.Labels["k"] != s || back.Spec.Metadata.Description != s {
			t.Errorf("%q reads back as %q and %q:\n%s", s, back.Labels["k"], back.Spec.Metadata.Description, out)
		}
	}
}

// TestYAMLReadsBackEveryField decodes the every-field YAML with sigs.k8s.io/yaml and
// compares it with the objects rendered.
func TestYAMLReadsBackEveryField(t *testing.T) {
	rule, tmpl := everyFieldRule(), everyFieldTemplate()
	out, err := YAML([]*v1.NodeGuardianRule{rule}, []*v1.AlertTemplate{tmpl})
	if err != nil {
		t.Fatalf("YAML: %v", err)
	}
	rules, templates := decodeManifests(t, "every-field.yaml", out)
	if len(rules) != 1 || len(templates) != 1 {
		t.Fatalf("got %d rules and %d templates, want 1 and 1", len(rules), len(templates))
	}
	normalizeVariables(t, tmpl, templates[0])
	if !reflect.DeepEqual(rules[0], rule) {
		t.Errorf("rule reads back differently:\ngot  %+v\nwant %+v", rules[0].Spec, rule.Spec)
	}
	if !reflect.DeepEqual(templates[0], tmpl) {
		t.Errorf("template reads back differently:\ngot  %+v\nwant %+v", templates[0].Spec, tmpl.Spec)
	}
}

// TestYAMLTypeMeta checks the header of each document.
func TestYAMLTypeMeta(t *testing.T) {
	out, err := YAML([]*v1.NodeGuardianRule{minimalRule()}, []*v1.AlertTemplate{everyFieldTemplate()})
	if err != nil {
		t.Fatalf("YAML: %v", err)
	}
	var kinds []metav1.TypeMeta
	for _, doc := range splitDocuments(out) {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			t.Fatalf("read %s: %v", doc, err)
		}
		kinds = append(kinds, tm)
	}
	want := []metav1.TypeMeta{
		{APIVersion: v1.APIVersion, Kind: v1.KindRule},
		{APIVersion: v1.APIVersion, Kind: v1.KindAlertTemplate},
	}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("documents are %v, want %v", kinds, want)
	}
}
