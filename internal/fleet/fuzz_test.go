package fleet

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the snapshot parser: it may refuse them, never panic;
// every error and warning names the file; what it accepts expands in time, marshals and
// parses back.
func FuzzParse(f *testing.F) {
	demo, err := os.ReadFile(filepath.Join("..", "..", "examples", "fleet", "demo.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(demo)
	f.Add([]byte("apiVersion: nodeguardian.k8s.io/v1\nkind: FleetSnapshot\ntime: '2026-11-29T12:00:00Z'\ninterval: 30s\nnodes: [{metadata: {name: a}}]\nseries: {a: {m: '1x3 _ 2'}}\n"))
	hostile := "apiVersion: nodeguardian.k8s.io/v1\nkind: FleetSnapshot\ntime: '0001-01-01T00:00:00Z'\ninterval: 2000000h\n" +
		"nodes: [{metadata: {name: a}, spec: {taints: [{key: k, effect: Explode}]}}]\n" +
		"pods: [{metadata: {name: p}, spec: {nodeName: b}}]\nseries: {a: {m: '1.7x9223372036854775807'}}\n"
	f.Add([]byte(hostile))
	f.Add([]byte("apiVersion: nodeguardian.k8s.io/v1\nkind: FleetSnapshot\ntime: '2026-11-29T12:00:00Z'\ninterval: 30s\n" +
		"nodes:\n- &n\n  metadata: {name: a}\n# between\n- metadata:\n    name: b\n    labels: *n\npods:\n  - metadata: {name: p}\n    spec: {nodeName: a}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		sameAsDocument(t, data, s, err)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, w := range s.Warnings {
			if w.File != "fuzz.yaml" || w.Line <= 0 || w.Field == "" {
				t.Fatalf("warning does not name file, line and field: %#v", w)
			}
		}
		if _, err := s.Data(); err != nil {
			t.Fatalf("Parse accepted a snapshot whose series do not expand: %v", err)
		}
		for _, obj := range slices.Concat(asAny(ptrs(s.Nodes)), asAny(ptrs(s.Pods)), asAny(ptrs(s.PodDisruptionBudgets))) {
			got, err1 := compactObject(obj)
			want, err2 := compactVerified(obj)
			if err1 != nil || err2 != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("compactObject %v (%v) differs from the verified pruning %v (%v)", got, err1, want, err2)
			}
		}
		out, err := Marshal(s)
		if err != nil {
			t.Fatalf("Marshal of a parsed snapshot: %v", err)
		}
		if _, err := Parse("again.yaml", out); err != nil {
			t.Fatalf("a marshalled snapshot does not parse: %v\n%s", err, out)
		}
	})
}

// sameAsDocument fails unless Parse's result (s, err), streamed or not, is what reading
// data as one document gives.
func sameAsDocument(t *testing.T, data []byte, s *Snapshot, err error) {
	t.Helper()
	want, wantErr := parseDocument("fuzz.yaml", data)
	switch {
	case (err == nil) != (wantErr == nil):
		t.Fatalf("streamed read: %v; as one document: %v", err, wantErr)
	case err != nil && err.Error() != wantErr.Error():
		t.Fatalf("streamed read error:\n%v\nas one document:\n%v", err, wantErr)
	case err == nil && !reflect.DeepEqual(s, want):
		t.Fatalf("streamed read differs from reading one document:\n%#v\n%#v", s, want)
	}
}
