package plan

import (
	"strings"
	"time"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/evaluate"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
)

// PodsContext is what NeedsPods needs of a plan's input besides one rule's decision.
type PodsContext struct {
	Now       time.Time
	Templates map[string]*v1.AlertTemplate
	// RepeatInterval is Input.RepeatInterval: 0 means DefaultRepeatInterval, negative never.
	RepeatInterval time.Duration
}

// NeedsPods reports whether Compute may read the pods of a node for a rule (defaulted,
// active, with a valid selector) whose verdict on it is v and whose ledger entry there
// is old (nil: none, or one that does not parse): a live plan reads pods only for such
// nodes (engine.Evaluation.NeedPods). It mirrors, conservatively, where Compute reads
// pods:
//   - evictions (transition): the rule evicts or drains, its trigger holds and old is not
//     Firing — the rule may fire (budgets, cooldowns and the same instant may still hold
//     it back);
//   - evictions (retry): old lists pending evictions (whatever its state);
//   - topPods: an alert whose template names topPods (or top_pods) may be planned —
//     the firing alert on a transition as above, or while old is Firing and its
//     notification is owed to a channel (retry) or its repeat is due; the recovered
//     alert when old is Firing and the recovery holds, or when old is Healthy and its
//     resolved notification is owed to a channel.
//
// A rule that stays Firing with nothing owed — the steady state of a fired fleet — needs
// no pods. Compute itself never evicts from a node whose pods it was not given
// (Input.PodsRead): it defers with CodePodsNotRead.
func NeedsPods(r *v1.NodeGuardianRule, v *evaluate.Verdict, old *ledger.Entry, pc PodsContext) bool {
	if MayEvict(r, v, old) {
		return true
	}
	firing := old != nil && old.State == ledger.Firing
	mayFire := !firing && v.Trigger == evaluate.True
	if fa := topPodsAlerts(&r.Spec, ledger.EventFiring, pc.Templates); len(fa) > 0 {
		if mayFire || (firing && alertOwed(fa, old.Notified, ledger.EventFiring, pc)) {
			return true
		}
	}
	if ra := topPodsAlerts(&r.Spec, ledger.EventResolved, pc.Templates); len(ra) > 0 {
		if firing && v.Recovery == evaluate.True {
			return true
		}
		if old != nil && !firing && alertOwed(ra, old.Notified, ledger.EventResolved, pc) {
			return true
		}
	}
	return false
}

// MayEvict reports whether Compute may plan an eviction on a node for a rule whose
// verdict there is v and whose ledger entry there is old (nil: none): the first two cases
// of NeedsPods.
func MayEvict(r *v1.NodeGuardianRule, v *evaluate.Verdict, old *ledger.Entry) bool {
	if old != nil && len(old.Evictions) > 0 {
		return true
	}
	firing := old != nil && old.State == ledger.Firing
	return !firing && v.Trigger == evaluate.True && evictsPods(&r.Spec)
}

// evictsPods reports whether the rule has an evict or drain action.
func evictsPods(s *v1.NodeGuardianRuleSpec) bool {
	for _, a := range s.Actions {
		if a.Type == v1.ActionEvict || a.Type == v1.ActionDrain {
			return true
		}
	}
	return false
}

// topPodsAlerts are the rule's enabled alert actions for event whose template names the
// top pods.
func topPodsAlerts(s *v1.NodeGuardianRuleSpec, event string, tmpl map[string]*v1.AlertTemplate) []*v1.AlertAction {
	var out []*v1.AlertAction
	for _, a := range (&ruleInfo{spec: s}).alerts(event) {
		if t := tmpl[a.Template]; t != nil && UsesTopPods(t.Spec.Subject+t.Spec.Body) {
			out = append(out, a)
		}
	}
	return out
}

// UsesTopPods reports whether a template's text names the top pods (topPods, top_pods).
func UsesTopPods(text string) bool {
	return strings.Contains(text, "topPods") || strings.Contains(text, "top_pods")
}

// alertOwed reports whether pendingAlerts may plan one of alerts from the notification
// n of event: a channel has not received it, or (firing) the repeat is due.
func alertOwed(alerts []*v1.AlertAction, n *ledger.Notified, event string, pc PodsContext) bool {
	if n == nil || n.Event != event {
		return false
	}
	for _, a := range alerts {
		if len(n.Missing(alertChannels(a, pc.Templates[a.Template]))) > 0 {
			return true
		}
	}
	if event != ledger.EventFiring || n.At == nil {
		return false
	}
	for _, a := range alerts {
		repeat := pc.RepeatInterval
		if repeat == 0 {
			repeat = DefaultRepeatInterval
		}
		if t := pc.Templates[a.Template]; t != nil && t.Spec.RepeatInterval != nil {
			repeat = t.Spec.RepeatInterval.Duration
		}
		if repeat > 0 && !pc.Now.Before(n.At.Add(repeat)) {
			return true
		}
	}
	return false
}
