package ledger

import (
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func node(raw string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Annotations: map[string]string{Annotation: raw}}}
}

func TestReadSetsAsideWhatItCannotTrust(t *testing.T) {
	const since = `"since":"2026-11-29T11:00:00Z"`
	tests := []struct {
		name, entry string
		problem     string // "" = the entry is trusted
	}{
		{"valid", `{"state":"Firing",` + since + `,"taints":[{"key":"a/b","value":"x","effect":"NoSchedule"}],"cordon":true}`, ""},
		{"out-of-service is allowed", `{"state":"Firing",` + since + `,"taints":[{"key":"node.kubernetes.io/out-of-service","effect":"NoExecute"}]}`, ""},
		// Only as a taint (issue 7): as a label or annotation key it is reserved.
		{"out-of-service label", `{"state":"Firing",` + since + `,"labels":{"node.kubernetes.io/out-of-service":"x"}}`, "reserved label node.kubernetes.io/out-of-service"},
		{"out-of-service annotation", `{"state":"Firing",` + since + `,"annotations":{"node.kubernetes.io/out-of-service":"x"}}`, "reserved annotation node.kubernetes.io/out-of-service"},
		// Times before NodeGuardian existed are forged; Read checks no future times
		// (ReadAt does: the plan's Now).
		{"since before 2000", `{"state":"Healthy","since":"1999-12-31T23:59:59Z"}`, "since 1999-12-31T23:59:59Z is before 2000"},
		{"lastFired in 2999 without a now", `{"state":"Healthy",` + since + `,"lastFired":"2999-01-01T00:00:00Z"}`, ""},
		{"unknown state", `{"state":"Exploded",` + since + `}`, `state "Exploded" is neither Healthy nor Firing`},
		{"no since", `{"state":"Healthy"}`, "no since time"},
		{"unknown field", `{"state":"Healthy",` + since + `,"x":1}`, `unknown field "x"`},
		{"wrong type", `{"state":3}`, "entry does not decode"},
		{"null", `null`, `state "" is neither`},
		{"no state", `{}`, `state "" is neither`},
		{"bad time", `{"state":"Firing","since":"0001-13-01T00:00:00Z"}`, "entry does not decode"},
		{"system taint", `{"state":"Firing",` + since + `,"taints":[{"key":"node.kubernetes.io/unreachable","effect":"NoExecute"}]}`, "reserved taint node.kubernetes.io/unreachable"},
		{"hostname label", `{"state":"Firing",` + since + `,"labels":{"kubernetes.io/hostname":"x"}}`, "reserved label kubernetes.io/hostname"},
		{"control annotation", `{"state":"Firing",` + since + `,"annotations":{"nodeguardian.k8s.io/exclude":"x"}}`, "reserved annotation nodeguardian.k8s.io/exclude"},
		{"empty taint key", `{"state":"Firing",` + since + `,"taints":[{"key":"","effect":"NoSchedule"}]}`, "a taint has an empty key"},
		{"unknown effect", `{"state":"Firing",` + since + `,"taints":[{"key":"a","effect":"Explode"}]}`, `unknown effect "Explode"`},
		{"empty label key", `{"state":"Firing",` + since + `,"labels":{"":"x"}}`, "a label has an empty key"},
		// encoding/json matches keys in any case and keeps the last of two (issue 7).
		{"state in another case", `{"state":"Firing",` + since + `,"STATE":"Healthy","taints":[{"key":"a","effect":"NoSchedule"}]}`, `unknown field "STATE" (field names are case-sensitive: "state")`},
		{"state twice", `{"state":"Firing",` + since + `,"state":"Healthy"}`, `field "state" appears twice`},
		{"label twice", `{"state":"Firing",` + since + `,"labels":{"a":"1","a":"2"}}`, `labels: field "a" appears twice`},
		{"taint key in another case", `{"state":"Firing",` + since + `,"taints":[{"key":"a","Key":"b","effect":"NoSchedule"}]}`, `taints[0]: unknown field "Key"`},
		{"notified event twice", `{"state":"Firing",` + since + `,"notified":{"event":"firing","event":"resolved"}}`, `notified: field "event" appears twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := `{"version":1,"rules":{"r":` + tt.entry + `}}`
			l, err := Read(node(raw))
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if tt.problem == "" {
				if len(l.Problems) > 0 || l.Rules["r"] == nil {
					t.Fatalf("a valid entry was set aside: %+v", l.Problems)
				}
				return
			}
			if l.Rules["r"] != nil || len(l.Problems) != 1 || l.Problems[0].Rule != "r" || !strings.Contains(l.Problems[0].Message, tt.problem) {
				t.Fatalf("entry %s: rules %v, problems %+v; want one problem containing %q", tt.entry, l.Rules, l.Problems, tt.problem)
			}
			if got := l.Encode(); got != raw && !strings.Contains(raw, " ") {
				t.Errorf("a corrupt entry is not written back verbatim:\n got %s\nwant %s", got, raw)
			}
		})
	}
}

func TestReadWholeLedgerErrors(t *testing.T) {
	for _, raw := range []string{`{`, `{"version":2,"rules":{}}`, `[]`, `{"version":1,"rules":[]}`,
		// A rule given twice: the decoder would keep the Healthy copy and orphan the
		// Firing one's taint (issue 7); top-level keys twice or in another case.
		`{"version":1,"rules":{"r":{"state":"Firing","since":"2026-11-29T11:00:00Z","taints":[{"key":"a","effect":"NoSchedule"}]},"r":{"state":"Healthy","since":"2026-11-29T11:00:00Z"}}}`,
		`{"version":1,"rules":{},"rules":{"r":{"state":"Healthy","since":"2026-11-29T11:00:00Z"}}}`,
		`{"version":1,"RULES":{"r":{"state":"Healthy","since":"2026-11-29T11:00:00Z"}}}`,
		`{"version":1,"rules":{},"extra":1}`,
	} {
		if l, err := Read(node(raw)); err == nil {
			t.Errorf("Read(%s) = %+v, want an error", raw, l)
		}
	}
	l, err := Read(&corev1.Node{})
	if err != nil || len(l.Rules) != 0 || l.Encode() != "" {
		t.Errorf("no annotation: %+v, %v", l, err)
	}
}

func TestCloneKeepsCorruptEntries(t *testing.T) {
	l, err := Read(node(`{"version":1,"rules":{"a":{"state":"Nope","since":"2026-11-29T11:00:00Z"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	c := l.Clone()
	if c.Encode() != l.Encode() || len(c.Problems) != 1 {
		t.Errorf("clone %s %+v, original %s", c.Encode(), c.Problems, l.Encode())
	}
}

// nodeWith is a node whose ledger annotation is raw.
func nodeWith(raw string) *corev1.Node { return node(raw) }

const firingEntry = `{"version":1,"rules":{"r":{"state":"Firing","since":"2026-01-01T00:00:00Z","taints":[{"key":"k","effect":"NoSchedule"}]}}}`

// FuzzRead feeds arbitrary annotations to Read. It may refuse them, with an error
// naming the node and the annotation, but never panics; a ledger it reads can be asked
// what it owns, every entry it sets aside says why, and its encoding (corrupt entries
// kept verbatim) reads back to the same encoding.
func FuzzRead(f *testing.F) {
	for _, s := range []string{"", `{"version":1}`, firingEntry, `{"version":1,"rules":{"r":null}}`,
		`{"version":1,"rules":{"a":{"state":"Healthy","labels":{"x":"y"},"annotations":{"a":"b"},"cordon":true}}}`,
		`{"version":1,"rules":{"r":{"state":"Firing","since":"2026-01-01T00:00:00Z"},"r":{"state":"Healthy","since":"2026-01-01T00:00:00Z"}}}`,
		`{"version":1,"rules":{"r":{"state":"Firing","STATE":"Healthy","since":"2026-01-01T00:00:00Z"}}}`,
		`{"Version":1,"rules":{"r":{"state":"Firing","since":"2026-01-01T00:00:00Z","labels":{"x":"1","x":"2"}}}}`} {
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
		if len(l.Problems) != len(l.Corrupt) {
			t.Fatalf("%d corrupt entries, %d problems", len(l.Corrupt), len(l.Problems))
		}
		for _, e := range l.Rules {
			if e == nil || (e.State != Healthy && e.State != Firing) {
				t.Fatalf("a trusted entry the engine cannot act on: %+v", e)
			}
		}
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

// A retry adds channels and keeps the first delivery's time; a repeat takes its own time
// and forgets the channels of the repeat that did not receive it, so they are owed it.
func TestRecordRetryAndRepeat(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	t1, t2 := t0.Add(time.Minute), t0.Add(4*time.Hour)
	l := &Ledger{Version: Version, Rules: map[string]*Entry{"r": {State: Firing, Since: t0, Notified: &Notified{Event: EventFiring}}}}
	n := l.Rules["r"].Notified
	check := func(step string, changed, wantChanged bool, at time.Time, channels ...string) {
		t.Helper()
		if changed != wantChanged || n.At == nil || !n.At.Equal(at) || !slices.Equal(n.Channels, channels) {
			t.Errorf("%s: changed %v at %v channels %q, want %v %s %q", step, changed, n.At, n.Channels, wantChanged, at, channels)
		}
	}
	check("first send, slack failed", l.Record("r", EventFiring, []string{"email"}, t0), true, t0, "email")
	check("retry to slack", l.Record("r", EventFiring, []string{"slack"}, t1), true, t0, "email", "slack")
	check("a retry that adds nothing", l.Record("r", EventFiring, []string{"slack"}, t1), false, t0, "email", "slack")
	check("repeat, slack failed", l.RecordRepeat("r", EventFiring, []string{"email", "slack"}, []string{"email"}, t2), true, t2, "email")
	if got := n.Missing([]string{"email", "slack"}); !slices.Equal(got, []string{"slack"}) {
		t.Errorf("missing after the repeat %q, want slack", got)
	}
	check("repeat, all failed", l.RecordRepeat("r", EventFiring, []string{"email", "slack"}, nil, t2.Add(4*time.Hour)), true, t2.Add(4*time.Hour))
	if l.RecordRepeat("r", EventResolved, []string{"email"}, []string{"email"}, t2) {
		t.Error("a repeat of another event was recorded")
	}
}
