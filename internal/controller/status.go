package controller

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/fluxcd/pkg/apis/meta"
	"github.com/fluxcd/pkg/runtime/conditions"
	"github.com/fluxcd/pkg/runtime/patch"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
	"github.com/nodeguardian/nodeguardian/internal/live"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// Condition reasons of a rule's status.
const (
	ReasonSucceeded          = meta.SucceededReason // Ready True: evaluated
	ReasonProgressing        = meta.ProgressingReason
	ReasonInvalidSpec        = "InvalidSpec"
	ReasonMetricsUnavailable = "MetricsUnavailable"
	ReasonBudgetExhausted    = "BudgetExhausted"
	ReasonApplyFailed        = "ApplyFailed"
	ReasonSuspended          = "Suspended"
	ReasonReconcileFailed    = "ReconcileFailed"
)

// ownedConditions are the conditions the controller owns on rules.
var ownedConditions = []string{meta.ReadyCondition, meta.ReconcilingCondition, meta.StalledCondition}

// readiness is a rule's Ready condition and lastError.
type readiness struct {
	ready   bool
	stalled bool
	reason  string
	message string
}

// markReconciling marks Reconciling the rules whose spec the controller has not
// evaluated yet (a new generation), so that kstatus reports them InProgress until
// their status says how they were evaluated.
func (r *Reconciler) markReconciling(ctx context.Context, rules []*v1.NodeGuardianRule) {
	for _, rule := range rules {
		if rule.Status.ObservedGeneration == rule.Generation && conditions.Has(rule, meta.ReadyCondition) {
			continue
		}
		obj := rule.DeepCopy()
		sp := patch.NewSerialPatcher(obj, r.client)
		conditions.MarkReconciling(obj, ReasonProgressing, "evaluating generation %d", obj.Generation)
		if !conditions.Has(obj, meta.ReadyCondition) {
			conditions.MarkUnknown(obj, meta.ReadyCondition, ReasonProgressing, "evaluating")
		}
		if err := sp.Patch(ctx, obj, patch.WithOwnedConditions{Conditions: ownedConditions}, patch.WithFieldOwner(Name)); err != nil {
			r.log.Error(err, "mark reconciling", "rule", rule.Name)
			continue
		}
		r.m.statusWrites.Inc()
		obj.DeepCopyInto(rule)
	}
}

// ruleView is what a reconcile learned about one rule.
type ruleView struct {
	rs     *plan.RuleStatus // nil: not planned (invalid)
	ready  readiness
	firing []v1.FiringNode // all, sorted by name
	last   *time.Time      // the latest lastFired among its nodes
}

// desiredStatus is rule's status after the reconcile at now.
func desiredStatus(rule *v1.NodeGuardianRule, v ruleView, now time.Time) *v1.NodeGuardianRule {
	obj := rule.DeepCopy()
	st := &obj.Status
	st.ObservedGeneration = rule.Generation
	if req, ok := meta.ReconcileAnnotationValue(rule.GetAnnotations()); ok {
		st.LastHandledReconcileAt = req
	}
	if v.rs != nil {
		st.MatchedNodes = int32(v.rs.Matched)
		st.FiringCount = int32(len(v.firing))
		st.FiringNodes = v.firing[:min(len(v.firing), v1.MaxStatusNodes)]
		st.PendingNodes = int32(len(v.rs.Pending))
		st.UnknownNodes = int32(len(v.rs.Unknown))
		if v.last != nil && (st.LastTriggered == nil || v.last.After(st.LastTriggered.Time)) {
			t := metav1.NewTime(*v.last)
			st.LastTriggered = &t
		}
	}
	st.LastError = ""
	if !v.ready.ready {
		st.LastError = truncate(v.ready.message, 4096)
	}
	conditions.Delete(obj, meta.ReconcilingCondition)
	if v.ready.stalled {
		conditions.MarkStalled(obj, v.ready.reason, "%s", v.ready.message)
	} else {
		conditions.Delete(obj, meta.StalledCondition)
	}
	if v.ready.ready {
		conditions.MarkTrue(obj, meta.ReadyCondition, v.ready.reason, "%s", v.ready.message)
	} else {
		conditions.MarkFalse(obj, meta.ReadyCondition, v.ready.reason, "%s", v.ready.message)
	}
	// lastEvaluationTime is the evaluation that produced this status: it changes with the
	// rest of the status, never alone, so that a steady fleet writes no status at all
	// (liveness: nodeguardian_last_evaluation_timestamp_seconds).
	if st.LastEvaluationTime == nil || !sameStatus(rule, obj) {
		st.LastEvaluationTime = &metav1.Time{Time: now}
	}
	return obj
}

