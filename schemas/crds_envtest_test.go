package schemas_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/load"
	"github.com/nodeguardian/nodeguardian/internal/testenv"
)

// strict makes the API server reject unknown and duplicate fields instead of pruning them
// with a warning, so a typo in a manifest fails the test.
var strict = client.FieldValidation(metav1.FieldValidationStrict)

// TestEnvtestCRDs is the acceptance test of the generated CRDs against a real
// kube-apiserver: run it with NODEGUARDIAN_REQUIRE_ENVTEST=1 go test ./schemas/ -run Envtest.
func TestEnvtestCRDs(t *testing.T) {
	env := testenv.Start(t)

	t.Run("Established", func(t *testing.T) { testEstablished(t, env) })
	t.Run("PrinterColumns", func(t *testing.T) { testPrinterColumns(t, env) })
	t.Run("StatusSubresource", func(t *testing.T) { testStatusSubresource(t, env) })
	t.Run("Examples", func(t *testing.T) { testExamples(t, env) })
	t.Run("HCLExamples", func(t *testing.T) { testHCLExamples(t, env) })
	t.Run("Defaults", func(t *testing.T) { testDefaults(t, env) })
	t.Run("EmptyStringDefaults", func(t *testing.T) { testEmptyStringDefaults(t, env) })
	t.Run("Invalid", func(t *testing.T) { testInvalid(t, env) })
	t.Run("Valid", func(t *testing.T) { testValid(t, env) })
	t.Run("PrometheusURLs", func(t *testing.T) { testPrometheusURLs(t, env) })
}

func testEstablished(t *testing.T, env *testenv.Env) {
	want, err := testenv.CRDs()
	if err != nil {
		t.Fatal(err)
	}
	for _, crd := range want {
		t.Run(crd.Name, func(t *testing.T) {
			got := &apiextensionsv1.CustomResourceDefinition{}
			if err := env.Client.Get(t.Context(), types.NamespacedName{Name: crd.Name}, got); err != nil {
				t.Fatalf("get CRD: %v", err)
			}
			if !testenv.IsEstablished(got) {
				t.Fatalf("CRD not Established: %+v", got.Status.Conditions)
			}
			for _, c := range got.Status.Conditions {
				if c.Type == apiextensionsv1.NonStructuralSchema && c.Status == apiextensionsv1.ConditionTrue {
					t.Errorf("CRD schema is not structural: %s", c.Message)
				}
			}
		})
	}
}

