package controller

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// requeueRule is a rule checked every interval (0: the default), suspended or
// disabled.
func requeueRule(name string, interval time.Duration, suspend, disabled bool) *v1.NodeGuardianRule {
	r := &v1.NodeGuardianRule{ObjectMeta: metav1.ObjectMeta{Name: name}}
	r.Spec.Monitoring.CheckInterval = metav1.Duration{Duration: interval}
	r.Spec.Suspend = suspend
	if disabled {
		r.Spec.Metadata.Enabled = ptr.To(false)
	}
	return r
}

// Every active rule was evaluated now, so the next reconcile is due after the shortest
// checkInterval of the active rules, or at the plan's nextEvaluation when that comes
// first; never sooner than MinRequeue; never (0) with nothing to evaluate.
func TestRequeueAfter(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *plan.Plan { t := now.Add(d); return &plan.Plan{NextEvaluation: &t} }
	rules := []*v1.NodeGuardianRule{
		requeueRule("slow", 30*time.Second, false, false),
		requeueRule("fast", 10*time.Second, false, false),
		requeueRule("suspended", time.Second, true, false),
		requeueRule("disabled", 2*time.Second, false, true),
	}
	inactive := []*v1.NodeGuardianRule{requeueRule("suspended", time.Second, true, false), requeueRule("disabled", 2*time.Second, false, true)}
	for _, tc := range []struct {
		name  string
		rules []*v1.NodeGuardianRule
		p     *plan.Plan
		want  time.Duration
	}{
		{"shortest active checkInterval", rules, &plan.Plan{}, 10 * time.Second},
		{"no plan", rules, nil, 10 * time.Second},
		{"nextEvaluation first", rules, at(4 * time.Second), 4 * time.Second},
		{"checkInterval first", rules, at(time.Minute), 10 * time.Second},
		{"nextEvaluation sooner than MinRequeue", rules, at(200 * time.Millisecond), MinRequeue},
		{"nextEvaluation passed", rules, at(-time.Minute), MinRequeue},
		{"the default checkInterval", []*v1.NodeGuardianRule{requeueRule("dflt", 0, false, false)}, nil, v1.DefaultCheckInterval},
		{"only inactive rules", inactive, &plan.Plan{}, 0},
		{"only inactive rules, a nextEvaluation", inactive, at(time.Hour), time.Hour},
		{"no rule", nil, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := requeueAfter(tc.rules, tc.p, now); got != tc.want {
				t.Errorf("requeueAfter = %s, want %s", got, tc.want)
			}
		})
	}
}