// sameStatus compares two statuses but for lastEvaluationTime and the conditions'
// transition times.
func sameStatus(a, b *v1.NodeGuardianRule) bool {
	x, y := a.Status.DeepCopy(), b.Status.DeepCopy()
	x.LastEvaluationTime, y.LastEvaluationTime = nil, nil
	for _, s := range []*v1.NodeGuardianRuleStatus{x, y} {
		for i := range s.Conditions {
			s.Conditions[i].LastTransitionTime = metav1.Time{}
		}
		slices.SortFunc(s.Conditions, func(p, q metav1.Condition) int {
			return cmpString(p.Type, q.Type)
		})
	}
	return equality.Semantic.DeepEqual(x, y)
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// writeStatus patches rule's status to want, only when it differs.
func (r *Reconciler) writeStatus(ctx context.Context, rule, want *v1.NodeGuardianRule) {
	if equality.Semantic.DeepEqual(rule.Status, want.Status) {
		return
	}
	sp := patch.NewSerialPatcher(rule.DeepCopy(), r.client)
	if err := sp.Patch(ctx, want, patch.WithOwnedConditions{Conditions: ownedConditions}, patch.WithFieldOwner(Name)); err != nil {
		r.log.Error(err, "write status", "rule", rule.Name)
		return
	}
	r.m.statusWrites.Inc()
}

// firingNodes lists the nodes each rule fires on after the plan, with since when (from
// the node's ledger; now for a node the plan fires on), and each rule's latest firing.
func firingNodes(p *plan.Plan, st *live.State, now time.Time) (map[string][]v1.FiringNode, map[string]*time.Time) {
	ledgers := map[string]*ledger.Ledger{}
	for i := range st.Fleet.Nodes {
		if l, err := ledger.Read(&st.Fleet.Nodes[i]); err == nil && l != nil {
			ledgers[st.Fleet.Nodes[i].Name] = l
		}
	}
	out, last := map[string][]v1.FiringNode{}, map[string]*time.Time{}
	for _, rs := range p.Rules {
		for _, node := range rs.Firing {
			since, fired := now, &now
			if l := ledgers[node]; l != nil && l.Rules[rs.Name] != nil && l.Rules[rs.Name].State == ledger.Firing {
				since, fired = l.Rules[rs.Name].Since, l.Rules[rs.Name].LastFired
			}
			out[rs.Name] = append(out[rs.Name], v1.FiringNode{Name: node, Since: metav1.NewTime(since)})
			if fired != nil && (last[rs.Name] == nil || fired.After(*last[rs.Name])) {
				t := *fired
				last[rs.Name] = &t
			}
		}
		slices.SortFunc(out[rs.Name], func(a, b v1.FiringNode) int { return cmpString(a.Name, b.Name) })
	}
	return out, last
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// summary is Ready's message for an evaluated rule.
func summary(rs *plan.RuleStatus, firing int, dry bool) string {
	s := fmt.Sprintf("%d matched, %d firing, %d pending, %d unknown", rs.Matched, firing, len(rs.Pending), len(rs.Unknown))
	if dry {
		s += " (dry run: nothing applied)"
	}
	return s
}
