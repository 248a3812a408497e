package plan

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/evaluate"
)

// Semantics: reasons carry the values seen, joined with the rule's logic.
func TestComputeReasons(t *testing.T) {
	rule := func(logic, recovery string) *v1.NodeGuardianRule {
		return fxRule(t, "r", `
conditions:
- {metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 3m}
- {metric: memoryUtilizationPercent, operator: GreaterThan, value: 90, duration: 2m}
conditionLogic: `+logic+`
actions: [{type: label, label: {labels: {x: "y"}}}]
`+recovery)
	}
	explicit := `recoveryConditions:
- {metric: cpuLoadRatio, operator: LessThan, value: 0.8, duration: 0s}
- {metric: memoryUtilizationPercent, operator: LessThan, value: 70, duration: 0s}
`
	firing := fxLedgerEntries("r", fxFiring(fxAgo(time.Hour)))
	tests := []struct {
		name     string
		rule     *v1.NodeGuardianRule
		firing   bool
		cpu, mem string
		want     string
	}{
		{"AND: every condition", rule("AND", ""), false, "1 1.9 1.7 2 2 2 2 1.9", "80 91 92 95 94 93",
			"cpuLoadRatio 1.9 > 1.5 for 3m (min 1.7) and memoryUtilizationPercent 93 > 90 for 2m (min 91)"},
		{"OR: the conditions that hold", rule("OR", ""), false, "2x8", "50x8", "cpuLoadRatio 2 > 1.5 for 3m (min 2)"},
		{"OR: both", rule("OR", ""), false, "2x8", "95x8", "cpuLoadRatio 2 > 1.5 for 3m (min 2) or memoryUtilizationPercent 95 > 90 for 2m (min 95)"},
		{"recovery conditions", rule("AND", explicit), true, "0.5", "60", "cpuLoadRatio 0.5 < 0.8 and memoryUtilizationPercent 60 < 70"},
		{"no recovery conditions: the false trigger conditions, dual logic", rule("AND", ""), true, "1x8", "50x8",
			"cpuLoadRatio 1, not > 1.5 or memoryUtilizationPercent 50, not > 90"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := fxNode("n1")
			if tt.firing {
				n = fxNode("n1", firing)
			}
			fxRun(t, fxCase{rules: []*v1.NodeGuardianRule{tt.rule}, nodes: []corev1.Node{n},
				series: map[string]map[string]string{"n1": {"cpuLoadRatio": tt.cpu, "memoryUtilizationPercent": tt.mem}},
				check: func(t *testing.T, p *Plan) {
					if len(p.Nodes) == 0 || p.Nodes[0].Changes[0].Kind != KindState {
						t.Fatalf("no transition: %v", fxLines(p))
					}
					for _, ch := range p.Nodes[0].Changes {
						if ch.Kind != KindLedger && ch.Reason != tt.want {
							t.Errorf("%s reason:\n got %q\nwant %q", ch.Kind, ch.Reason, tt.want)
						}
					}
				}})
		})
	}
}

// Semantics: output order, rule status, summary, ID, times.
func TestComputePlanShape(t *testing.T) {
	all := fxRule(t, "all", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}]
actions:
- {type: alert, alert: {channels: [log]}}
- {type: evict}
- {type: cordon}
- {type: annotation, annotation: {annotations: {b: "1", a: "2"}}}
- {type: label, label: {labels: {l: "1"}}}
- {type: taint, taint: {key: t, effect: NoExecute}}
maxUnhealthy: 100%
`)
	pending := fxRule(t, "pending", `
