package controller

import (
	"testing"
	"time"

	"github.com/fluxcd/pkg/apis/meta"
	"github.com/fluxcd/pkg/runtime/conditions"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// Status is rewritten only when it changes, and lastEvaluationTime with it: never alone,
// however long nothing changes (issue 10: a 5-minute heartbeat rewrote every rule's
// status in a steady fleet); firingNodes is capped; the reconcile request is recorded.
func TestDesiredStatus(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	rule := &v1.NodeGuardianRule{ObjectMeta: metav1.ObjectMeta{Name: "r", Generation: 3,
		Annotations: map[string]string{meta.ReconcileRequestAnnotation: "req-1"}}}
	rs := &plan.RuleStatus{Name: "r", Active: true, Matched: 60, Pending: []string{"p"}}
	var firing []v1.FiringNode
	for i := range 60 {
		firing = append(firing, v1.FiringNode{Name: string(rune('a'+i/26)) + string(rune('a'+i%26)), Since: metav1.NewTime(now)})
	}
	v := ruleView{rs: rs, firing: firing, ready: readiness{ready: true, reason: ReasonSucceeded, message: summary(rs, 60, false)}}
	first := desiredStatus(rule, v, now)
	st := first.Status
	if st.ObservedGeneration != 3 || st.FiringCount != 60 || len(st.FiringNodes) != v1.MaxStatusNodes || st.PendingNodes != 1 ||
		st.MatchedNodes != 60 || st.LastHandledReconcileAt != "req-1" || !conditions.IsReady(first) || st.LastEvaluationTime == nil {
		t.Fatalf("status %+v", st)
	}
	later := desiredStatus(first, v, now.Add(time.Minute))
	if !later.Status.LastEvaluationTime.Equal(first.Status.LastEvaluationTime) || !sameStatus(first, later) {
		t.Fatalf("an unchanged status changed: %+v", later.Status)
	}
	for _, after := range []time.Duration{5 * time.Minute, time.Hour, 30 * 24 * time.Hour} {
		if steady := desiredStatus(first, v, now.Add(after)); !equality.Semantic.DeepEqual(steady.Status, first.Status) {
			t.Fatalf("nothing changed in %s, yet the status did (it would be written): %+v", after, steady.Status)
		}
	}
	v.ready = readiness{reason: ReasonMetricsUnavailable, message: "ng_hot: down"}
	failed := desiredStatus(first, v, now.Add(time.Minute))
	if conditions.IsReady(failed) || failed.Status.LastError != "ng_hot: down" || failed.Status.LastEvaluationTime.Time != now.Add(time.Minute) {
		t.Fatalf("failed status %+v", failed.Status)
	}
	v.ready = readiness{stalled: true, reason: ReasonInvalidSpec, message: "bad"}
	if stalled := desiredStatus(first, v, now); !conditions.IsStalled(stalled) || conditions.GetReason(stalled, meta.ReadyCondition) != ReasonInvalidSpec {
		t.Fatalf("stalled status %+v", stalled.Status)
	}
}

func TestDeferralKind(t *testing.T) {
	for code, want := range map[plan.ReasonCode]string{plan.CodeRuleBudget: deferBudget, plan.CodeGlobalBudget: deferBudget,
		plan.CodeCooldownActive: deferCooldown, plan.CodePDBBlocked: deferPDB, plan.CodeConflict: deferOther} {
		if got := deferralKind(plan.Deferred{Code: code}); got != want {
			t.Errorf("%s: %s, want %s", code, got, want)
		}
	}
	if got := stableDeferral("eviction of ns/p pending: blocked by PodDisruptionBudget ns/b (3 attempts so far)"); got != "eviction of ns/p pending: blocked by PodDisruptionBudget ns/b" {
		t.Errorf("stableDeferral = %q", got)
	}
}
