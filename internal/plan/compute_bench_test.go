package plan

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/evaluate"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
)

// fxBigInput is 10k nodes × 100 rules: most pairs Healthy with a False trigger, 1% of the
// pairs triggering, 2% of the nodes with a Firing rule in their ledger, 10 pods a node.
func fxBigInput(b testing.TB) Input {
	const nNodes, nRules = 10000, 100
	rules := make([]*v1.NodeGuardianRule, nRules)
	for i := range rules {
		action := fmt.Sprintf(`{type: taint, taint: {key: ng/r%02d, effect: NoSchedule}}`, i)
		switch i % 3 {
		case 1:
			action = fmt.Sprintf(`{type: label, label: {labels: {ng/r%02d: "on"}}}`, i)
		case 2:
			action = fmt.Sprintf(`{type: evict}, {type: annotation, annotation: {annotations: {ng/r%02d: "{{ timestamp }}"}}}`, i)
		}
		rules[i] = fxRule(b, fmt.Sprintf("r%02d", i), `
conditions:
- {metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 3m}
- {metric: memoryUtilizationPercent, operator: GreaterThan, value: 90, duration: 2m}
actions: [`+action+`, {type: alert, alert: {template: high-load-alert}}]
`)
	}
	nodes := make([]corev1.Node, nNodes)
	var pods []corev1.Pod
	for i := range nodes {
		name := fmt.Sprintf("node-%05d", i)
		nodes[i] = fxNode(name, fxLabel("kubernetes.io/hostname", name))
		if i%50 == 0 {
			r := (i / 50) % nRules
			e := fxFiring(fxAgo(time.Hour))
			e.Labels = map[string]string{fmt.Sprintf("ng/r%02d", r): "on"}
			fxLabel(fmt.Sprintf("ng/r%02d", r), "on")(&nodes[i])
			fxLedger(map[string]*ledger.Entry{fmt.Sprintf("r%02d", r): e})(&nodes[i])
		}
		for j := range 10 {
			pods = append(pods, fxPod("default", fmt.Sprintf("%s-%d", name, j), name))
		}
	}
	results := make([]evaluate.RuleResult, nRules)
	for ri, r := range rules {
		res := evaluate.RuleResult{Rule: r, Active: true, Verdicts: make([]evaluate.Verdict, nNodes)}
		for ni := range nodes {
			trig := evaluate.False
			why := evaluate.WhyNotMet
			if (ni+ri)%100 == 0 {
				trig, why = evaluate.True, evaluate.WhyHeld
			}
			cs := []evaluate.ConditionResult{
				{Condition: &r.Spec.Conditions[0], Result: trig, Why: why, Last: 1.7, Worst: 1.6, HeldFor: 3 * time.Minute},
				{Condition: &r.Spec.Conditions[1], Result: trig, Why: why, Last: 95, Worst: 91, HeldFor: 2 * time.Minute},
			}
			res.Verdicts[ni] = evaluate.Verdict{Rule: r.Name, Node: nodes[ni].Name, Trigger: trig, Recovery: evaluate.Not(trig), Conditions: cs}
		}
		results[ri] = res
	}
	return Input{Now: fxNow, Results: results, Templates: fxTemplates(), Nodes: nodes, Pods: pods, MaxDisruptive: fxBudget("30%")}
}

func BenchmarkCompute(b *testing.B) {
	in := fxBigInput(b)
	b.ResetTimer()
	for b.Loop() {
		Compute(in)
	}
}
