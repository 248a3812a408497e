package fleet

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// Files in block layout are read item by item, with the same result as one document
// (sameAsDocument); others are read as one document — also with the same errors.
func TestParseStreamsBlockLayout(t *testing.T) {
	demo, err := os.ReadFile(filepath.Join("..", "..", "examples", "fleet", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	marshalled, err := Marshal(benchSnapshot(40))
	if err != nil {
		t.Fatal(err)
	}
	head := "apiVersion: nodeguardian.k8s.io/v1\nkind: FleetSnapshot\ntime: '2026-11-29T12:00:00Z'\ninterval: 30s\n"
	for _, tc := range []struct {
		name     string
		data     []byte
		streamed bool
	}{
		{"demo (items at column 0, comments)", demo, true},
		{"Marshal output (items indented)", marshalled, true},
		{"comments and blank lines between items", []byte(head + "nodes:\n\n  # one\n  - metadata:\n      name: a\n\n# two\n  - metadata: {name: b}\nseries:\n  a: {m: 1x3}\n"), true},
		{"a block scalar with a # line", []byte(head + "nodes:\n- metadata:\n    name: a\n    annotations:\n      note: |\n        # not a comment\n        text\n"), true},
		{"anchor used in another item", []byte(head + "nodes:\n- metadata: &m {name: a}\n- metadata: *m\n"), false},
		{"flow style list", []byte(head + "nodes: [{metadata: {name: a}}]\n"), false},
		{"JSON", []byte(`{"apiVersion":"nodeguardian.k8s.io/v1","kind":"FleetSnapshot","time":"2026-11-29T12:00:00Z","interval":"30s","nodes":[{"metadata":{"name":"a"}}]}`), false},
		{"document marker", []byte("---\n" + head + "nodes:\n- metadata: {name: a}\n"), false},
		{"syntax error in an item", []byte(head + "nodes:\n- metadata: {name: a\n- metadata: {name: b}\n"), false},
		{"bad object in an item", []byte(head + "nodes:\n- metadata: {name: a}\n- metadata: {name: [x]}\n"), true},
		{"duplicate field", []byte(head + "nodes:\n- metadata: {name: a}\nnodes:\n- metadata: {name: b}\n"), false},
		{"unknown field", []byte(head + "nodes:\n- metadata: {name: a}\nextra: 1\n"), true},
		{"pod on an unknown node (a warning)", []byte(head + "nodes:\n- metadata: {name: a}\npods:\n- metadata: {name: p}\n  spec: {nodeName: b}\n"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := splitLayout(tc.data)
			split := err == nil && len(l.items) > 0
			if split != tc.streamed && !bytes.Contains(tc.data, []byte("{name: a\n")) && !bytes.Contains(tc.data, []byte("*m")) {
				t.Errorf("split in block layout: %v, want %v (%v)", split, tc.streamed, err)
			}
			s, err := Parse("fuzz.yaml", tc.data)
			sameAsDocument(t, tc.data, s, err)
		})
	}
}
