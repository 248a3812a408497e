package controller

import (
	"fmt"
	"testing"
	"time"

	"github.com/fluxcd/pkg/runtime/leaderelection"
)

// elected reports whether the manager won the election.
func (r *running) elected() bool {
	select {
	case <-r.mgr.Elected():
		return true
	default:
		return false
	}
}

// Two managers with leader election on one API server: only the leader reconciles; when
// it stops (releasing its Lease), the other takes over and acts.
func TestLeaderElection(t *testing.T) {
	w := newWorld(t, "ng_hot{node=\"le-a\"} 0\n")
	w.node("le-a", map[string]string{"group": "le"})
	le := Options{LeaderElectionNamespace: "default", LeaderElection: leaderelection.Options{
		Enable: true, ReleaseOnCancel: true,
		LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 200 * time.Millisecond,
	}}
	w.rule("le", hotRule("le", "ng_hot", ""))
	a := w.start(le)
	eventually(t, 20*time.Second, "the first manager leads and reconciles", func() (bool, string) {
		return a.elected() && a.reconciles() >= 1, ""
	})
	b := w.start(le)
	time.Sleep(2 * time.Second) // b runs, and keeps trying to acquire the Lease
	if b.elected() || b.reconciles() != 0 {
		t.Fatalf("the second manager acts while the first leads: elected %v, %v reconciles", b.elected(), b.reconciles())
	}
	a.stop(t)
	eventually(t, 20*time.Second, "the second manager takes over", func() (bool, string) {
		return b.elected() && b.reconciles() >= 1, fmt.Sprintf("elected %v", b.elected())
	})
	w.exp.Set("ng_hot{node=\"le-a\"} 1\n")
	eventually(t, 20*time.Second, "the new leader acts", func() (bool, string) {
		return hasTaint(w.getNode("le-a"), "le/hot"), ""
	})
}
