package controller

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/live"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// report is one reconcile's results, to be written to status, Events and metrics.
type report struct {
	rules []*v1.NodeGuardianRule // every rule in the cache
	chk   checked
	p     *plan.Plan
	st    *live.State
	out   outcome
	now   time.Time
}

// report writes each rule's status, emits the Events of the plan's decisions and
// records the metrics.
func (r *Reconciler) report(ctx context.Context, rep report) {
	r.emitEvents(rep)
	r.recordMetrics(rep)
	firing, last := firingNodes(rep.p, rep.st, rep.now)
	byName := map[string]*plan.RuleStatus{}
	for i := range rep.p.Rules {
		byName[rep.p.Rules[i].Name] = &rep.p.Rules[i]
	}
	for _, rule := range rep.rules {
		v := ruleView{rs: byName[rule.Name], firing: firing[rule.Name], last: last[rule.Name]}
		v.ready = r.readiness(rule, v.rs, len(v.firing), rep)
		r.writeStatus(ctx, rule, desiredStatus(rule, v, rep.now))
	}
}

// readiness decides a rule's Ready condition, the first that applies: invalid spec
// (Stalled), suspended, an invalid custom query (Stalled), a failed apply on a node it
// changes, metrics unavailable, budget exhausted, else evaluated.
func (r *Reconciler) readiness(rule *v1.NodeGuardianRule, rs *plan.RuleStatus, firing int, rep report) readiness {
	if msg, bad := rep.chk.invalid[rule.Name]; bad {
		return readiness{stalled: true, reason: ReasonInvalidSpec, message: msg}
	}
	if rs == nil {
		return readiness{reason: ReasonReconcileFailed, message: "the rule was not planned"}
	}
	if rs.Inactive != "" {
		msg := "spec.suspend is true: not evaluated"
		if rs.Inactive == "disabled" {
			msg = "spec.metadata.enabled is false: not evaluated"
		}
		return readiness{reason: ReasonSuspended, message: msg}
	}
	if msg := invalidQuery(rule, metricErrs(rep.st)); msg != "" {
		return readiness{stalled: true, reason: ReasonInvalidSpec, message: msg}
	}
	if msg := applyFailure(rule.Name, rep); msg != "" {
		return readiness{reason: ReasonApplyFailed, message: msg}
	}
	if msg := metricErrors(rule, metricErrs(rep.st)); msg != "" {
		return readiness{reason: ReasonMetricsUnavailable, message: msg}
	}
	for _, d := range rep.p.Deferred {
		if d.Rule == rule.Name && deferralKind(d) == deferBudget {
			return readiness{reason: ReasonBudgetExhausted, message: fmt.Sprintf("%s: %s (plan %s)", d.Node, d.Reason, short(rep.p.ID))}
		}
	}
	return readiness{ready: true, reason: ReasonSucceeded, message: summary(rs, firing, rs.DryRun || r.opts.DryRun)}
}

// applyFailure is why the apply failed on a node where the plan changes something for
// rule, or "".
func applyFailure(rule string, rep report) string {
	if rep.out.err != nil {
		return rep.out.err.Error()
	}
	var msgs []string
	for _, np := range rep.p.Nodes {
		err := rep.out.res.Failed[np.Node]
		if err == nil {
			continue
		}
		for _, c := range np.Changes {
			if c.Rule == rule && !c.DryRun {
				msgs = append(msgs, err.Error())
				break
			}
		}
	}
	sort.Strings(msgs)
	return strings.Join(msgs, "; ")
}

// Kinds of deferral (metric label values), from the deferral's reason code.
const (
	deferBudget   = "budget"
	deferCooldown = "cooldown"
	deferPDB      = "pdb"
	deferOther    = "other"
)

func deferralKind(d plan.Deferred) string {
	switch d.Code {
	case plan.CodeRuleBudget, plan.CodeGlobalBudget:
		return deferBudget
	case plan.CodeCooldownActive:
		return deferCooldown
	case plan.CodePDBBlocked, plan.CodeEvictionPending:
		return deferPDB
	}
	return deferOther
}

// metricErrs is the failed metric reads of a live plan, by metric.
func metricErrs(st *live.State) map[string]string {
	if st == nil || st.Fleet == nil || st.Fleet.Data == nil {
		return nil
	}
	return st.Fleet.Data.Errors
}

// short is a plan ID as people quote it.
func short(id string) string { return id[:min(len(id), 12)] }
