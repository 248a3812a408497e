package controller

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fluxcd/pkg/apis/meta"
	"github.com/fluxcd/pkg/runtime/conditions"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Two hot nodes, a rule that may have one unhealthy: one node is tainted, the other
// deferred by the budget (Ready False BudgetExhausted, a BudgetExhausted Event on the
// rule and that node, nodeguardian_deferred_actions{reason="budget"} 1). The alert's
// webhook answers 400: an AlertFailed Event on the rule and the tainted node, a failure
// counted and no success; once it answers 200, the next reconcile sends it again and
// the success is counted. Recovered, the deferral and its gauge go.
func TestBudgetDeferralAndAlertFailure(t *testing.T) {
	w := newWorld(t, "ng_hot{node=\"bud-a\"} 1\nng_hot{node=\"bud-b\"} 1\n")
	w.node("bud-a", map[string]string{"group": "bud"})
	w.node("bud-b", map[string]string{"group": "bud"})
	var status, posts atomic.Int64
	status.Store(http.StatusBadRequest)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		posts.Add(1)
		rw.WriteHeader(int(status.Load()))
	}))
	t.Cleanup(srv.Close)
	cfg := webhookConfig(t, srv.URL)
	all := intstr.FromString("100%")
	run := w.start(Options{AlertConfig: cfg, MaxDisruptive: &all})
	w.rule("bud", `
nodeSelector: {matchLabels: {group: bud}}
conditions:
- {metric: ng_hot, query: ng_hot, operator: GreaterThan, value: 0.5, duration: 0s}
actions:
- type: taint
  taint: {key: bud/hot}
- type: alert
  alert: {channels: [webhook]}
monitoring: {checkInterval: 1s, cooldownPeriod: 0s}
maxUnhealthy: 1
`)
	var fired, deferred string
	eventually(t, 30*time.Second, "one node tainted, the other deferred", func() (bool, string) {
		a, b := hasTaint(w.getNode("bud-a"), "bud/hot"), hasTaint(w.getNode("bud-b"), "bud/hot")
		fired, deferred = "bud-a", "bud-b"
		if b {
			fired, deferred = "bud-b", "bud-a"
		}
		r := w.getRule("bud")
		return a != b && conditions.GetReason(r, meta.ReadyCondition) == ReasonBudgetExhausted &&
			testutilValue(run.r.m.deferred.WithLabelValues("bud", deferBudget)) == 1, describe(r)
	})
	eventually(t, 20*time.Second, "BudgetExhausted and AlertFailed Events", func() (bool, string) {
		r, f, d := w.eventsOf("NodeGuardianRule", "bud"), w.eventsOf("Node", fired), w.eventsOf("Node", deferred)
		ok := hasEvent(r, EventBudgetExhausted) && hasEvent(d, EventBudgetExhausted) && hasEvent(r, EventAlertFailed) && hasEvent(f, EventAlertFailed)
		return ok, fmt.Sprintf("rule %q fired %q deferred %q", r, f, d)
	})
	if got := testutilValue(run.r.m.alertSends.WithLabelValues("webhook", "failure")); got == 0 {
		t.Error(`nodeguardian_alert_sends_total{channel="webhook",result="failure"} did not move`)
	}
	if got := testutilValue(run.r.m.alertSends.WithLabelValues("webhook", "success")); got != 0 {
		t.Errorf(`nodeguardian_alert_sends_total{channel="webhook",result="success"} = %v while the webhook refused every alert`, got)
	}
	status.Store(http.StatusOK)
	eventually(t, 30*time.Second, "the alert sent again and delivered", func() (bool, string) {
		return testutilValue(run.r.m.alertSends.WithLabelValues("webhook", "success")) == 1, fmt.Sprintf("%d posts", posts.Load())
	})
	w.exp.Set("ng_hot{node=\"bud-a\"} 0\nng_hot{node=\"bud-b\"} 0\n")
	eventually(t, 30*time.Second, "recovered: no deferral left", func() (bool, string) {
		r := w.getRule("bud")
		return conditions.IsReady(r) && r.Status.FiringCount == 0 && testutilValue(run.r.m.deferred.WithLabelValues("bud", deferBudget)) == 0, describe(r)
	})
}
