package deploy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// fluxObject is the part of a Flux GitRepository or Kustomization (or any manifest)
// the example's test reads.
type fluxObject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		URL       string `json:"url"`
		Path      string `json:"path"`
		Prune     bool   `json:"prune"`
		Wait      bool   `json:"wait"`
		SourceRef struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"sourceRef"`
		DependsOn []struct {
			Name string `json:"name"`
		} `json:"dependsOn"`
		HealthChecks []struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Name       string `json:"name"`
			Namespace  string `json:"namespace"`
		} `json:"healthChecks"`
	} `json:"spec"`
}

// readManifests decodes every YAML document in the files.
func readManifests(t *testing.T, files ...string) []fluxObject {
	t.Helper()
	var out []fluxObject
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			var o fluxObject
			err := dec.Decode(&o)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o.Kind != "" {
				out = append(out, o)
			}
		}
	}
	return out
}

// TestFluxExample: the Kustomizations in examples/flux point at folders of this
// repository, in order (rules after the controller), with health checks naming exactly
// the rules of their folder.
func TestFluxExample(t *testing.T) {
	root := ".."
	objs := readManifests(t, filepath.Join(root, "examples", "flux", "controller.yaml"), filepath.Join(root, "examples", "flux", "rules.yaml"))
	byName := map[string]fluxObject{}
	for _, o := range objs {
		byName[o.Kind+"/"+o.Metadata.Name] = o
	}
	repo, ok := byName["GitRepository/nodeguardian"]
	if !ok || repo.APIVersion != "source.toolkit.fluxcd.io/v1" || repo.Spec.URL == "" {
		t.Fatalf("want a GitRepository nodeguardian (source.toolkit.fluxcd.io/v1) with a url: %+v", repo)
	}

	cases := []struct {
		name      string
		path      string
		dependsOn []string
		wait      bool
	}{
		{"nodeguardian-controller", "./deploy", nil, true},
		{"nodeguardian-rules", "./examples/rules/yaml", []string{"nodeguardian-controller"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k, ok := byName["Kustomization/"+tc.name]
			if !ok {
				t.Fatalf("no Kustomization %s", tc.name)
			}
			if k.APIVersion != "kustomize.toolkit.fluxcd.io/v1" || k.Metadata.Namespace != repo.Metadata.Namespace {
				t.Errorf("%s %s in %q: want kustomize.toolkit.fluxcd.io/v1 in the GitRepository's namespace %q",
					k.APIVersion, k.Metadata.Name, k.Metadata.Namespace, repo.Metadata.Namespace)
			}
			if k.Spec.SourceRef.Kind != "GitRepository" || k.Spec.SourceRef.Name != repo.Metadata.Name {
				t.Errorf("sourceRef = %+v, want GitRepository %s", k.Spec.SourceRef, repo.Metadata.Name)
			}
			if k.Spec.Path != tc.path || !k.Spec.Prune || k.Spec.Wait != tc.wait {
				t.Errorf("path %q prune %v wait %v, want %q true %v", k.Spec.Path, k.Spec.Prune, k.Spec.Wait, tc.path, tc.wait)
			}
			if fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(k.Spec.Path))); err != nil || !fi.IsDir() {
				t.Errorf("path %s: not a folder of the repository (%v)", k.Spec.Path, err)
			}
			var deps []string
			for _, d := range k.Spec.DependsOn {
				deps = append(deps, d.Name)
				if _, ok := byName["Kustomization/"+d.Name]; !ok {
					t.Errorf("dependsOn %s: no such Kustomization in the example", d.Name)
				}
			}
			if !slices.Equal(deps, tc.dependsOn) {
				t.Errorf("dependsOn %q, want %q", deps, tc.dependsOn)
			}
		})
	}

	// The controller's path is the kustomize base Build renders.
	if _, err := os.Stat(filepath.Join(root, "deploy", "kustomization.yaml")); err != nil {
		t.Error(err)
	}

	// The rules' health checks are exactly the NodeGuardianRules of the folder.
	rules := byName["Kustomization/nodeguardian-rules"]
	dir := filepath.Join(root, filepath.FromSlash(rules.Spec.Path))
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no YAML in %s (%v)", dir, err)
	}
	var want []string
	for _, o := range readManifests(t, files...) {
		if o.Kind == "NodeGuardianRule" {
			if o.APIVersion != "nodeguardian.k8s.io/v1" {
				t.Errorf("rule %s: apiVersion %s", o.Metadata.Name, o.APIVersion)
			}
			want = append(want, o.Metadata.Name)
		}
	}
	var got []string
	for _, h := range rules.Spec.HealthChecks {
		if h.APIVersion != "nodeguardian.k8s.io/v1" || h.Kind != "NodeGuardianRule" || h.Namespace != "" {
			t.Errorf("health check %+v: want a NodeGuardianRule (nodeguardian.k8s.io/v1, cluster-scoped)", h)
		}
		got = append(got, h.Name)
	}
	slices.Sort(want)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" || len(want) == 0 {
		t.Errorf("health checks of %s vs. the rules in %s (-rules +health checks):\n%s", rules.Metadata.Name, rules.Spec.Path, diff)
	}
}
