package fleet

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the snapshot parser: it may refuse them, never panic,
// and what it accepts must marshal and parse back.
func FuzzParse(f *testing.F) {
	demo, err := os.ReadFile(filepath.Join("..", "..", "examples", "fleet", "demo.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(demo)
	f.Add([]byte("apiVersion: nodeguardian.k8s.io/v1\nkind: FleetSnapshot\ntime: '2026-11-29T12:00:00Z'\ninterval: 30s\nnodes: [{metadata: {name: a}}]\nseries: {a: {m: '1x3 _ 2'}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		if _, err := s.Data(); err != nil {
			t.Fatalf("Parse accepted a snapshot whose series do not expand: %v", err)
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
