// Package deliver sends the alerts an apply makes through the notification channels
// (internal/notify) and says which channels received each, so that the apply can record
// them in the node's ledger (see docs/semantics.md "Notifications"). The CLI and the
// controller share it.
package deliver

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/apply"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
	"github.com/nodeguardian/nodeguardian/internal/notify"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// Severities of notifications, from what the rule does.
const (
	SeverityCritical = "critical" // the rule evicts, drains or taints NoExecute
	SeverityWarning  = "warning"  // the rule cordons or taints NoSchedule
	SeverityInfo     = "info"     // anything else
)

// Failure is one channel that did not receive one alert.
type Failure struct {
	Rule, Node, Event, Channel string
	Attempts                   int
	Err                        error
}

// Error implements error.
func (f Failure) Error() string {
	if f.Attempts == 0 {
		return fmt.Sprintf("alert %s on %s (%s) via %s not sent: %v", f.Rule, f.Node, f.Event, f.Channel, f.Err)
	}
	return fmt.Sprintf("alert %s on %s (%s) via %s failed after %d attempts: %v", f.Rule, f.Node, f.Event, f.Channel, f.Attempts, f.Err)
}

// Sender sends the alerts of one plan.
type Sender struct {
	d      *notify.Dispatcher
	rules  map[string]*v1.NodeGuardianRule
	planID string
	now    func() time.Time

	mu       sync.Mutex
	failures []Failure
	sent     int
}

// New returns a Sender of the alerts of the plan with planID through d, for these rules;
// now is the clock (time.Now when nil).
func New(d *notify.Dispatcher, rules []*v1.NodeGuardianRule, planID string, now func() time.Time) *Sender {
	s := &Sender{d: d, rules: make(map[string]*v1.NodeGuardianRule, len(rules)), planID: planID, now: now}
	for _, r := range rules {
		s.rules[r.Name] = r
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Deliver sends alerts (one node's, or any) and returns, for each, the channels that
// received it. It is a cluster.ApplyOptions.Deliver; calls may overlap.
//
// A channel a rule or template names but the configuration leaves out (no SMTP server,
// no Slack webhook, …) fails closed: it is a Failure ("channel slack is not configured:
// …"), not recorded as delivered, so the next apply plans the alert again for it and
// delivers it once the channel is configured. No other channel stands in for it.
func (s *Sender) Deliver(ctx context.Context, alerts []apply.SentAlert) [][]string {
	ns := make([]notify.Notification, len(alerts))
	out := make([][]string, len(alerts))
	for i, a := range alerts {
		ns[i] = s.Notification(a)
	}
	results := s.d.Send(ctx, ns)
	var failed []Failure
	sent := 0
	for i, rs := range results {
		for _, r := range rs {
			if r.Err == nil {
				out[i] = append(out[i], r.Channel)
				sent++
				continue
			}
			failed = append(failed, Failure{Rule: alerts[i].Rule, Node: alerts[i].Node, Event: alerts[i].Event,
				Channel: r.Channel, Attempts: r.Attempts, Err: r.Err})
		}
	}
	s.mu.Lock()
	s.failures = append(s.failures, failed...)
	s.sent += sent
	s.mu.Unlock()
	return out
}

// Failures are the channels that did not receive an alert so far, in the order they
// failed; the next apply sends those alerts again.
func (s *Sender) Failures() []Failure {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Failure(nil), s.failures...)
}

// Sent counts the deliveries so far (one per alert and channel).
func (s *Sender) Sent() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent
}

// Notification turns one alert of a plan into the notification the channels send. Its
// key is "rule/node/event/<transition time>" (Key): every send of one transition — a
// retry in a later apply, a repeat while firing — carries the same key, and a new
// transition a new one. StartsAt is when the rule fired on the node (from the plan, which
// has it from the ledger); a resolved notification ends at its transition. Its values are
// the rule's conditions; its labels are none beyond the identity Alertmanager adds
// (alertname, node, rule, severity), so that a firing alert and its recovery are the same
// Alertmanager alert whatever their templates; the template is an annotation.
func (s *Sender) Notification(a apply.SentAlert) notify.Notification {
	now := s.now().UTC()
	event := notify.EventFiring
	since := a.Since
	if since.IsZero() { // a plan saved before alerts carried their transition
		since = now
	}
	starts, ends := a.Fired, time.Time{}
	if plan.LedgerEvent(a.Event) == ledger.EventResolved {
		event, ends = notify.EventResolved, since
	} else if starts.IsZero() {
		starts = since
	}
	n := notify.Notification{
		Key:      Key(a.Rule, a.Node, event, since),
		Rule:     a.Rule,
		Node:     a.Node,
		Event:    event,
		Severity: Severity(s.rules[a.Rule]),
		Subject:  a.Subject,
		Body:     a.Body,
		Channels: append([]string(nil), a.Channels...),
		StartsAt: starts,
		EndsAt:   ends,
		PlanID:   s.planID,
	}
	if a.Template != "" {
		n.Annotations = map[string]string{"template": a.Template}
	}
	for _, v := range a.Values {
		n.Values = append(n.Values, notify.Value{Metric: v.Metric, Value: v.Value, Threshold: v.Threshold, Operator: v.Operator})
	}
	return n
}

// Key is the idempotency key of a rule's transition to event on a node at since:
// "rule/node/event/2026-11-29T12:00:00Z" (UTC, whole seconds, as the ledger keeps it).
func Key(rule, node string, event notify.Event, since time.Time) string {
	return fmt.Sprintf("%s/%s/%s/%s", rule, node, event, since.UTC().Truncate(time.Second).Format(time.RFC3339))
}

// Severity is how urgent a rule's alerts are, from the most disruptive thing it does.
func Severity(r *v1.NodeGuardianRule) string {
	if r == nil {
		return SeverityInfo
	}
	sev := SeverityInfo
	for _, a := range r.Spec.Actions {
		switch {
		case a.Type == v1.ActionEvict || a.Type == v1.ActionDrain:
			return SeverityCritical
		case a.Type == v1.ActionTaint && a.Taint != nil && corev1.TaintEffect(a.Taint.Effect) == corev1.TaintEffectNoExecute:
			return SeverityCritical
		case a.Type == v1.ActionCordon,
			a.Type == v1.ActionTaint && a.Taint != nil && corev1.TaintEffect(a.Taint.Effect) == corev1.TaintEffectNoSchedule:
			sev = SeverityWarning
		}
	}
	return sev
}

// Unconfigured lists, for each rule of p whose planned alerts name a channel that is
// not among configured (notify.Config.Channels), a warning saying that those alerts will
// fail and how to configure the channel: "rule high-load: channel slack is not
// configured: set ALERT_SLACK_WEBHOOK or slack in --alert-config; its alerts fail (and
// are sent again by every apply) until it is". Dry-run alerts are left out.
func Unconfigured(p *plan.Plan, configured []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, np := range p.Nodes {
		for _, ch := range np.Changes {
			if ch.Kind != plan.KindAlert || ch.Alert == nil || ch.DryRun {
				continue
			}
			for _, name := range ch.Alert.Channels {
				if slices.Contains(configured, name) || seen[ch.Rule+"\x00"+name] {
					continue
				}
				seen[ch.Rule+"\x00"+name] = true
				out = append(out, fmt.Sprintf("rule %s: %v; its alerts fail (and are sent again by every apply) until it is", ch.Rule, notify.NotConfigured(name)))
			}
		}
	}
	slices.Sort(out)
	return out
}
