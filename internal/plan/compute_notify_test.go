package plan

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
)

// Semantics: what a rule still owes people (docs/semantics.md "Notifications"): one
// notification per transition, retried to the channels that did not get it, repeated
// while firing every repeat interval, never twice otherwise.
func TestComputeNotifications(t *testing.T) {
	hl := fxRule(t, "hl", fxHighLoad)
	notified := func(event string, ago time.Duration, channels ...string) *ledger.Notified {
		n := &ledger.Notified{Event: event, Channels: channels}
		if ago >= 0 {
			n.At = fxTime(fxAgo(ago))
		}
		return n
	}
	firing := func(n *ledger.Notified) corev1.Node {
		e := fxHLEntry(fxAgo(time.Hour))
		e.Notified = n
		return fxNode("n1", fxTaint(fxTaintKey, "true", corev1.TaintEffectNoSchedule), fxLabel(fxLabelKey, "high-load"),
			fxLedger(map[string]*ledger.Entry{"hl": e}))
	}
	healthy := func(n *ledger.Notified) corev1.Node {
		return fxNode("n1", fxLedger(map[string]*ledger.Entry{"hl": {State: ledger.Healthy, Since: fxAgo(time.Hour), LastFired: fxTime(fxAgo(2 * time.Hour)), Notified: n}}))
	}
	const fired = `n1 +alert (hl) firing high-load-alert [email slack] "[NodeGuardian] High load on node n1"`
	tests := []struct {
		name       string
		node       corev1.Node
		cpu        string
		repeat     time.Duration
		tmplRepeat string // the template's repeatInterval ("": unset)
		changes    []string
		reason     string           // of the alert change
		notified   *ledger.Notified // the entry's after the plan (nil: not checked)
		since      time.Time        // the alert's transition time (zero: not checked)
		fired      time.Time        // when the rule fired, as the alert says
	}{
		{name: "firing: one notification, pending in the ledger", node: fxNode("n1"), cpu: "2",
			changes:  []string{"n1 ~state hl Healthy→Firing", "n1 +taint nodeguardian/high-load=true:NoSchedule (hl)", "n1 +label nodeguardian.io/status=high-load (hl)", "n1 +ledger", fired},
			notified: &ledger.Notified{Event: ledger.EventFiring}, since: fxNow, fired: fxNow},
		{name: "delivered to every channel: nothing", node: firing(notified("firing", time.Hour, "email", "slack")), cpu: "2", changes: []string{}},
		{name: "written before delivery was tracked: nothing", node: firing(nil), cpu: "2", changes: []string{}},
		{name: "a channel failed: retried there only", node: firing(notified("firing", time.Hour, "email")), cpu: "2",
			changes: []string{`n1 +alert (hl) firing high-load-alert [slack] "[NodeGuardian] High load on node n1"`}, reason: "retry: not yet delivered to slack"},
		{name: "a crash before recording: retried everywhere", node: firing(notified("firing", -1)), cpu: "2",
			changes: []string{fired}, reason: "retry: not yet delivered to email, slack", since: fxAgo(time.Hour), fired: fxAgo(time.Hour)},
		{name: "still firing after the repeat interval: repeated", node: firing(notified("firing", 5*time.Hour, "email", "slack")), cpu: "2",
			changes: []string{fired}, reason: "repeat: still firing, last notified 2026-11-29T07:00:00Z", since: fxAgo(time.Hour), fired: fxAgo(time.Hour)},
		{name: "a shorter repeat interval", node: firing(notified("firing", time.Hour, "email", "slack")), cpu: "2", repeat: 30 * time.Minute,
			changes: []string{fired}, reason: "repeat: still firing"},
		{name: "repeat off", node: firing(notified("firing", 50*time.Hour, "email", "slack")), cpu: "2", repeat: -1, changes: []string{}},
		{name: "the template's repeat interval wins", node: firing(notified("firing", 2*time.Hour, "email", "slack")), cpu: "2", repeat: 10 * time.Hour, tmplRepeat: "1h",
			changes: []string{fired}, reason: "repeat: still firing"},
		{name: "a template that never repeats", node: firing(notified("firing", 50*time.Hour, "email", "slack")), cpu: "2", tmplRepeat: "0s", changes: []string{}},
		{name: "recovery: one resolved notification, pending in the ledger", node: firing(notified("firing", time.Hour, "email", "slack")), cpu: "1",
			changes: []string{"n1 ~state hl Firing→Healthy", "n1 -taint nodeguardian/high-load=true:NoSchedule (hl)", "n1 -label nodeguardian.io/status=high-load (hl)", "n1 ~ledger",
				`n1 +alert (hl) recovered recovery-alert [webhook] "[NodeGuardian] Node n1 has recovered"`},
			notified: &ledger.Notified{Event: ledger.EventResolved}, since: fxNow, fired: fxAgo(time.Hour)},
		{name: "resolved not delivered: retried", node: healthy(notified("resolved", -1)), cpu: "1",
			changes: []string{`n1 +alert (hl) recovered recovery-alert [webhook] "[NodeGuardian] Node n1 has recovered"`}, reason: "retry: not yet delivered to webhook",
			since: fxAgo(time.Hour), fired: fxAgo(2 * time.Hour)},
		{name: "resolved delivered: nothing, never repeated", node: healthy(notified("resolved", 50*time.Hour, "webhook")), cpu: "1", changes: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fxRun(t, fxCase{rules: []*v1.NodeGuardianRule{hl}, nodes: []corev1.Node{tt.node}, series: fxCPU(tt.cpu), changes: tt.changes,
				input: func(in *Input) {
					in.RepeatInterval = tt.repeat
					if tt.tmplRepeat != "" {
						d, err := time.ParseDuration(tt.tmplRepeat)
						if err != nil {
							t.Fatal(err)
						}
						in.Templates["high-load-alert"].Spec.RepeatInterval = &metav1.Duration{Duration: d}
					}
				},
				check: func(t *testing.T, p *Plan) {
					for _, n := range p.Nodes {
						for _, c := range n.Changes {
							if c.Kind == KindAlert && tt.reason != "" && !strings.HasPrefix(c.Reason, tt.reason) {
								t.Errorf("alert reason %q, want %q", c.Reason, tt.reason)
							}
							if c.Kind == KindAlert && !tt.since.IsZero() {
								checkTransition(t, c.Alert, tt.since, tt.fired)
							}
						}
					}
					if tt.notified != nil {
						e := fxLedgerOf(t, p, "n1").Rules["hl"]
						if e.Notified == nil || e.Notified.Event != tt.notified.Event || e.Notified.At != nil || len(e.Notified.Channels) != 0 {
							t.Errorf("notified %+v, want %+v", e.Notified, tt.notified)
						}
					}
				}})
		})
	}
}

// checkTransition checks an alert's transition time, firing time and values (the
// high-load rule's one condition).
func checkTransition(t *testing.T, a *Alert, since, fired time.Time) {
	t.Helper()
	if !a.Since.Equal(since) || !a.Fired.Equal(fired) {
		t.Errorf("alert since %s fired %s, want since %s fired %s", a.Since, a.Fired, since, fired)
	}
	if len(a.Values) != 1 || a.Values[0].Metric != "cpuLoadRatio" || a.Values[0].Threshold != 1.5 || a.Values[0].Operator != "GreaterThan" {
		t.Errorf("alert values %+v, want cpuLoadRatio against 1.5", a.Values)
	}
}
