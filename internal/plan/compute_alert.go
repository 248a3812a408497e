package plan

import (
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/alert"
	"github.com/nodeguardian/nodeguardian/internal/evaluate"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
)

// alert emits a one-shot alert: "firing" on the transition to Firing, "recovered" from a
// recovery action; a retry or repeat of one (why says which) goes to the channels in only
// (nil: all of them). Channels are the action's, else the template's, else log. The
// subject and body are rendered here with an empty plan ID; templates that name the plan
// ID are rendered again once the ID is known (identify). A template that does not
// exist, compile or render gives the built-in message, an empty Alert.Template (no
// template rendered the text) and a warning: alerts never block remediation. code is the change's reason code.
func (p *reconcilePass) alert(d *decision, a *v1.AlertAction, event string, only []string, why string, code ReasonCode) {
	if a == nil || (a.Enabled != nil && !*a.Enabled) {
		return
	}
	al := &Alert{Event: event, Template: a.Template, Since: p.transitionTime(d)}
	al.Fired = al.Since
	if event == "recovered" {
		al.Fired = time.Time{}
		if d.old != nil && d.old.LastFired != nil {
			al.Fired = d.old.LastFired.UTC()
		}
	}
	for _, m := range conditionMetrics(d, event) {
		if !m.ValueOnly && !math.IsNaN(m.Value) && !math.IsInf(m.Value, 0) && !math.IsNaN(m.Threshold) && !math.IsInf(m.Threshold, 0) {
			al.Values = append(al.Values, AlertValue{Metric: m.Name, Value: m.Value, Operator: m.Operator, Threshold: m.Threshold})
		}
	}
	var tmpl *v1.AlertTemplate
	if a.Template != "" {
		tmpl = p.c.in.Templates[a.Template]
		if tmpl == nil {
			p.c.warn(d.r.name, p.node(), CodeTemplateMissing, "alert template "+a.Template+" not found; a default subject is used")
			al.Template = "" // the built-in message: no template rendered it
		}
	} else {
		p.c.warn(d.r.name, "", CodeTemplateMissing, "an alert action names no template; the default message is used")
	}
	al.Channels = alertChannels(a, tmpl)
	if only != nil {
		al.Channels = slices.DeleteFunc(al.Channels, func(ch string) bool { return !slices.Contains(only, ch) })
		if len(al.Channels) == 0 {
			return
		}
	}
	al.Subject, al.Body = alert.Fallback(d.r.name, event, p.node(), p.reason(d))
	if tmpl != nil {
		ctx := p.alertContext(d, event)
		pa := pendingAlert{al: al, tmpl: tmpl, ctx: ctx, reason: p.reason(d)}
		if err := pa.render(); err != nil {
			p.c.warn(d.r.name, p.node(), CodeRenderFailed, "alert template "+a.Template+": "+err.Error()+"; the default message is used")
			al.Template = ""
		} else if alert.UsesPlanID(tmpl.Spec.Subject + tmpl.Spec.Body) {
			pa.subject, pa.body = al.Subject, al.Body
			p.c.planIDAlerts = append(p.c.planIDAlerts, pa)
		}
	}
	reason := p.reason(d)
	if why != "" {
		reason = why
	}
	p.emit(Change{Op: OpAdd, Kind: KindAlert, Rule: d.r.name, Code: code, Reason: reason, Alert: al})
}

// alertChannels are an alert action's channels, else its template's, else log.
func alertChannels(a *v1.AlertAction, tmpl *v1.AlertTemplate) []string {
	var out []string
	for _, ch := range a.Channels {
		out = append(out, string(ch))
	}
	if len(out) == 0 && tmpl != nil {
		for _, ch := range tmpl.Spec.Channels {
			out = append(out, string(ch))
		}
	}
	if len(out) == 0 {
		out = []string{string(v1.ChannelLog)}
	}
	return out
}

// alerts are the rule's enabled alert actions for an event: its actions' on firing, its
// recovery actions' on resolved.
func (r *ruleInfo) alerts(event string) []*v1.AlertAction {
	var out []*v1.AlertAction
	add := func(a *v1.AlertAction) {
		if a != nil && (a.Enabled == nil || *a.Enabled) {
			out = append(out, a)
		}
	}
	if event == ledger.EventFiring {
		for i := range r.spec.Actions {
			if r.spec.Actions[i].Type == v1.ActionAlert {
				add(r.spec.Actions[i].Alert)
			}
		}
		return out
	}
	for i := range r.spec.RecoveryActions {
		if r.spec.RecoveryActions[i].Type == v1.RecoveryAlert {
			add(r.spec.RecoveryActions[i].Alert)
		}
	}
	return out
}

// notifiedFor is what the rule's new ledger entry records of its notification after a
// transition to event: pending (no channel yet) when the rule alerts on it.
func (c *computer) notifiedFor(r *ruleInfo, event string) *ledger.Notified {
	if len(r.alerts(event)) == 0 {
		return nil
	}
	return &ledger.Notified{Event: event}
}

