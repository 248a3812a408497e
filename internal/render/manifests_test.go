package render

import (
	"bytes"
	"encoding/json"
	"regexp"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

// splitDocuments splits a YAML stream at its "---" lines, dropping empty documents.
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	for _, doc := range regexp.MustCompile(`(?m)^---[ \t]*$`).Split(string(data), -1) {
		if len(bytes.TrimSpace([]byte(doc))) > 0 {
			docs = append(docs, []byte(doc))
		}
	}
	return docs
}

// decodeManifests reads a YAML stream of manifests strictly, with sigs.k8s.io/yaml.
// It stands in for the loader in the tests that must not depend on it.
func decodeManifests(t *testing.T, file string, data []byte) ([]*v1.NodeGuardianRule, []*v1.AlertTemplate) {
	t.Helper()
	var rules []*v1.NodeGuardianRule
	var templates []*v1.AlertTemplate
	for i, doc := range splitDocuments(data) {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			t.Fatalf("%s: document %d: %v", file, i, err)
		}
		var err error
		switch tm.Kind {
		case v1.KindRule:
			r := &v1.NodeGuardianRule{}
			err = yaml.UnmarshalStrict(doc, r)
			rules = append(rules, r)
		case v1.KindAlertTemplate:
			a := &v1.AlertTemplate{}
			err = yaml.UnmarshalStrict(doc, a)
			templates = append(templates, a)
		default:
			t.Fatalf("%s: document %d: unknown kind %q", file, i, tm.Kind)
		}
		if err != nil {
			t.Fatalf("%s: document %d: %v", file, i, err)
		}
	}
	return rules, templates
}

// normalizeVariables makes equal variables compare equal: JSON is kept as raw bytes,
// whose key order and spacing may differ between two readings of the same value.
func normalizeVariables(t *testing.T, templates ...*v1.AlertTemplate) {
	t.Helper()
	for _, tmpl := range templates {
		if tmpl.Spec.Variables == nil {
			continue
		}
		var v any
		if err := json.Unmarshal(tmpl.Spec.Variables.Raw, &v); err != nil {
			t.Fatalf("template %q: variables: %v", tmpl.Name, err)
		}
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("template %q: variables: %v", tmpl.Name, err)
		}
		tmpl.Spec.Variables = &apiextensionsv1.JSON{Raw: raw}
	}
}
