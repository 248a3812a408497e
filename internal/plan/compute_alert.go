package plan

import (
	"strings"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/alerttext"
	"github.com/nodeguardian/nodeguardian/internal/evaluate"
)

// alert emits a one-shot alert: "firing" on the transition to Firing, "recovered" from a
// recovery action. Channels are the action's, else the template's, else log.
func (p *reconcilePass) alert(d *decision, a *v1.AlertAction, event string) {
	if a == nil || (a.Enabled != nil && !*a.Enabled) {
		return
	}
	al := &Alert{Event: event, Template: a.Template}
	var tmpl *v1.AlertTemplate
	if a.Template != "" {
		tmpl = p.c.in.Templates[a.Template]
		if tmpl == nil {
			p.c.warn(d.r.name, p.node(), "alert template "+a.Template+" not found; a default subject is used")
		}
	}
	for _, ch := range a.Channels {
		al.Channels = append(al.Channels, string(ch))
	}
	if len(al.Channels) == 0 && tmpl != nil {
		for _, ch := range tmpl.Spec.Channels {
			al.Channels = append(al.Channels, string(ch))
		}
	}
	if len(al.Channels) == 0 {
		al.Channels = []string{string(v1.ChannelLog)}
	}
	if tmpl != nil {
		vars := p.vars(d)
		al.Subject = alerttext.Render(tmpl.Spec.Subject, vars)
		al.Body = alerttext.Render(tmpl.Spec.Body, vars)
	} else {
		al.Subject = "[NodeGuardian] " + d.r.name + " " + event + " on " + p.node()
		al.Body = p.reason(d)
	}
	p.emit(Change{Op: OpAdd, Kind: KindAlert, Rule: d.r.name, Reason: p.reason(d), Alert: al})
}

// vars are the placeholder values for a decision: the node, the rule, the plan's time
// and the latest value of every metric the rule's conditions saw.
func (p *reconcilePass) vars(d *decision) alerttext.Vars {
	v := alerttext.Vars{Node: p.node(), Rule: d.r.name, Time: p.c.now, Metrics: map[string]float64{}}
	for _, cs := range [][]evaluate.ConditionResult{d.v.Conditions, d.v.RecoveryConditions} {
		for i := range cs {
			switch cs[i].Why {
			case evaluate.WhyNoData, evaluate.WhySourceError:
				continue
			}
			v.Metrics[cs[i].Condition.Metric] = cs[i].Last
		}
	}
	return v
}

// firingReason joins the reasons of the trigger conditions that hold, with the rule's
// logic: "cpuLoadRatio 1.9 > 1.5 for 3m (min 1.7) and memoryUtilizationPercent 93 > 90".
func firingReason(r *ruleInfo, v *evaluate.Verdict) string {
	return joinReasons(v.Conditions, evaluate.True, logicWord(r.spec.ConditionLogic, false))
}

// recoveryReason joins the reasons of the recovery conditions that hold; without
// recovery conditions, those of the trigger conditions that are false, with the dual
// logic (an AND trigger recovers when any condition is false).
func recoveryReason(r *ruleInfo, v *evaluate.Verdict) string {
	if len(v.RecoveryConditions) > 0 {
		return joinReasons(v.RecoveryConditions, evaluate.True, logicWord(r.spec.RecoveryConditionLogic, false))
	}
	return joinReasons(v.Conditions, evaluate.False, logicWord(r.spec.ConditionLogic, true))
}

func logicWord(l v1.Logic, dual bool) string {
	if (l == v1.LogicOr) != dual {
		return " or "
	}
	return " and "
}

func joinReasons(cs []evaluate.ConditionResult, want evaluate.Tri, sep string) string {
	var b strings.Builder
	for i := range cs {
		if cs[i].Result != want {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(cs[i].Reason())
	}
	return b.String()
}