// pendingAlerts plans, for a rule that stays in its state, the notification its ledger
// entry still owes: to the channels that did not get it yet (a failed send, a crash
// before it was recorded), or, while firing, to all of them again once the repeat
// interval has passed since the last delivery. See docs/semantics.md "Notifications".
func (p *reconcilePass) pendingAlerts(d *decision, event string) {
	n := d.old.Notified
	if d.old == nil || n == nil || n.Event != event {
		return
	}
	planEvent := "firing"
	if event == ledger.EventResolved {
		planEvent = "recovered"
	}
	var want []string
	for _, a := range d.r.alerts(event) {
		want = append(want, alertChannels(a, p.c.in.Templates[a.Template])...)
	}
	if missing := n.Missing(want); len(missing) > 0 {
		why := "retry: not yet delivered to " + strings.Join(missing, ", ")
		for _, a := range d.r.alerts(event) {
			p.alert(d, a, planEvent, missing, why, CodeNotifyPending)
		}
		return
	}
	if event != ledger.EventFiring || n.At == nil {
		return
	}
	why := "repeat: still firing, last notified " + stamp(*n.At)
	for _, a := range d.r.alerts(event) {
		repeat := p.c.repeatFor(a)
		switch due := n.At.Add(repeat); {
		case repeat <= 0:
		case !p.c.now.Before(due):
			p.alert(d, a, planEvent, nil, why, CodeNotifyRepeat)
		default:
			p.c.addTimer(due, d.r.name, p.node(), "notification repeat of rule "+d.r.name+" on node "+p.node()+" is due")
		}
	}
}

// repeatFor is how often an alert action's notification is repeated while firing: its
// template's repeatInterval, else the run's.
func (c *computer) repeatFor(a *v1.AlertAction) time.Duration {
	if t := c.in.Templates[a.Template]; t != nil && t.Spec.RepeatInterval != nil {
		return t.Spec.RepeatInterval.Duration
	}
	return c.repeatInterval()
}

// pendingAlert is an alert rendered from a template, kept to render again with the plan ID.
type pendingAlert struct {
	al            *Alert
	tmpl          *v1.AlertTemplate
	ctx           alert.Context
	reason        string
	subject, body string // as rendered without the plan ID
}

// render sets the alert's subject and body from the template, or leaves them as they are
// and says why.
func (pa *pendingAlert) render() error {
	subject, body, err := pa.text()
	if err != nil {
		return err
	}
	pa.al.Subject, pa.al.Body = subject, body
	return nil
}

// text renders the template's subject and body.
func (pa *pendingAlert) text() (subject, body string, err error) {
	if subject, err = alert.Render("spec.subject", pa.tmpl.Spec.Subject, &pa.ctx); err != nil {
		return "", "", err
	}
	if body, err = alert.Render("spec.body", pa.tmpl.Spec.Body, &pa.ctx); err != nil {
		return "", "", err
	}
	return subject, body, nil
}

// transitionTime is when the decision's rule made the transition its alerts report: now
// for a transition in this plan, else when its ledger entry's state began.
func (p *reconcilePass) transitionTime(d *decision) time.Time {
	if d.act == actFire || d.act == actRecover || d.old == nil {
		return p.c.now.UTC()
	}
	return d.old.Since.UTC()
}

// conditionMetrics are the latest value and threshold of every metric the conditions of
// the event saw, each metric once; those without data are left out. Firing: the trigger
// conditions. Recovered: the recovery conditions, then — what a rule recovers on without
// them — the trigger conditions that are false, negated (cpuLoadRatio GreaterThan 1.5
// shows as LessThanOrEqual 1.5). The rule's other metrics follow as values only
// (alert.Metric.ValueOnly): templates can still print them, but their thresholds are not
// the event's.
func conditionMetrics(d *decision, event string) []alert.Metric {
	var out []alert.Metric
	seen := map[string]bool{}
	add := func(cs []evaluate.ConditionResult, keep func(*evaluate.ConditionResult) bool, negate, valueOnly bool) {
		for i := range cs {
			c := &cs[i]
			if c.Why == evaluate.WhyNoData || c.Why == evaluate.WhySourceError || seen[c.Condition.Metric] || !keep(c) {
				continue
			}
			seen[c.Condition.Metric] = true
			op := c.Condition.Operator
			if negate {
				op = negated(op)
			}
			out = append(out, alert.Metric{Name: c.Condition.Metric, Value: c.Last,
				Operator: string(op), Threshold: c.Condition.Value, ValueOnly: valueOnly})
		}
	}
	all := func(*evaluate.ConditionResult) bool { return true }
	if event == "recovered" {
		add(d.v.RecoveryConditions, all, false, false)
		if len(d.v.RecoveryConditions) == 0 {
			add(d.v.Conditions, func(c *evaluate.ConditionResult) bool { return c.Result == evaluate.False }, true, false)
		}
		add(d.v.Conditions, all, false, true)
		return out
	}
	add(d.v.Conditions, all, false, false)
	add(d.v.RecoveryConditions, all, false, true)
	return out
}

