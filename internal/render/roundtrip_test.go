package render_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/load"
	"github.com/nodeguardian/nodeguardian/internal/render"
)

// objects is what a file holds.
type objects struct {
	rules     []*v1.NodeGuardianRule
	templates []*v1.AlertTemplate
}

// loadFn is load.YAML or load.HCL.
type loadFn func(file string, data []byte) (*load.Set, load.Diagnostics)

// mustLoad loads data with the loader, failing on any error diagnostic.
func mustLoad(t *testing.T, fn loadFn, file string, data []byte) objects {
	t.Helper()
	set, diags := fn(file, data)
	if diags.HasErrors() {
		t.Fatalf("load %s: %v\n%s", file, diags, data)
	}
	return objects{rules: set.Rules, templates: set.Templates}
}

// mustRender renders objs with render.HCL or render.YAML.
func mustRender(t *testing.T, fn func([]*v1.NodeGuardianRule, []*v1.AlertTemplate) ([]byte, error), objs objects) []byte {
	t.Helper()
	out, err := fn(objs.rules, objs.templates)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return out
}

// checkSame fails when two sets of objects differ; variables (raw JSON) are compared
// by value.
func checkSame(t *testing.T, what string, got, want objects) {
	t.Helper()
	render.NormalizeVariables(t, got.templates...)
	render.NormalizeVariables(t, want.templates...)
	if len(got.rules) != len(want.rules) || len(got.templates) != len(want.templates) {
		t.Fatalf("%s: got %d rules and %d templates, want %d and %d", what,
			len(got.rules), len(got.templates), len(want.rules), len(want.templates))
	}
	for i := range got.rules {
		if !reflect.DeepEqual(got.rules[i], want.rules[i]) {
			t.Errorf("%s: rule %q differs:\ngot  %#v\nwant %#v", what, want.rules[i].Name, got.rules[i], want.rules[i])
		}
	}
	for i := range got.templates {
		if !reflect.DeepEqual(got.templates[i], want.templates[i]) {
			t.Errorf("%s: template %q differs:\ngot  %#v\nwant %#v", what, want.templates[i].Name, got.templates[i], want.templates[i])
		}
	}
}

// TestExamplesRoundTrip checks each example set: its YAML and HCL load to the same
// objects, YAML → HCL → YAML loses nothing, and HCL → YAML → HCL gives back the
// canonical HCL byte for byte.
func TestExamplesRoundTrip(t *testing.T) {
	for _, name := range render.ListExamples(t) {
		t.Run(name, func(t *testing.T) {
			yamlFile := filepath.Join(render.ExamplesDir, "yaml", name+".yaml")
			hclFile := filepath.Join(render.ExamplesDir, "hcl", name+".hcl")
			yamlSrc, err := os.ReadFile(yamlFile)
			if err != nil {
				t.Fatal(err)
			}
			hclSrc, err := os.ReadFile(hclFile)
			if err != nil {
				t.Fatal(err)
			}
			fromYAML := mustLoad(t, load.YAML, yamlFile, yamlSrc)
			fromHCL := mustLoad(t, load.HCL, hclFile, hclSrc)
			checkSame(t, "YAML and HCL", fromHCL, fromYAML)

			// YAML → HCL → YAML.
			viaHCL := mustLoad(t, load.HCL, "rendered.hcl", mustRender(t, render.HCL, fromYAML))
			checkSame(t, "YAML → HCL", viaHCL, fromYAML)
			back := mustLoad(t, load.YAML, "rendered.yaml", mustRender(t, render.YAML, viaHCL))
			checkSame(t, "YAML → HCL → YAML", back, fromYAML)

			// HCL → YAML → HCL.
			viaYAML := mustLoad(t, load.YAML, "rendered.yaml", mustRender(t, render.YAML, fromHCL))
			if got := mustRender(t, render.HCL, viaYAML); !bytes.Equal(got, hclSrc) {
				t.Errorf("HCL → YAML → HCL differs from %s:\n%s", hclFile, got)
			}
		})
	}
}

// TestEveryFieldRoundTrip checks that the object setting every field survives
// rendering and loading in both formats, and YAML → HCL → load.
func TestEveryFieldRoundTrip(t *testing.T) {
	want := objects{
		rules:     []*v1.NodeGuardianRule{render.EveryFieldRule(), render.MinimalRule()},
		templates: []*v1.AlertTemplate{render.EveryFieldTemplate()},
	}
	yamlSrc := mustRender(t, render.YAML, want)
	fromYAML := mustLoad(t, load.YAML, "every-field.yaml", yamlSrc)
	checkSame(t, "YAML", fromYAML, want)

	fromHCL := mustLoad(t, load.HCL, "every-field.hcl", mustRender(t, render.HCL, want))
	checkSame(t, "HCL", fromHCL, want)

	viaHCL := mustLoad(t, load.HCL, "every-field.hcl", mustRender(t, render.HCL, fromYAML))
	checkSame(t, "YAML → HCL", viaHCL, want)
}

// TestExamplesLoadTogether loads all the YAML examples as one set, then all the HCL
// ones: each set must be valid without warnings (so every template a rule names is
// among the examples), and the two sets must be equal. YAML and HCL twins cannot be
// loaded together: their names clash.
func TestExamplesLoadTogether(t *testing.T) {
	sets := map[string]objects{}
	for _, ext := range []string{"yaml", "hcl"} {
		var files []string
		for _, name := range render.ListExamples(t) {
			files = append(files, filepath.Join(render.ExamplesDir, ext, name+"."+ext))
		}
		set, diags := load.Paths(files, nil)
		if len(diags) > 0 {
			t.Fatalf("load %v:\n%v", files, diags)
		}
		if len(set.Rules) == 0 || len(set.Templates) == 0 {
			t.Fatalf("the %s examples hold %d rules and %d templates", ext, len(set.Rules), len(set.Templates))
		}
		sets[ext] = objects{rules: set.Rules, templates: set.Templates}
	}
	checkSame(t, "all YAML and all HCL examples", sets["hcl"], sets["yaml"])
}

// TestExplicitEmptyListRoundTrip: evict.excludeNamespaces: [] (evict from every
// namespace) differs from an absent list (kube-system and kube-public are spared), so
// YAML → HCL → YAML must keep it, and keep an absent list absent.
func TestExplicitEmptyListRoundTrip(t *testing.T) {
	const src = `apiVersion: nodeguardian.k8s.io/v1
kind: NodeGuardianRule
metadata:
  name: evict-all
spec:
  conditions:
    - {metric: memoryUtilizationPercent, operator: GreaterThan, value: 95}
  actions:
    - type: evict
      evict: {excludeNamespaces: []}
    - type: evict
      evict: {maxPods: 2}
`
	in := mustLoad(t, load.YAML, "in.yaml", []byte(src))
	hcl := mustRender(t, render.HCL, in)
	if !bytes.Contains(hcl, []byte("exclude_namespaces = []")) {
		t.Errorf("HCL lost the empty list:\n%s", hcl)
	}
	back := mustLoad(t, load.HCL, "back.hcl", hcl)
	checkSame(t, "YAML → HCL", back, in)
	yml := mustRender(t, render.YAML, back)
	if !bytes.Contains(yml, []byte("excludeNamespaces: []")) {
		t.Errorf("YAML lost the empty list:\n%s", yml)
	}
	checkSame(t, "HCL → YAML", mustLoad(t, load.YAML, "again.yaml", yml), in)
	if got := back.rules[0].Spec.Actions[1].Evict.ExcludeNamespaces; got != nil {
		t.Errorf("an absent list came back as %#v", got)
	}
}