conditions: [{metric: memoryUtilizationPercent, operator: GreaterThan, value: 90, duration: 2m}]
actions: [{type: label, label: {labels: {p: "1"}}}]
metadata: {priority: 7}
`)
	nodes := []corev1.Node{fxNode("cp", fxLabel(evaluate.LabelControlPlane, "")), fxNode("n1"), fxNode("n2"), fxNode("n3")}
	ser := map[string]map[string]string{"n1": {"cpuLoadRatio": "2", "memoryUtilizationPercent": "50"}, "n2": {"cpuLoadRatio": "1", "memoryUtilizationPercent": "80 80 95 95"}}
	pods := []corev1.Pod{fxPod("default", "p", "n1")}
	c := fxCase{rules: []*v1.NodeGuardianRule{pending, all}, nodes: nodes, series: ser, pods: pods,
		changes: []string{
			"n1 ~state all Healthy→Firing", "n1 +taint t=true:NoExecute (all)", "n1 +label l=1 (all)",
			"n1 +annotation a=2 (all)", "n1 +annotation b=1 (all)", "n1 +cordon (all)", "n1 +ledger",
			"n1 +evict (all) default/p", `n1 +alert (all) firing  [log] "[NodeGuardian] all firing on n1"`,
		},
		warnings: []string{"all: an alert action names no template; the default message is used", "n3 all: cpuLoadRatio: no data", "n3 pending: memoryUtilizationPercent: no data"},
		check: func(t *testing.T, p *Plan) {
			want := Summary{NodesToChange: 1, Adds: 5, Evictions: 1, Alerts: 1, Warnings: 3}
			if p.Summary != want {
				t.Errorf("summary %+v, want %+v", p.Summary, want)
			}
			if p.FormatVersion != FormatVersion || !p.CreatedAt.Equal(fxNow) || !p.ExpiresAt.Equal(fxNow.Add(DefaultTTL)) || p.Inputs.Source != "test" {
				t.Errorf("header %+v", p)
			}
			if p.Nodes[0].ResourceVersion != "1" {
				t.Errorf("resourceVersion %q", p.Nodes[0].ResourceVersion)
			}
			if len(p.Rules) != 2 || p.Rules[0].Name != "all" || p.Rules[1].Name != "pending" {
				t.Fatalf("rules %+v", p.Rules)
			}
			a, pe := p.Rules[0], p.Rules[1]
			if !a.Active || a.Priority != 100 || a.Matched != 3 || !slices.Equal(a.Firing, []string{"n1"}) || !slices.Equal(a.Unknown, []string{"n3"}) ||
				!slices.Equal(a.Excluded, []string{"cp"}) || len(a.Pending) != 0 {
				t.Errorf("status of all: %+v", a)
			}
			if pe.Priority != 7 || !slices.Equal(pe.Pending, []string{"n2"}) || len(pe.Firing) != 0 {
				t.Errorf("status of pending: %+v", pe)
			}
		}}
	fxRun(t, c)

	p1, in := c.plan(t, nodes)
	p2 := Compute(in)
	if p1.ID != p2.ID || len(p1.ID) != 64 {
		t.Errorf("ID not stable: %s %s", p1.ID, p2.ID)
	}
	in.Inputs.FleetHash = "other"
	in.TTL = time.Minute
	p3 := Compute(in)
	if p3.ID == p1.ID || !p3.ExpiresAt.Equal(fxNow.Add(time.Minute)) {
		t.Errorf("ID %s does not change with the inputs, or TTL ignored: %v", p3.ID, p3.ExpiresAt)
	}
}

// Semantics: deferred items and warnings are sorted by node, rule, text.
func TestComputeSortedLists(t *testing.T) {
	r := func(name string) *v1.NodeGuardianRule {
		return fxRule(t, name, `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}]
actions: [{type: cordon}]
maxUnhealthy: 0
`)
	}
	nodes, ser := fxFleet(2, "2")
	nodes = append(nodes, fxNode("n02"))
	fxRun(t, fxCase{rules: []*v1.NodeGuardianRule{r("b"), r("a")}, nodes: nodes, series: ser, changes: []string{},
		deferred: []string{
			"n00 a: maxUnhealthy 0 (0 of 3 nodes) reached", "n00 b: maxUnhealthy 0 (0 of 3 nodes) reached",
			"n01 a: maxUnhealthy 0 (0 of 3 nodes) reached", "n01 b: maxUnhealthy 0 (0 of 3 nodes) reached",
		},
		warnings: []string{"n02 a: cpuLoadRatio: no data", "n02 b: cpuLoadRatio: no data"}})
}