// negated is the operator that holds exactly when op does not.
func negated(op v1.Operator) v1.Operator {
	switch op {
	case v1.OpGreaterThan:
		return v1.OpLessThanOrEqual
	case v1.OpGreaterThanOrEqual:
		return v1.OpLessThan
	case v1.OpLessThan:
		return v1.OpGreaterThanOrEqual
	case v1.OpLessThanOrEqual:
		return v1.OpGreaterThan
	case v1.OpEqualTo:
		return v1.OpNotEqualTo
	case v1.OpNotEqualTo:
		return v1.OpEqualTo
	}
	return op
}

// alertContext is what templates of a decision's alert see: the node and its labels, the
// rule, the latest value and threshold of every metric the rule's conditions saw (those
// without data are left out), the actions of the event, the busiest pods on the node by
// their containers' requests (topPods: when the plan has the node's pods, see
// topPods), the plan's time. The plan ID is set by renderPlanIDs.
func (p *reconcilePass) alertContext(d *decision, event string) alert.Context {
	ctx := alert.Context{
		Node: p.node(), NodeLabels: p.nw.node.Labels, Rule: d.r.name, Description: d.r.spec.Metadata.Description,
		Priority: int(d.r.priority), Time: p.c.now, State: alert.StateFiring,
		Metrics: conditionMetrics(d, event), TopPods: p.c.topPods(p.node()),
	}
	if event == "recovered" {
		ctx.State = alert.StateResolved
		for _, a := range d.r.spec.RecoveryActions {
			ctx.Actions = append(ctx.Actions, alert.Action{Type: string(a.Type), Description: recoveryText(&a)})
		}
		return ctx
	}
	for _, a := range d.r.spec.Actions {
		ctx.Actions = append(ctx.Actions, alert.Action{Type: string(a.Type), Description: actionText(&a)})
	}
	return ctx
}

// actionText describes an action for templates: "taint nodeguardian/high-load=true:NoSchedule".
func actionText(a *v1.Action) string {
	switch {
	case a.Taint != nil:
		v := ""
		if a.Taint.Value != nil {
			v = "=" + *a.Taint.Value
		}
		return "taint " + a.Taint.Key + v + ":" + string(a.Taint.Effect)
	case a.Label != nil:
		return "label " + pairs(a.Label.Labels)
	case a.Annotation != nil:
		return "annotate " + strings.Join(slices.Sorted(maps.Keys(a.Annotation.Annotations)), ", ")
	case a.Alert != nil && a.Alert.Template != "":
		return "alert " + a.Alert.Template
	case a.Type == v1.ActionEvict:
		return "evict pods"
	case a.Type == v1.ActionCordon:
		return "cordon the node"
	case a.Type == v1.ActionDrain:
		return "drain the node"
	}
	return string(a.Type)
}

// recoveryText describes a recovery action: "removeTaint nodeguardian/high-load".
func recoveryText(a *v1.RecoveryAction) string {
	switch {
	case a.Taint != nil:
		return string(a.Type) + " " + a.Taint.Key
	case a.Label != nil:
		return string(a.Type) + " " + strings.Join(a.Label.Keys, ", ")
	case a.Annotation != nil:
		return string(a.Type) + " " + strings.Join(a.Annotation.Keys, ", ")
	case a.Alert != nil && a.Alert.Template != "":
		return "alert " + a.Alert.Template
	}
	return string(a.Type)
}

func pairs(m map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k + "=" + m[k])
	}
	return b.String()
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

// LedgerEvent is the ledger's name for an alert's event: "firing" or "resolved" (a plan
// says "recovered").
func LedgerEvent(planEvent string) string {
	if planEvent == "recovered" {
		return ledger.EventResolved
	}
	return ledger.EventFiring
}

// RecordDelivered notes in a node's ledger that an alert change of the plan reached
// channels at t (see ledger.Ledger.Record); a repeat (CodeNotifyRepeat) is recorded even
// when no channel received it, and its channels that did not are owed it again (see
// ledger.Ledger.RecordRepeat). It reports whether the ledger changed: only then must it
// be written.
func RecordDelivered(l *ledger.Ledger, c Change, channels []string, t time.Time) bool {
	if c.Kind != KindAlert || c.Alert == nil || c.DryRun {
		return false
	}
	if c.Code == CodeNotifyRepeat {
		return l.RecordRepeat(c.Rule, LedgerEvent(c.Alert.Event), c.Alert.Channels, channels, t)
	}
	return l.Record(c.Rule, LedgerEvent(c.Alert.Event), channels, t)
}
