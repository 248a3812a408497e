package controller

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	eventsv1 "k8s.io/api/events/v1"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// eventsOf lists the Events about the object of kind and name, as "Reason: note".
func (w *world) eventsOf(kind, name string) []string {
	w.t.Helper()
	var list eventsv1.EventList
	if err := w.c.List(context.Background(), &list); err != nil {
		w.t.Fatalf("list events: %v", err)
	}
	var out []string
	for _, e := range list.Items {
		if e.Regarding.Kind == kind && e.Regarding.Name == name {
			out = append(out, e.Reason+": "+e.Note)
		}
	}
	return out
}

// hasEvent reports whether events hold one with reason whose note names a plan.
func hasEvent(events []string, reason string) bool {
	for _, e := range events {
		if strings.HasPrefix(e, reason+": ") && strings.Contains(e, "(plan ") {
			return true
		}
	}
	return false
}

// checkFireEvents checks the Events and metrics of a rule that fired on node and
// recovered.
func checkFireEvents(t *testing.T, w *world, run *running, rule, node string) {
	t.Helper()
	eventually(t, 10*time.Second, "Fired and Recovered Events on the rule and the node", func() (bool, string) {
		r, n := w.eventsOf("NodeGuardianRule", rule), w.eventsOf("Node", node)
		ok := hasEvent(r, EventFired) && hasEvent(r, EventRecovered) && hasEvent(n, EventFired) && hasEvent(n, EventRecovered)
		return ok, fmt.Sprintf("rule %q node %q", r, n)
	})
	if got := testutil.ToFloat64(run.r.m.actions.WithLabelValues(string(plan.KindTaint), "applied")); got < 2 {
		t.Errorf("nodeguardian_actions_total{type=taint,result=applied} = %v, want >= 2 (add, remove)", got)
	}
	if got := testutil.ToFloat64(run.r.m.firing.WithLabelValues(rule)); got != 0 {
		t.Errorf("nodeguardian_firing_nodes{rule=%s} = %v after recovery", rule, got)
	}
	if testutil.CollectAndCount(run.r.m.evalDuration) == 0 || testutil.ToFloat64(run.r.m.evaluations.WithLabelValues("success")) == 0 {
		t.Error("no evaluation recorded")
	}
}