func testPrinterColumns(t *testing.T, env *testenv.Env) {
	tests := []struct {
		crd        string
		wantStatus bool
		want       []apiextensionsv1.CustomResourceColumnDefinition
	}{
		{
			crd:        "nodeguardianrules." + v1.Group,
			wantStatus: true,
			want: []apiextensionsv1.CustomResourceColumnDefinition{
				{Name: "Ready", Type: "string", JSONPath: `.status.conditions[?(@.type=="Ready")].status`},
				{Name: "Firing", Type: "integer", JSONPath: ".status.firingCount"},
				{Name: "Matched", Type: "integer", JSONPath: ".status.matchedNodes"},
				{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"},
			},
		},
		{
			crd: "alerttemplates." + v1.Group,
			want: []apiextensionsv1.CustomResourceColumnDefinition{
				{Name: "Subject", Type: "string", JSONPath: ".spec.subject"},
				{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.crd, func(t *testing.T) {
			crd := &apiextensionsv1.CustomResourceDefinition{}
			if err := env.Client.Get(t.Context(), types.NamespacedName{Name: tt.crd}, crd); err != nil {
				t.Fatalf("get CRD: %v", err)
			}
			if len(crd.Spec.Versions) != 1 || crd.Spec.Versions[0].Name != v1.GroupVersion.Version {
				t.Fatalf("versions = %+v, want only %s", crd.Spec.Versions, v1.GroupVersion.Version)
			}
			ver := crd.Spec.Versions[0]
			if !equality.Semantic.DeepEqual(ver.AdditionalPrinterColumns, tt.want) {
				t.Errorf("printer columns\n got %+v\nwant %+v", ver.AdditionalPrinterColumns, tt.want)
			}
			hasStatus := ver.Subresources != nil && ver.Subresources.Status != nil
			if hasStatus != tt.wantStatus {
				t.Errorf("status subresource = %v, want %v", hasStatus, tt.wantStatus)
			}
		})
	}
}

// testStatusSubresource writes status through the status client, checks that a plain
// update cannot change it, and that the printer columns show it in a server-side table.
func testStatusSubresource(t *testing.T, env *testenv.Env) {
	ctx := t.Context()
	rule := mustRule(t, "status-subresource", minimalSpec)
	if err := env.Client.Create(ctx, rule, strict); err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), rule) })

	rule.Status = v1.NodeGuardianRuleStatus{
		ObservedGeneration: rule.Generation,
		MatchedNodes:       3,
		FiringCount:        1,
		FiringNodes:        []v1.FiringNode{{Name: "node-a", Since: metav1.Now().Rfc3339Copy()}},
		Conditions: []metav1.Condition{{
			Type: "Ready", Status: metav1.ConditionTrue, Reason: "Evaluated", Message: "ok",
			ObservedGeneration: rule.Generation, LastTransitionTime: metav1.Now().Rfc3339Copy(),
		}},
	}
	wantStatus := *rule.Status.DeepCopy()
	if err := env.Client.Status().Update(ctx, rule); err != nil {
		t.Fatalf("status update: %v", err)
	}
	got := &v1.NodeGuardianRule{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(rule), got); err != nil {
		t.Fatal(err)
	}
	if !equality.Semantic.DeepEqual(got.Status, wantStatus) {
		t.Fatalf("status after status update\n got %s\nwant %s", toJSON(t, got.Status), toJSON(t, wantStatus))
	}

	// A plain update must ignore status.
	got.Status.MatchedNodes = 99
	if err := env.Client.Update(ctx, got); err != nil {
		t.Fatalf("update: %v", err)
	}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(rule), got); err != nil {
		t.Fatal(err)
	}
	if got.Status.MatchedNodes != 3 {
		t.Errorf("a plain update changed status.matchedNodes to %d: the status subresource is not enabled", got.Status.MatchedNodes)
	}

	cells := tableRow(t, env.Config, "nodeguardianrules", rule.Name)
	want := map[string]string{"Name": rule.Name, "Ready": "True", "Firing": "1", "Matched": "3"}
	for col, w := range want {
		if cells[col] != w {
			t.Errorf("table column %s = %q, want %q (row %v)", col, cells[col], w, cells)
		}
	}
}

// tableRow fetches one object as a server-side meta.k8s.io Table (what kubectl get
// prints) and returns its cells by column name.
func tableRow(t *testing.T, cfg *rest.Config, resource, name string) map[string]string {
	t.Helper()
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("%s/apis/%s/%s/%s", strings.TrimSuffix(cfg.Host, "/"), v1.GroupVersion, resource, name)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s as Table: %s: %s", url, resp.Status, body)
	}
	var table metav1.Table
	if err := json.Unmarshal(body, &table); err != nil {
		t.Fatalf("decode table: %v", err)
	}
	if len(table.Rows) != 1 || len(table.Rows[0].Cells) != len(table.ColumnDefinitions) {
		t.Fatalf("table has %d rows, want 1 with one cell per column: %s", len(table.Rows), body)
	}
	cells := map[string]string{}
	for i, col := range table.ColumnDefinitions {
		cells[col.Name] = fmt.Sprint(table.Rows[0].Cells[i])
	}
	return cells
}

// testExamples creates every document of examples/rules/*.yaml and schemas/testdata/*.yaml
// with strict field validation, then deletes it again (the files may reuse names).
func testExamples(t *testing.T, env *testenv.Env) {
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, pattern := range []string{
		filepath.Join(root, "examples", "rules", "yaml", "*.yaml"),
		filepath.Join(root, "examples", "rules", "yaml", "*.yml"),
		filepath.Join("testdata", "*.yaml"),
	} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatal("no example manifests found")
	}
	for _, file := range files {
		rel, err := filepath.Rel(root, file)
		if err != nil {
			rel = file
		}
		t.Run(rel, func(t *testing.T) {
			docs, err := readManifests(file)
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) == 0 {
				t.Fatal("no documents")
			}
			for i, obj := range docs {
				if obj.GroupVersionKind().Group != v1.Group {
					t.Logf("document %d: skipping %s %s", i, obj.GroupVersionKind(), obj.GetName())
					continue
				}
				if err := env.Client.Create(t.Context(), obj, strict); err != nil {
					t.Errorf("document %d (%s %s): %v", i, obj.GetKind(), obj.GetName(), err)
					continue
				}
				if err := env.Client.Delete(t.Context(), obj); err != nil {
					t.Errorf("document %d (%s %s): delete: %v", i, obj.GetKind(), obj.GetName(), err)
				}
			}
		})
	}
}

