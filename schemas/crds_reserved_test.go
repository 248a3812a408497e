package schemas_test

import (
	"fmt"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/schemas"
)

// TestCRDReservedKeyRules checks that the CEL rules of the CRD that guard reserved keys
// (written out in the +kubebuilder markers of api/v1) use v1.ReservedKeyPattern as it is
// at every place a rule names a key, with the exception v1.AllowedReservedTaintKeys for
// taint keys only.
func TestCRDReservedKeyRules(t *testing.T) {
	docs, err := schemas.CRDs()
	if err != nil {
		t.Fatal(err)
	}
	quoted := make([]string, len(v1.AllowedReservedTaintKeys))
	for i, k := range v1.AllowedReservedTaintKeys {
		quoted[i] = "'" + k + "'"
	}
	allowed := "[" + strings.Join(quoted, ", ") + "]"
	found := map[string]bool{}
	for _, doc := range docs {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(doc, &crd); err != nil {
			t.Fatal(err)
		}
		for _, ver := range crd.Spec.Versions {
			walkRules(ver.Schema.OpenAPIV3Schema, crd.Spec.Names.Kind, func(path, rule string) {
				if !strings.Contains(rule, "kubernetes") || !strings.Contains(rule, "matches(") {
					return
				}
				found[path] = true
				if !strings.Contains(rule, ".matches('"+v1.ReservedKeyPattern+"')") {
					t.Errorf("%s: rule %q does not use v1.ReservedKeyPattern %q", path, rule, v1.ReservedKeyPattern)
				}
				taint := strings.HasSuffix(path, ".taint")
				if excepts := strings.Contains(rule, " in "); excepts != taint || taint && !strings.Contains(rule, " in "+allowed) {
					t.Errorf("%s: rule %q: only taint keys may have the exception v1.AllowedReservedTaintKeys %s", path, rule, allowed)
				}
			})
		}
	}
	for _, want := range []string{
		"NodeGuardianRule.spec.actions[].taint",
		"NodeGuardianRule.spec.actions[].label",
		"NodeGuardianRule.spec.actions[].annotation",
		"NodeGuardianRule.spec.recoveryActions[].taint",
		"NodeGuardianRule.spec.recoveryActions[].label",
		"NodeGuardianRule.spec.recoveryActions[].annotation",
	} {
		if !found[want] {
			t.Errorf("no reserved-key rule at %s (found %v)", want, found)
		}
	}
}

// walkRules calls fn with the path and the rule of every x-kubernetes-validations rule.
func walkRules(s *apiextensionsv1.JSONSchemaProps, path string, fn func(path, rule string)) {
	if s == nil {
		return
	}
	for _, r := range s.XValidations {
		fn(path, r.Rule)
	}
	for name, p := range s.Properties {
		walkRules(&p, fmt.Sprintf("%s.%s", path, name), fn)
	}
	if s.Items != nil {
		walkRules(s.Items.Schema, path+"[]", fn)
	}
}
