package ledger

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// nodeWith is a node whose ledger annotation is raw.
func nodeWith(raw string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Annotations: map[string]string{Annotation: raw}}}
}

const firingEntry = `{"version":1,"rules":{"r":{"state":"Firing","since":"2026-01-01T00:00:00Z","taints":[{"key":"k","effect":"NoSchedule"}]}}}`

func TestRead(t *testing.T) {
	tests := []struct {
		name, raw string
		rules     int
		err       string // "" when valid
	}{
		{name: "absent", raw: "", rules: 0},
		{name: "empty", raw: `{"version":1}`, rules: 0},
		{name: "firing", raw: firingEntry, rules: 1},
		{name: "healthy", raw: `{"version":1,"rules":{"r":{"state":"Healthy","since":"2026-01-01T00:00:00Z","lastFired":"2025-01-01T00:00:00Z"}}}`, rules: 1},
		{name: "not JSON", raw: `{`, err: "node n1: annotation nodeguardian.k8s.io/ledger: unexpected end of JSON input"},
		{name: "version 2", raw: `{"version":2}`, err: "unsupported version 2"},
		// Issue 7: entries the engine cannot act on are corrupt, not a nil dereference.
		{name: "null entry", raw: `{"version":1,"rules":{"r":null}}`, err: "node n1: annotation nodeguardian.k8s.io/ledger: rules.r: null entry"},
		{name: "unknown state", raw: `{"version":1,"rules":{"r":{"state":"Exploding"}}}`, err: `rules.r.state: "Exploding" is not Healthy or Firing`},
		{name: "no state", raw: `{"version":1,"rules":{"r":{}}}`, err: `rules.r.state: "" is not Healthy or Firing`},
		{name: "unknown taint effect", raw: `{"version":1,"rules":{"r":{"state":"Firing","taints":[{"key":"k","effect":"Explode"}]}}}`, err: `rules.r.taints[0].effect: "Explode" is not NoSchedule`},
		{name: "bad time", raw: `{"version":1,"rules":{"r":{"state":"Firing","since":"0001-13-01T00:00:00Z"}}}`, err: "node n1: annotation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Read(nodeWith(tt.raw))
			if l == nil || l.Rules == nil || l.Version != Version {
				t.Fatalf("Read returned %+v: want a usable ledger even on error", l)
			}
			if tt.err == "" {
				if err != nil || len(l.Rules) != tt.rules {
					t.Fatalf("Read = %d rules, %v; want %d rules", len(l.Rules), err, tt.rules)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("Read error = %v, want one containing %q", err, tt.err)
			}
			if len(l.Rules) != 0 {
				t.Errorf("a corrupt ledger must own nothing, got %v", l.Rules)
			}
		})
	}
}

// FuzzRead feeds arbitrary annotations to Read. It may refuse them, with an error
// naming the node and the annotation, but never panics; a ledger it reads can be asked
// what it owns, and its encoding reads back to the same encoding.
func FuzzRead(f *testing.F) {
	for _, s := range []string{"", `{"version":1}`, firingEntry, `{"version":1,"rules":{"r":null}}`,
		`{"version":1,"rules":{"a":{"state":"Healthy","labels":{"x":"y"},"annotations":{"a":"b"},"cordon":true}}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		l, err := Read(nodeWith(raw))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "node n1: annotation "+Annotation+": ") {
				t.Fatalf("error does not name the node and annotation: %v", err)
			}
			return
		}
		l.OwnsTaint("k", corev1.TaintEffectNoSchedule)
		l.OwnsLabel("x")
		l.OwnsAnnotation("a")
		l.OwnsCordon()
		enc := l.Clone().Encode()
		back, err := Read(nodeWith(enc))
		if err != nil {
			t.Fatalf("the encoding %s does not read back: %v", enc, err)
		}
		if again := back.Encode(); again != enc {
			t.Fatalf("encoding is not stable:\n%s\n%s", enc, again)
		}
	})
}
