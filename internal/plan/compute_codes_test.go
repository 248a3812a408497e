package plan

import (
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/evaluate"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
)

// fxCodes lists a plan's codes: "n1 taint Fired" per change, "deferred n1 rule Code" and
// "warning n1 rule Code".
func fxCodes(p *Plan) []string {
	var out []string
	for _, n := range p.Nodes {
		for _, c := range n.Changes {
			out = append(out, n.Node+" "+string(c.Kind)+" "+string(c.Code))
		}
	}
	for _, d := range p.Deferred {
		out = append(out, "deferred "+d.Node+" "+d.Rule+" "+string(d.Code))
	}
	for _, w := range p.Warnings {
		out = append(out, strings.Join(strings.Fields("warning "+w.Node+" "+w.Rule+" "+string(w.Code)), " "))
	}
	return out
}

// Semantics: every change, deferral and warning has a reason code (docs/semantics.md,
// "Reason codes").
func TestComputeReasonCodes(t *testing.T) {
	hl := fxRule(t, "hl", fxHighLoad)
	tainter := fxRule(t, "tn", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}]
actions: [{type: taint, taint: {key: nodeguardian/tn, effect: NoSchedule}}]
maxUnhealthy: 1
`)
	evicter := fxRule(t, "ev", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}]
actions: [{type: evict, evict: {maxPods: 5, excludeNamespaces: []}}]
maxUnhealthy: 100%
`)
	healthy := func(lastFired time.Duration) func(*corev1.Node) {
		return fxLedgerEntries("hl", &ledger.Entry{State: ledger.Healthy, Since: fxAgo(time.Hour), LastFired: fxTime(fxAgo(lastFired))})
	}
	blocked := fxFiring(fxAgo(time.Hour))
	blocked.Evictions = []ledger.PendingEviction{{Namespace: "default", Name: "web", Attempts: 1, BlockedBy: "default/pdb"}}
	two := map[string]map[string]string{"n1": {"cpuLoadRatio": "2"}, "n2": {"cpuLoadRatio": "2"}}
	tests := []struct {
		name  string
		c     fxCase
		want  []string
		until *time.Time // the first deferral's Until
	}{
		{name: "fire", c: fxCase{rules: []*v1.NodeGuardianRule{hl}, nodes: []corev1.Node{fxNode("n1")}, series: fxCPU("2")},
			want: []string{"n1 state Fired", "n1 taint Fired", "n1 label Fired", "n1 ledger Ledger", "n1 alert Fired"}},
		{name: "recover", c: fxCase{rules: []*v1.NodeGuardianRule{hl}, nodes: []corev1.Node{fxHLNode("n1", fxAgo(time.Hour))}, series: fxCPU("1")},
			want: []string{"n1 state Recovered", "n1 taint Recovered", "n1 label Recovered", "n1 ledger Ledger", "n1 alert Recovered"}},
		{name: "drift", c: fxCase{rules: []*v1.NodeGuardianRule{hl}, series: fxCPU("2"),
			nodes: []corev1.Node{fxNode("n1", fxLabel(fxLabelKey, "high-load"), fxLedgerEntries("hl", fxHLEntry(fxAgo(time.Hour))))}},
			want: []string{"n1 taint Drift"}},
		{name: "cooldown", c: fxCase{rules: []*v1.NodeGuardianRule{hl}, nodes: []corev1.Node{fxNode("n1", healthy(4*time.Minute))}, series: fxCPU("2")},
			want: []string{"deferred n1 hl CooldownActive"}, until: fxTime(fxNow.Add(time.Minute))},
		{name: "rule budget", c: fxCase{rules: []*v1.NodeGuardianRule{tainter}, nodes: []corev1.Node{fxNode("n1"), fxNode("n2")}, series: two},
			want: []string{"n1 state Fired", "n1 taint Fired", "n1 ledger Ledger", "deferred n2 tn RuleBudget"}},
		{name: "global budget", c: fxCase{rules: []*v1.NodeGuardianRule{evicter}, nodes: []corev1.Node{fxNode("n1"), fxNode("n2")}, series: two,
			input: func(in *Input) { in.MaxDisruptive = fxBudget("1") }},
			want: []string{"n1 state Fired", "n1 ledger Ledger", "n1 evict Fired", "deferred n2 ev GlobalBudget"}},
		{name: "PDB blocked", c: fxCase{rules: []*v1.NodeGuardianRule{evicter}, nodes: []corev1.Node{fxNode("n1", fxLedgerEntries("ev", blocked))}, series: fxCPU("2"),
			pods: []corev1.Pod{fxPod("default", "web", "n1")}, pdbs: []policyv1.PodDisruptionBudget{fxPDB("default", "pdb", "web", 0)}},
			want: []string{"deferred n1 ev PDBBlocked"}},
		{name: "eviction retried", c: fxCase{rules: []*v1.NodeGuardianRule{evicter}, nodes: []corev1.Node{fxNode("n1", fxLedgerEntries("ev", blocked))}, series: fxCPU("2"),
			pods: []corev1.Pod{fxPod("default", "web", "n1")}, pdbs: []policyv1.PodDisruptionBudget{fxPDB("default", "pdb", "web", 1)}},
			want: []string{"n1 evict EvictionPending"}},
		// A live plan reads pods only where NeedsPods says: elsewhere an eviction is
		// deferred, never planned blind, and pending evictions stay pending.
		{name: "pods not read: firing waits", c: fxCase{rules: []*v1.NodeGuardianRule{evicter}, nodes: []corev1.Node{fxNode("n1")}, series: fxCPU("2"),
			input: func(in *Input) { in.PodsRead = func(string) bool { return false } }},
			want: []string{"deferred n1 ev PodsNotRead"}},
		{name: "pods not read: evictions stay pending", c: fxCase{rules: []*v1.NodeGuardianRule{evicter}, nodes: []corev1.Node{fxNode("n1", fxLedgerEntries("ev", blocked))},
			series: fxCPU("2"), input: func(in *Input) { in.PodsRead = func(n string) bool { return n != "n1" } }},
			want: []string{"deferred n1 ev PodsNotRead"}},
		{name: "pods read: fires", c: fxCase{rules: []*v1.NodeGuardianRule{evicter}, nodes: []corev1.Node{fxNode("n1")}, series: fxCPU("2"),
			pods: []corev1.Pod{fxPod("default", "web", "n1")}, input: func(in *Input) { in.PodsRead = func(n string) bool { return n == "n1" } }},
			want: []string{"n1 state Fired", "n1 ledger Ledger", "n1 evict Fired"}},
		{name: "metric missing", c: fxCase{rules: []*v1.NodeGuardianRule{hl}, nodes: []corev1.Node{fxNode("n1")}},
			want: []string{"warning n1 hl MetricMissing"}},
		{name: "metric stale", c: fxCase{rules: []*v1.NodeGuardianRule{hl}, nodes: []corev1.Node{fxNode("n1")}, series: fxCPU("2 _x20")},
			want: []string{"warning n1 hl MetricStale"}},
		{name: "conflict", c: fxCase{rules: []*v1.NodeGuardianRule{fxSetter(t, "a", 100, "label", "a"), fxSetter(t, "b", 50, "label", "b")},
			nodes: []corev1.Node{fxNode("n1")}, series: fxCPU("2")},
			want: []string{"n1 state Fired", "n1 state Fired", "n1 label Fired", "n1 ledger Ledger", "deferred n1 a Conflict"}},
		{name: "unmanaged", c: fxCase{rules: []*v1.NodeGuardianRule{fxSetter(t, "a", 100, "label", "a")},
			nodes: []corev1.Node{fxNode("n1", fxLabel(fxLabelKey, "x"))}, series: fxCPU("2")},
			want: []string{"n1 state Fired", "n1 ledger Ledger", "warning n1 a Unmanaged"}},
		{name: "run-wide warnings keep their code", c: fxCase{rules: []*v1.NodeGuardianRule{hl}, nodes: []corev1.Node{fxNode("n1")}, series: fxCPU("1"),
			input: func(in *Input) {
				in.Warnings = []Warning{{Code: CodeMetricSource, Message: "prometheus: m: partial response"}}
			}},
			want: []string{"warning MetricSource"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := tt.c.plan(t, tt.c.nodes)
			fxEqual(t, "codes", fxCodes(p), tt.want)
			if tt.until != nil {
				if len(p.Deferred) == 0 || p.Deferred[0].Until == nil || !p.Deferred[0].Until.Equal(*tt.until) {
					t.Errorf("deferred %+v: want until %s", p.Deferred, tt.until)
				}
				return
			}
			for _, d := range p.Deferred {
				if d.Until != nil {
					t.Errorf("deferred %+v has an until", d)
				}
			}
		})
	}
}

