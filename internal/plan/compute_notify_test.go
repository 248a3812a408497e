package plan

import (
	"fmt"
	"slices"
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
	op := "GreaterThan"
	if a.Event == "recovered" {
		op = "LessThanOrEqual" // the trigger condition, negated: what it recovered on
	}
	if len(a.Values) != 1 || a.Values[0].Metric != "cpuLoadRatio" || a.Values[0].Threshold != 1.5 || a.Values[0].Operator != op {
		t.Errorf("alert values %+v, want cpuLoadRatio %s 1.5", a.Values, op)
	}
}

// Semantics: a resolved notification reports what the rule recovered on — its recovery
// conditions, or without them the trigger conditions that are false, negated — not the
// firing thresholds; the rule's other metrics stay printable as values.
func TestComputeRecoveryValues(t *testing.T) {
	const actions = `
actions: [{type: alert, alert: {template: high-load-alert}}]
recoveryActions: [{type: alert, alert: {template: rec-values}}]
maxUnhealthy: 100%
`
	tests := []struct {
		name, spec string
		series     map[string]string
		values     string // the alert's, "metric operator threshold value; …"
		body       string
	}{
		{name: "no recovery conditions: the false trigger, negated; the one still true is a value only",
			spec: `conditionLogic: AND
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}, {metric: memoryUtilizationPercent, operator: GreaterThan, value: 90, duration: 0s}]` + actions,
			series: map[string]string{"cpuLoadRatio": "1", "memoryUtilizationPercent": "95"},
			values: "cpuLoadRatio LessThanOrEqual 1.5 1;", body: "cpuLoadRatio LessThanOrEqual 1.5; mem 95 resolved"},
		{name: "recovery conditions: theirs",
			spec: `conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}]
recoveryConditions: [{metric: cpuLoadRatio, operator: LessThan, value: 0.8, duration: 0s}, {metric: memoryUtilizationPercent, operator: LessThan, value: 80, duration: 0s}]` + actions,
			series: map[string]string{"cpuLoadRatio": "0.5", "memoryUtilizationPercent": "50"},
			values: "cpuLoadRatio LessThan 0.8 0.5;memoryUtilizationPercent LessThan 80 50;", body: "cpuLoadRatio LessThan 0.8;memoryUtilizationPercent LessThan 80; mem 50 resolved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := fxFiring(fxAgo(time.Hour))
			e.Notified = &ledger.Notified{Event: ledger.EventFiring, At: fxTime(fxAgo(time.Hour)), Channels: []string{"email", "slack"}}
			fxRun(t, fxCase{rules: []*v1.NodeGuardianRule{fxRule(t, "hl", tt.spec)}, nodes: []corev1.Node{fxNode("n1", fxLedger(map[string]*ledger.Entry{"hl": e}))},
				series: map[string]map[string]string{"n1": tt.series},
				input: func(in *Input) {
					in.Templates["rec-values"] = &v1.AlertTemplate{ObjectMeta: metav1.ObjectMeta{Name: "rec-values"}, Spec: v1.AlertTemplateSpec{
						Subject: "recovered", Channels: []v1.Channel{v1.ChannelWebhook},
						Body: "{{ range .conditions }}{{ .metric }} {{ .operator }} {{ .threshold }};{{ end }} mem {{ .metrics.memoryUtilizationPercent }} {{ .state }}"}}
				},
				check: func(t *testing.T, p *Plan) {
					n := 0
					for _, c := range p.Nodes[0].Changes {
						if c.Kind != KindAlert {
							continue
						}
						n++
						var got strings.Builder
						for _, v := range c.Alert.Values {
							fmt.Fprintf(&got, "%s %s %v %v;", v.Metric, v.Operator, v.Threshold, v.Value)
						}
						if c.Alert.Event != "recovered" || got.String() != tt.values || c.Alert.Body != tt.body {
							t.Errorf("%s alert values %q body %q, want %q %q", c.Alert.Event, got.String(), c.Alert.Body, tt.values, tt.body)
						}
					}
					if n != 1 {
						t.Errorf("%d alerts, want the resolved one", n)
					}
				}})
		})
	}
}

// Semantics: a repeat that only some channels received is owed to the others: the next
// apply sends it to them, and to them only, once; then nothing until the next repeat,
// which stays due a repeat interval after the repeat.
func TestComputeRepeatPartlyFailed(t *testing.T) {
	e := fxHLEntry(fxAgo(5 * time.Hour))
	e.Notified = &ledger.Notified{Event: ledger.EventFiring, At: fxTime(fxAgo(5 * time.Hour)), Channels: []string{"email", "slack"}}
	nodes := []corev1.Node{fxNode("n1", fxTaint(fxTaintKey, "true", corev1.TaintEffectNoSchedule), fxLabel(fxLabelKey, "high-load"),
		fxLedger(map[string]*ledger.Entry{"hl": e}))}
	c := fxCase{rules: []*v1.NodeGuardianRule{fxRule(t, "hl", fxHighLoad)}, series: fxCPU("2")}
	// deliver applies the plan's alerts as delivered to the channels ok lets through, and
	// returns the alert changes as "reason → channels".
	deliver := func(p *Plan, ok func(string) bool) []string {
		var out []string
		l, err := ledger.Read(&nodes[0])
		if err != nil {
			t.Fatal(err)
		}
		changed := false
		for _, np := range p.Nodes {
			for _, ch := range np.Changes {
				if ch.Kind != KindAlert {
					t.Fatalf("unexpected change %s", fxLine(np.Node, ch))
				}
				got := slices.DeleteFunc(slices.Clone(ch.Alert.Channels), func(c string) bool { return !ok(c) })
				changed = RecordDelivered(l, ch, got, p.CreatedAt) || changed
				out = append(out, ch.Reason[:strings.Index(ch.Reason, ":")]+" → "+strings.Join(ch.Alert.Channels, ","))
			}
		}
		if changed {
			nodes[0].Annotations[ledger.Annotation] = l.Encode()
		}
		return out
	}
	steps := []struct {
		ok   func(string) bool
		want []string
	}{
		{func(ch string) bool { return ch != "slack" }, []string{"repeat → email,slack"}}, // slack fails
		{func(string) bool { return true }, []string{"retry → slack"}},                    // slack only, once
		{func(string) bool { return true }, nil},                                          // quiet
	}
	for i, s := range steps {
		p, _ := c.plan(t, nodes)
		if got := deliver(p, s.ok); !slices.Equal(got, s.want) {
			t.Fatalf("apply %d: alerts %q, want %q", i+1, got, s.want)
		}
		if i == len(steps)-1 && (p.NextEvaluation == nil || !p.NextEvaluation.Equal(fxNow.Add(4*time.Hour))) {
			t.Errorf("next evaluation %v (%s), want the next repeat at %s", p.NextEvaluation, p.NextEvaluationReason, fxNow.Add(4*time.Hour))
		}
	}
	n := fxLedgerOfNode(t, nodes[0]).Rules["hl"].Notified
	if !slices.Equal(n.Channels, []string{"email", "slack"}) || !n.At.Equal(fxNow) {
		t.Errorf("notified %+v, want email and slack at the repeat's time %s", n, fxNow)
	}
}

func fxLedgerOfNode(t *testing.T, n corev1.Node) *ledger.Ledger {
	t.Helper()
	l, err := ledger.Read(&n)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
