package controller

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

// A decision is an Event on its rule and on its node; with the NodeEvents feature gate
// off (Options.DisableNodeEvents), on its rule only.
func TestNodeEventsGate(t *testing.T) {
	rule := &v1.NodeGuardianRule{ObjectMeta: metav1.ObjectMeta{Name: "r"}}
	for _, tc := range []struct {
		disable bool
		want    int
	}{{false, 2}, {true, 1}} {
		rec := events.NewFakeRecorder(10)
		r := &Reconciler{events: rec, opts: Options{DisableNodeEvents: tc.disable}}
		r.event(rule, decision{rule: "r", node: "worker-1", reason: EventFired, note: "fired"}, "0123456789abcdef")
		if got := len(rec.Events); got != tc.want {
			t.Errorf("DisableNodeEvents=%v: %d Events, want %d", tc.disable, got, tc.want)
		}
	}
}