func TestUnknownCode(t *testing.T) {
	tests := []struct {
		why  evaluate.Why
		want ReasonCode
	}{
		{evaluate.WhyNoData, CodeMetricMissing},
		{evaluate.WhyStale, CodeMetricStale},
		{evaluate.WhySourceError, CodeMetricError},
		{evaluate.WhyGap, CodeMetricIncomplete},
		{evaluate.WhyNotCovered, CodeMetricIncomplete},
	}
	for _, tt := range tests {
		if got := unknownCode(tt.why); got != tt.want {
			t.Errorf("unknownCode(%d) = %s, want %s", tt.why, got, tt.want)
		}
	}
}

// Semantics: Plan.NextEvaluation is the earliest instant at which a pending duration
// completes, a cooldown that defers a firing ends or a notification repeat is due.
func TestComputeNextEvaluation(t *testing.T) {
	pending := func(logic string) *v1.NodeGuardianRule {
		return fxRule(t, "pd", `
conditions:
- {metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 3m}
- {metric: memoryUtilizationPercent, operator: GreaterThan, value: 90, duration: 2m}
conditionLogic: `+logic+`
actions: [{type: label, label: {labels: {x: "y"}}}]
`)
	}
	recovering := fxRule(t, "rc", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}]
recoveryConditions: [{metric: cpuLoadRatio, operator: LessThan, value: 1, duration: 2m}]
actions: [{type: label, label: {labels: {x: "y"}}}]
`)
	hl := fxRule(t, "hl", fxHighLoad)
	cooling := fxLedgerEntries("hl", &ledger.Entry{State: ledger.Healthy, Since: fxAgo(time.Hour), LastFired: fxTime(fxAgo(4 * time.Minute))})
	notified := fxHLEntry(fxAgo(2 * time.Hour))
	notified.Notified = &ledger.Notified{Event: ledger.EventFiring, At: fxTime(fxAgo(time.Hour)), Channels: []string{"email", "slack"}}
	// cpuLoadRatio has held for 1m of 3m (2m left), memoryUtilizationPercent for 30s of 2m (1m30s left).
	both := map[string]map[string]string{"n1": {"cpuLoadRatio": "1 2x2", "memoryUtilizationPercent": "50 95x1"}}
	tests := []struct {
		name   string
		c      fxCase
		want   time.Duration // after fxNow; 0: no next evaluation
		reason string
	}{
		{name: "nothing pending", c: fxCase{rules: []*v1.NodeGuardianRule{hl}, nodes: []corev1.Node{fxNode("n1")}, series: fxCPU("2")}},
		{name: "pending AND: when the last pending condition completes", c: fxCase{rules: []*v1.NodeGuardianRule{pending("AND")}, nodes: []corev1.Node{fxNode("n1")}, series: both},
			want: 2 * time.Minute, reason: "pending duration of rule pd on node n1 completes"},
		{name: "pending OR: when the first completes", c: fxCase{rules: []*v1.NodeGuardianRule{pending("OR")}, nodes: []corev1.Node{fxNode("n1")}, series: both},
			want: 90 * time.Second, reason: "pending duration of rule pd on node n1 completes"},
		{name: "recovery pending", c: fxCase{rules: []*v1.NodeGuardianRule{recovering}, series: fxCPU("2 0.5x1"),
			nodes: []corev1.Node{fxNode("n1", fxLabel("x", "y"), fxLedgerEntries("rc", func() *ledger.Entry {
				e := fxFiring(fxAgo(time.Hour))
				e.Labels = map[string]string{"x": "y"}
				return e
			}()))}},
			want: 90 * time.Second, reason: "recovery duration of rule rc on node n1 completes"},
		{name: "cooldown end", c: fxCase{rules: []*v1.NodeGuardianRule{hl}, nodes: []corev1.Node{fxNode("n1", cooling)}, series: fxCPU("2")},
			want: time.Minute, reason: "cooldown of rule hl on node n1 ends"},
		{name: "notification repeat", c: fxCase{rules: []*v1.NodeGuardianRule{hl}, series: fxCPU("2"),
			nodes: []corev1.Node{fxHLNode("n1", fxAgo(2*time.Hour), fxLedgerEntries("hl", notified))}},
			want: 3 * time.Hour, reason: "notification repeat of rule hl on node n1 is due"},
		{name: "the earliest of several", c: fxCase{rules: []*v1.NodeGuardianRule{hl, pending("AND")},
			nodes:  []corev1.Node{fxNode("n1"), fxNode("n2", cooling)},
			series: map[string]map[string]string{"n1": both["n1"], "n2": {"cpuLoadRatio": "2"}}},
			want: time.Minute, reason: "cooldown of rule hl on node n2 ends"},
		{name: "only the --node node counts", c: fxCase{rules: []*v1.NodeGuardianRule{hl, pending("AND")},
			nodes:  []corev1.Node{fxNode("n1"), fxNode("n2", cooling)},
			series: map[string]map[string]string{"n1": both["n1"], "n2": {"cpuLoadRatio": "2"}},
			input:  func(in *Input) { in.Node = "n1" }},
			want: 2 * time.Minute, reason: "pending duration of rule pd on node n1 completes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, in := tt.c.plan(t, tt.c.nodes)
			switch {
			case tt.want == 0 && p.NextEvaluation != nil:
				t.Errorf("NextEvaluation = %s (%s), want none", p.NextEvaluation, p.NextEvaluationReason)
			case tt.want != 0 && (p.NextEvaluation == nil || !p.NextEvaluation.Equal(fxNow.Add(tt.want))):
				t.Errorf("NextEvaluation = %v (%s), want %s", p.NextEvaluation, p.NextEvaluationReason, fxNow.Add(tt.want))
			case p.NextEvaluationReason != tt.reason:
				t.Errorf("NextEvaluationReason = %q, want %q", p.NextEvaluationReason, tt.reason)
			}
			if again := Compute(in); !slices.Equal(fxCodes(again), fxCodes(p)) || again.ID != p.ID {
				t.Error("the same input gave another plan")
			}
		})
	}
}
