package plan

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/evaluate"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
)

// MayEvict and NeedsPods name the (rule, node) decisions whose plan reads the node's
// pods: a transition of an evicting rule, pending evictions, an alert naming the top pods
// that is due. A rule that stays Firing with nothing owed reads none: the steady state
// of a fired fleet LISTs no pods (issue 10).
func TestNeedsPods(t *testing.T) {
	evicter := fxRule(t, "ev", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5}]
actions: [{type: evict, evict: {maxPods: 5}}, {type: alert, alert: {template: plain}}]
`)
	drainer := fxRule(t, "dr", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5}]
actions: [{type: drain}]
`)
	top := fxRule(t, "top", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5}]
actions: [{type: taint, taint: {key: k, effect: NoSchedule}}, {type: alert, alert: {template: top, channels: [slack, webhook]}}]
recoveryActions: [{type: alert, alert: {template: top-recovered}}]
`)
	slow := fxRule(t, "slow", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5}]
actions: [{type: alert, alert: {template: top-daily, channels: [slack]}}]
`)
	tmpl := func(name, body string, repeat *metav1.Duration) *v1.AlertTemplate {
		return &v1.AlertTemplate{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.AlertTemplateSpec{Subject: "s", Body: body, RepeatInterval: repeat}}
	}
	pc := PodsContext{Now: fxNow, RepeatInterval: time.Hour, Templates: map[string]*v1.AlertTemplate{
		"plain":         tmpl("plain", "{{ .nodeName }}", nil),
		"top":           tmpl("top", "{{ range .topPods }}{{ .name }}{{ end }}", nil),
		"top-recovered": tmpl("top-recovered", "{{ top_pods }}", nil),
		"top-daily":     tmpl("top-daily", "{{ .topPods }}", &metav1.Duration{Duration: 24 * time.Hour}),
	}}
	firing := func(notified *ledger.Notified, pending ...ledger.PendingEviction) *ledger.Entry {
		e := fxFiring(fxAgo(2 * time.Hour))
		e.Notified, e.Evictions = notified, pending
		return e
	}
	healthy := func(notified *ledger.Notified) *ledger.Entry {
		return &ledger.Entry{State: ledger.Healthy, Since: fxAgo(time.Hour), LastFired: fxTime(fxAgo(3 * time.Hour)), Notified: notified}
	}
	sent := func(event string, ago time.Duration, channels ...string) *ledger.Notified {
		return &ledger.Notified{Event: event, At: fxTime(fxAgo(ago)), Channels: channels}
	}
	web := ledger.PendingEviction{Namespace: "default", Name: "web", Attempts: 1, BlockedBy: "default/pdb"}
	T, F, U := evaluate.True, evaluate.False, evaluate.Unknown
	tests := []struct {
		name             string
		rule             *v1.NodeGuardianRule
		trigger, recover evaluate.Tri
		old              *ledger.Entry
		mayEvict, need   bool
	}{
		{"evicting rule may fire", evicter, T, F, nil, true, true},
		{"drain may fire", drainer, T, F, nil, true, true},
		{"evicting rule fires again after recovering", evicter, T, F, healthy(nil), true, true},
		{"evicting rule already firing: steady", evicter, T, F, firing(sent("firing", time.Minute)), false, false},
		{"evicting rule firing, trigger gone", evicter, F, F, firing(nil), false, false},
		{"evicting rule firing with pending evictions", evicter, T, F, firing(nil, web), true, true},
		{"pending evictions of a Healthy entry (conservative)", evicter, F, F, &ledger.Entry{State: ledger.Healthy, Since: fxAgo(time.Hour), Evictions: []ledger.PendingEviction{web}}, true, true},
		{"trigger false", evicter, F, F, nil, false, false},
		{"trigger unknown", evicter, U, F, nil, false, false},
		{"topPods alert may fire", top, T, F, nil, false, true},
		{"topPods alert firing, all delivered", top, T, F, firing(sent("firing", time.Minute, "slack", "webhook")), false, false},
		{"topPods alert firing, a channel owed", top, T, F, firing(sent("firing", time.Minute, "slack")), false, true},
		{"topPods alert firing, repeat due", top, T, F, firing(sent("firing", time.Hour, "slack", "webhook")), false, true},
		{"topPods alert firing, template repeats daily", slow, T, F, firing(sent("firing", 2*time.Hour, "slack")), false, false},
		{"topPods recovery alert on recovery", top, F, T, firing(sent("firing", time.Minute, "slack", "webhook")), false, true},
		{"topPods recovery alert owed", top, F, F, healthy(&ledger.Notified{Event: "resolved"}), false, true},
		{"topPods recovery alert delivered", top, F, F, healthy(sent("resolved", time.Minute, "log")), false, false},
		{"alert without topPods may fire", fxRule(t, "p", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5}]
actions: [{type: alert, alert: {template: plain}}]
`), T, F, nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &evaluate.Verdict{Node: "n1", Trigger: tt.trigger, Recovery: tt.recover}
			if got := MayEvict(tt.rule, v, tt.old); got != tt.mayEvict {
				t.Errorf("MayEvict = %v, want %v", got, tt.mayEvict)
			}
			if got := NeedsPods(tt.rule, v, tt.old, pc); got != tt.need {
				t.Errorf("NeedsPods = %v, want %v", got, tt.need)
			}
		})
	}
	never := pc
	never.RepeatInterval = -1
	if NeedsPods(top, &evaluate.Verdict{Node: "n1", Trigger: T}, firing(sent("firing", 48*time.Hour, "slack", "webhook")), never) {
		t.Error("NeedsPods with repeats off: a repeat is never due")
	}
}
