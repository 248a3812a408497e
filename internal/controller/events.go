package controller

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// Event reasons: one per kind of decision.
const (
	EventFired           = "Fired"
	EventRecovered       = "Recovered"
	EventDriftRepaired   = "DriftRepaired"
	EventDeferred        = "Deferred"
	EventBudgetExhausted = "BudgetExhausted"
	EventCooldown        = "CooldownActive"
	EventEvictionBlocked = "EvictionBlocked"
	EventAlertFailed     = "AlertFailed"
	EventApplyFailed     = "ApplyFailed"
	EventInvalidSpec     = "InvalidSpec"
)

// decision is one Event-worthy decision about a rule on a node.
type decision struct {
	rule, node string
	warning    bool
	reason     string
	note       string
	persists   bool // it shows in every plan until it changes: emit it once
}

// emitEvents turns the plan's decisions and the apply's failures into Events, on the
// rule and on the node, each naming the plan.
func (r *Reconciler) emitEvents(rep report) {
	ds := planDecisions(rep.p, r.opts.DryRun)
	for _, f := range rep.out.failures {
		ds = append(ds, decision{rule: f.Rule, node: f.Node, warning: true, reason: EventAlertFailed, note: f.Error()})
	}
	for node, err := range rep.out.res.Failed {
		for _, rule := range rulesChanging(rep.p, node) {
			ds = append(ds, decision{rule: rule, node: node, warning: true, reason: EventApplyFailed, note: err.Error()})
		}
	}
	for name, msg := range rep.chk.invalid {
		ds = append(ds, decision{rule: name, warning: true, reason: EventInvalidSpec, note: msg, persists: true})
	}
	rules := map[string]*v1.NodeGuardianRule{}
	for _, rule := range rep.rules {
		rules[rule.Name] = rule
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	for _, d := range ds {
		key := d.rule + "\x00" + d.node + "\x00" + d.reason + "\x00" + d.note
		if d.persists {
			seen[key] = true
			if r.seen[key] {
				continue
			}
		}
		r.event(rules[d.rule], d, rep.p.ID)
	}
	r.seen = seen
}

// event records one decision as an Event on its rule and on its node.
func (r *Reconciler) event(rule *v1.NodeGuardianRule, d decision, planID string) {
	typ := corev1.EventTypeNormal
	if d.warning {
		typ = corev1.EventTypeWarning
	}
	note := fmt.Sprintf("%s (plan %s)", d.note, short(planID))
	var objs []runtime.Object
	if rule != nil {
		objs = append(objs, rule)
	}
	if d.node != "" && !r.opts.DisableNodeEvents {
		objs = append(objs, &corev1.Node{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"}, ObjectMeta: metav1.ObjectMeta{Name: d.node}})
	}
	for _, o := range objs {
		r.events.Eventf(o, nil, typ, d.reason, d.reason, "%s", truncate(note, 1000))
	}
}

// planDecisions lists the decisions of a plan: transitions, drift repairs, deferrals,
// blocked evictions. Dry-run changes (and all with dryRun) say they were not applied.
func planDecisions(p *plan.Plan, dryRun bool) []decision {
	var ds []decision
	for _, np := range p.Nodes {
		for _, c := range np.Changes {
			dry := ""
			if c.DryRun || dryRun {
				dry = " (dry run: not applied)"
			}
			persists := c.DryRun || dryRun
			switch {
			case c.Kind == plan.KindState && c.To == "Firing":
				ds = append(ds, decision{c.Rule, np.Node, true, EventFired, c.Reason + dry, persists})
			case c.Kind == plan.KindState && c.From == "Firing":
				ds = append(ds, decision{c.Rule, np.Node, false, EventRecovered, c.Reason + dry, persists})
			case c.Drift:
				ds = append(ds, decision{c.Rule, np.Node, true, EventDriftRepaired, fmt.Sprintf("%s %s %s put back%s", c.Kind, c.Key, c.Value, dry), persists})
			case c.Kind == plan.KindEvict:
				for _, pe := range c.Pods {
					if pe.BlockedBy != "" {
						ds = append(ds, decision{c.Rule, np.Node, true, EventEvictionBlocked,
							fmt.Sprintf("eviction of %s/%s blocked by PodDisruptionBudget %s", pe.Namespace, pe.Name, pe.BlockedBy), true})
					}
				}
			}
		}
	}
	for _, d := range p.Deferred {
		reason := map[string]string{deferBudget: EventBudgetExhausted, deferCooldown: EventCooldown, deferPDB: EventEvictionBlocked}[deferralKind(d)]
		if reason == "" {
			reason = EventDeferred
		}
		ds = append(ds, decision{d.Rule, d.Node, reason != EventCooldown, reason, stableDeferral(d.Reason), true})
	}
	return ds
}

// stableDeferral drops from a deferral's reason what changes from plan to plan
// ("(3 attempts so far)"), so that one deferral is one Event.
func stableDeferral(reason string) string {
	if i := strings.Index(reason, " so far)"); i > 0 {
		if j := strings.LastIndex(reason[:i], " ("); j > 0 {
			return reason[:j]
		}
	}
	return reason
}

// rulesChanging lists the rules with a change (not dry-run) on node.
func rulesChanging(p *plan.Plan, node string) []string {
	var out []string
	for _, np := range p.Nodes {
		if np.Node != node {
			continue
		}
		for _, c := range np.Changes {
			if c.Rule != "" && !c.DryRun && (len(out) == 0 || out[len(out)-1] != c.Rule) {
				out = append(out, c.Rule)
			}
		}
	}
	return out
}

// recordMetrics records the plan's and the apply's metrics.
func (r *Reconciler) recordMetrics(rep report) {
	for _, np := range rep.p.Nodes {
		for _, c := range np.Changes {
			switch c.Kind {
			case plan.KindTaint, plan.KindLabel, plan.KindAnnotation, plan.KindCordon, plan.KindEvict:
			default:
				continue
			}
			result := "applied"
			switch {
			case c.DryRun || r.opts.DryRun:
				result = "dryrun"
			case rep.out.err != nil || rep.out.res.Failed[np.Node] != nil:
				result = "failed"
			}
			r.m.actions.WithLabelValues(string(c.Kind), result).Inc()
		}
	}
	r.m.firing.Reset()
	for _, rs := range rep.p.Rules {
		r.m.firing.WithLabelValues(rs.Name).Set(float64(len(rs.Firing)))
	}
	r.m.deferred.Reset()
	for _, d := range rep.p.Deferred {
		r.m.deferred.WithLabelValues(d.Rule, deferralKind(d)).Inc()
	}
	r.countAlertSends(rep.out)
}

// countAlertSends counts the apply's alert deliveries by channel: each channel of each
// alert sent is a success unless its delivery failed (then it is a failure only).
func (r *Reconciler) countAlertSends(out outcome) {
	failed := map[[4]string]bool{}
	for _, f := range out.failures {
		failed[[4]string{f.Rule, f.Node, f.Event, f.Channel}] = true
		r.m.alertSends.WithLabelValues(f.Channel, "failure").Inc()
	}
	for _, a := range out.res.Alerts {
		for _, ch := range a.Channels {
			if !failed[[4]string{a.Rule, a.Node, a.Event, ch}] {
				r.m.alertSends.WithLabelValues(ch, "success").Inc()
			}
		}
	}
}

// failAll reports a reconcile that could not plan on every rule: Ready False (invalid
// rules Stalled).
func (r *Reconciler) failAll(ctx context.Context, rules []*v1.NodeGuardianRule, chk checked, now time.Time, err error) {
	reason := ReasonReconcileFailed
	if strings.Contains(err.Error(), "fetch metrics") {
		reason = ReasonMetricsUnavailable
	}
	for _, rule := range rules {
		v := ruleView{ready: readiness{reason: reason, message: err.Error()}}
		if msg, bad := chk.invalid[rule.Name]; bad {
			v.ready = readiness{stalled: true, reason: ReasonInvalidSpec, message: msg}
		}
		want := desiredStatus(rule, v, now)
		want.Status.MatchedNodes, want.Status.FiringCount = rule.Status.MatchedNodes, rule.Status.FiringCount
		want.Status.FiringNodes, want.Status.PendingNodes, want.Status.UnknownNodes = rule.Status.FiringNodes, rule.Status.PendingNodes, rule.Status.UnknownNodes
		r.writeStatus(ctx, rule, want)
	}
}