// testHCLExamples loads every examples/rules/*.hcl through internal/load and creates
// what it holds, with strict field validation; when a YAML file of the same base name
// holds an object of the same kind and name, the two must be stored identically.
func testHCLExamples(t *testing.T, env *testenv.Env) {
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "examples", "rules", "hcl", "*.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("no examples/rules/*.hcl")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			set, diags := load.HCL(file, data)
			if diags.HasErrors() {
				t.Fatalf("load.HCL:\n%v", diags)
			}
			var objs []client.Object
			for _, r := range set.Rules {
				objs = append(objs, r)
			}
			for _, tmpl := range set.Templates {
				objs = append(objs, tmpl)
			}
			if len(objs) == 0 {
				t.Fatal("no rules or templates")
			}
			twin := yamlTwin(t, filepath.Join(root, "examples", "rules", "yaml", strings.TrimSuffix(filepath.Base(file), ".hcl")+".yaml"))
			for _, obj := range objs {
				kind := fmt.Sprintf("%T", obj)
				if err := env.Client.Create(t.Context(), obj, strict); err != nil {
					t.Errorf("%s %s: %v", kind, obj.GetName(), err)
					continue
				}
				fromHCL := storedSpec(t, env, obj)
				if err := env.Client.Delete(t.Context(), obj); err != nil {
					t.Errorf("%s %s: delete: %v", kind, obj.GetName(), err)
				}
				y, ok := twin[client.ObjectKeyFromObject(obj).Name+"/"+kindOf(obj)]
				if !ok {
					continue
				}
				if err := env.Client.Create(t.Context(), y, strict); err != nil {
					t.Errorf("%s %s from the YAML twin: %v", kind, y.GetName(), err)
					continue
				}
				fromYAML := storedSpec(t, env, y)
				if err := env.Client.Delete(t.Context(), y); err != nil {
					t.Errorf("%s %s from the YAML twin: delete: %v", kind, y.GetName(), err)
				}
				if !equality.Semantic.DeepEqual(fromHCL, fromYAML) {
					t.Errorf("%s %s is stored differently from HCL and from YAML\n HCL: %s\nYAML: %s",
						kind, obj.GetName(), toJSON(t, fromHCL), toJSON(t, fromYAML))
				}
			}
		})
	}
}

// yamlTwin reads the objects of a YAML file, if it exists, keyed by "<name>/<kind>".
func yamlTwin(t *testing.T, file string) map[string]*unstructured.Unstructured {
	t.Helper()
	if _, err := os.Stat(file); err != nil {
		return nil
	}
	docs, err := readManifests(file)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*unstructured.Unstructured{}
	for _, d := range docs {
		out[d.GetName()+"/"+d.GetKind()] = d
	}
	return out
}

func kindOf(obj client.Object) string {
	switch obj.(type) {
	case *v1.NodeGuardianRule:
		return v1.KindRule
	case *v1.AlertTemplate:
		return v1.KindAlertTemplate
	}
	return obj.GetObjectKind().GroupVersionKind().Kind
}

// storedSpec reads obj back from the server into its Go type and returns the spec.
func storedSpec(t *testing.T, env *testenv.Env, obj client.Object) any {
	t.Helper()
	key := client.ObjectKeyFromObject(obj)
	switch kindOf(obj) {
	case v1.KindRule:
		r := &v1.NodeGuardianRule{}
		if err := env.Client.Get(t.Context(), key, r); err != nil {
			t.Fatalf("get rule %s: %v", key.Name, err)
		}
		return r.Spec
	case v1.KindAlertTemplate:
		a := &v1.AlertTemplate{}
		if err := env.Client.Get(t.Context(), key, a); err != nil {
			t.Fatalf("get template %s: %v", key.Name, err)
		}
		return a.Spec
	}
	t.Fatalf("unexpected object %T", obj)
	return nil
}

// readManifests splits a multi-document YAML file into objects, skipping empty documents.
func readManifests(file string) ([]*unstructured.Unstructured, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("open manifest: %w", err)
	}
	defer func() { _ = f.Close() }()
	r := utilyaml.NewYAMLReader(bufio.NewReader(f))
	var out []*unstructured.Unstructured
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", file, err)
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("%s document %d: %w", file, len(out), err)
		}
		if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
			continue
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(js); err != nil {
			return nil, fmt.Errorf("%s document %d: %w", file, len(out), err)
		}
		out = append(out, obj)
	}
}
